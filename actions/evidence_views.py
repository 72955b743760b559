"""Pages that add, withdraw and serve the evidence of a national status."""

import logging
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from accounts.policy import scope_national
from core.committed import note_committed

from . import evidence as ev
from .models import ActionItem, Evidence, NationalStatus

logger = logging.getLogger(__name__)


# --- Forms -------------------------------------------------------------------------------------


class EvidenceLinkForm(forms.Form):
    prefix = "link"

    title = forms.CharField(max_length=ev.MAX_TITLE_LENGTH, label="Title of the linked page")
    url = forms.CharField(
        max_length=ev.MAX_URL_LENGTH,
        label="Web address",
        help_text="A full address starting with https:// or http://.",
        widget=forms.URLInput,
    )

    def clean_title(self):
        return ev.clean_title(self.cleaned_data["title"])

    def clean_url(self):
        return ev.clean_url(self.cleaned_data["url"])


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type=file multiple>, as a list (maybe empty)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data]
        cleaned = []
        for upload in uploads:
            if upload:
                cleaned.append(super().clean(upload, initial))
        return cleaned


class EvidenceFileForm(forms.Form):
    prefix = "upload"

    files = MultipleFileField(
        required=False,
        allow_empty_file=True,  # checked below, with a message that names the file
        label="Files",
        help_text="",
    )
    title = forms.CharField(
        max_length=ev.MAX_TITLE_LENGTH,
        required=False,
        label="Title (optional)",
        help_text="Leave empty to use each file's name.",
    )

    def __init__(self, *args, oversized=(), beyond_limit=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.oversized = list(oversized)
        self.beyond_limit = beyond_limit
        self.fields["files"].widget.attrs["accept"] = ev.ACCEPT_ATTRIBUTE
        self.fields["files"].help_text = (
            f"{ev.ACCEPTED_KINDS}; up to {filesizeformat(settings.EVIDENCE_MAX_FILE_SIZE)} "
            f"each, {ev.MAX_FILES_PER_UPLOAD} at a time."
        )

    def clean_title(self):
        title = self.cleaned_data["title"]
        return ev.clean_title(title) if title.strip() else ""

    def clean_files(self):
        files = self.cleaned_data["files"]
        problems = [
            ValidationError(
                "%(name)s is larger than %(limit)s.",
                params={
                    "name": name,
                    "limit": filesizeformat(settings.EVIDENCE_MAX_FILE_SIZE),
                },
            )
            for name in self.oversized
        ]
        if not files and not problems:
            raise ValidationError("Choose a file to upload.", code="required")
        if len(files) + len(problems) + self.beyond_limit > ev.MAX_FILES_PER_UPLOAD:
            raise ValidationError(
                "Upload at most %(max)d files at a time.", params={"max": ev.MAX_FILES_PER_UPLOAD}
            )
        for uploaded in files:
            try:
                ev.check_evidence_file(uploaded)
            except ValidationError as error:
                name = ev.clean_original_name(uploaded.name)
                problems.extend(ValidationError(f"{name}: {m}") for m in error.messages)
        if problems:
            raise ValidationError(problems)
        return files


# --- The section shown on a status page ----------------------------------------------------------


@dataclass
class EvidenceSection:
    """What templates/national/evidence_section.html shows."""

    item: ActionItem
    status: NationalStatus | None
    evidence: list = field(default_factory=list)
    can_edit: bool = False
    link_form: EvidenceLinkForm | None = None
    file_form: EvidenceFileForm | None = None

    @property
    def current(self):
        return [e for e in self.evidence if e.withdrawn_at is None]

    @property
    def withdrawn(self):
        return [e for e in self.evidence if e.withdrawn_at is not None]


def evidence_section_context(
    request, *, item, status, editable=None, link_form=None, file_form=None
):
    """Context for the evidence section of `item`'s status page, which `status` (loaded through
    scope_national, or None) belongs to: one query, however much evidence there is.

    `item` needs its plan loaded; pass `editable` when the page already knows whether the user
    may change this status (can_edit_status), to save the query that decides it.
    """
    can_edit = ev.can_edit_evidence(request.user, item) if editable is None else editable
    section = EvidenceSection(
        item=item,
        status=status,
        evidence=ev.evidence_for_section(status, request.user),
        can_edit=can_edit,
        link_form=(link_form or EvidenceLinkForm()) if can_edit else None,
        file_form=(file_form or EvidenceFileForm()) if can_edit else None,
    )
    return {"evidence_section": section}


def status_detail_url(item):
    return reverse("national:status_detail", args=[item.pk])


def _editable_item(request, item_id):
    item = get_object_or_404(ActionItem.objects.select_related("plan"), pk=item_id)
    if not ev.can_edit_evidence(request.user, item):
        raise PermissionDenied(ev.EVIDENCE_EDITORS)
    return item


def _form_page(request, item, status_code=400, **forms_):
    """The evidence forms again, with their errors (400, or 503 when storage failed)."""
    status = scope_national(NationalStatus.objects.filter(action_item=item), request.user).first()
    context = {"item": item, "status": status}
    context |= evidence_section_context(request, item=item, status=status, **forms_)
    return render(request, "national/evidence_form.html", context, status=status_code)


# --- Views ---------------------------------------------------------------------------------------


@login_required
@require_POST
def evidence_link_add(request, item_id):
    item = _editable_item(request, item_id)
    form = EvidenceLinkForm(request.POST)
    if form.is_valid():
        try:
            evidence = ev.evidence_add_link(user=request.user, item=item, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            note_committed(request, f"Link “{evidence.title}” added.")
            messages.success(request, f"Link “{evidence.title}” added.")
            return redirect(status_detail_url(item))
    return _form_page(request, item, link_form=form)


@csrf_exempt  # so the size limit is in place before the body is read; checked just below
@login_required
@require_POST
def evidence_file_add(request, item_id):
    size_limit = ev.EvidenceSizeLimitHandler(request)
    request.upload_handlers.insert(0, size_limit)
    return _evidence_file_add(request, item_id, size_limit)


@csrf_protect
def _evidence_file_add(request, item_id, size_limit):
    item = _editable_item(request, item_id)
    form = EvidenceFileForm(
        request.POST,
        request.FILES,
        oversized=size_limit.oversized,
        beyond_limit=size_limit.beyond_limit,
    )
    if form.is_valid():
        try:
            added = ev.evidence_add_files(user=request.user, item=item, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        except ev.EvidenceNotStored as error:
            form.add_error(None, error.message)
            return _form_page(request, item, status_code=503, file_form=form)
        else:
            noun = "file" if len(added) == 1 else "files"
            note_committed(request, f"{len(added)} {noun} added.")
            messages.success(request, f"{len(added)} {noun} added.")
            return redirect(status_detail_url(item))
    return _form_page(request, item, file_form=form)


@login_required
def evidence_download(request, pk):
    evidence = get_object_or_404(
        ev.evidence_visible_to(request.user).filter(kind=Evidence.Kind.FILE), pk=pk
    )
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        logger.error("Evidence %s: stored file %s is missing", evidence.pk, evidence.file.name)
        raise Http404("The file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=ev.download_name(evidence.original_name, evidence.content_type),
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def evidence_withdraw(request, pk):
    evidence = get_object_or_404(
        ev.evidence_visible_to(request.user)
        .filter(withdrawn_at__isnull=True)
        .select_related("national_status__action_item__plan"),
        pk=pk,
    )
    item = evidence.national_status.action_item
    if not ev.can_edit_evidence(request.user, item):
        raise PermissionDenied(ev.EVIDENCE_EDITORS)
    if request.method == "POST":
        try:
            ev.evidence_withdraw(user=request.user, evidence_id=evidence.pk)
        except Evidence.DoesNotExist:
            messages.info(request, "That evidence had already been withdrawn.")
        else:
            messages.success(request, f"“{evidence.title}” withdrawn.")
        return redirect(status_detail_url(item))
    return render(
        request, "national/evidence_confirm_withdraw.html", {"evidence": evidence, "item": item}
    )
