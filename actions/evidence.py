"""Evidence for a national status: what a link or file must be, and the writes that add or
withdraw it.

A file's type is decided from its content, never from its name or the browser's word; it is
stored under a server-chosen name, and the name the user gave is kept only as a label.
"""

import logging
import re
import unicodedata
import zipfile

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.validators import URLValidator
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.policy import (
    can_edit_status,
    editable_state,
    scope_national,
    sees_withdrawn_evidence,
)
from core.validators import CONTROL_OR_SURROGATE

from .models import Evidence, NationalStatus, StatusHistory
from .services import national_status_changed, national_status_update

# Why a change of evidence is refused (shown on the 403 page).
EVIDENCE_EDITORS = (
    "Only the state's focal points and national coordinators change its evidence,"
    " on the plan in force."
)

logger = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = "image/png"
JPEG = "image/jpeg"

# What users are told they may upload, in the order they are told.
ACCEPTED_KINDS = "PDF, Word (DOCX), Excel (XLSX), PNG or JPEG"
# <input accept>: a hint for the browser's file picker only; the content decides.
ACCEPT_ATTRIBUTE = ".pdf,.docx,.xlsx,.png,.jpg,.jpeg"
# Extensions a download name may keep for each type (the first is the one added otherwise).
DOWNLOAD_EXTENSIONS = {
    PDF: (".pdf",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
}
MAX_FILES_PER_UPLOAD = 5
MAX_TITLE_LENGTH = 300
MAX_URL_LENGTH = 2000
MAX_NAME_LENGTH = 255

# OOXML: the package's main part, as [Content_Types].xml must declare it.
_OOXML_MAIN_PARTS = {
    DOCX: (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    XLSX: (
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ),
}
# A real [Content_Types].xml is a few kilobytes; more is not an office document.
_MAX_CONTENT_TYPES_SIZE = 256 * 1024

_NOT_ACCEPTED = ValidationError(
    "This file's content is not a %(kinds)s file, whatever its name says. "
    "Save it in one of these formats and upload it again.",
    code="file_type",
    params={"kinds": ACCEPTED_KINDS},
)


# --- Links ------------------------------------------------------------------------------------

_url_validator = URLValidator(
    schemes=["http", "https"],
    message="Enter a full web address starting with http:// or https://.",
)


def clean_title(value):
    """A title as stored: trimmed, required, at most 300 characters, no control or broken
    characters."""
    if not isinstance(value, str):
        raise ValidationError("Give the evidence a title.", code="required")
    title = " ".join(value.split())
    if not title:
        raise ValidationError("Give the evidence a title.", code="required")
    if CONTROL_OR_SURROGATE.search(title):
        raise ValidationError("The title contains characters that are not allowed.", code="null")
    if len(title) > MAX_TITLE_LENGTH:
        raise ValidationError(
            "Keep the title to %(max)d characters (it has %(length)d).",
            code="max_length",
            params={"max": MAX_TITLE_LENGTH, "length": len(title)},
        )
    return title


def clean_url(value):
    """An evidence link as stored: an absolute http or https address of at most 2000 characters."""
    if not isinstance(value, str):
        raise ValidationError("Enter the web address of the evidence.", code="required")
    url = value.strip()
    if not url:
        raise ValidationError("Enter the web address of the evidence.", code="required")
    if CONTROL_OR_SURROGATE.search(url):
        raise ValidationError(
            "The web address contains characters that are not allowed.", code="null"
        )
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(
            "Keep the web address to %(max)d characters.",
            code="max_length",
            params={"max": MAX_URL_LENGTH},
        )
    # The validator checks the scheme case-insensitively; refuse anything else outright
    # so that javascript:, data:, ftp: and relative addresses never reach a page.
    if not re.match(r"(?i)https?://", url):
        raise ValidationError(
            "Only web addresses starting with http:// or https:// can be added.", code="scheme"
        )
    _url_validator(url)
    return url


# --- Files ------------------------------------------------------------------------------------


def clean_original_name(name):
    """The user's file name, made safe to keep as a label: no folders, controls or quotes."""
    name = unicodedata.normalize("NFC", str(name))
    name = re.split(r"[\\/]", name)[-1]
    # Control and format characters (CR, LF, NUL, right-to-left overrides) and quotes go.
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in "\"'`")
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "file"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_NAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def download_name(original_name, content_type):
    """The label as a download name, ending in the extension of what the file really is."""
    name = clean_original_name(original_name)
    extensions = DOWNLOAD_EXTENSIONS.get(content_type, ())
    if extensions and not name.lower().endswith(extensions):
        name = name[: MAX_NAME_LENGTH - len(extensions[0])] + extensions[0]
    return name


def sniff_content_type(uploaded_file):
    """The accepted type that the file's bytes show, or None."""
    uploaded_file.seek(0)
    head = uploaded_file.read(8)
    uploaded_file.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        try:
            return _sniff_office_document(uploaded_file)
        finally:
            uploaded_file.seek(0)
    return None


def _sniff_office_document(uploaded_file):
    """DOCX or XLSX from a ZIP package's parts (read without extracting anything), or None."""
    try:
        with zipfile.ZipFile(uploaded_file) as package:
            names = set(package.namelist())
            content_types = package.getinfo("[Content_Types].xml")
            if content_types.file_size > _MAX_CONTENT_TYPES_SIZE:
                return None
            declared = package.read(content_types).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, ValueError):
        return None
    # Macro-enabled documents (.docm, .xlsm) carry a VBA project: refused.
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return None
    found = [
        content_type
        for content_type, (part, main_type) in _OOXML_MAIN_PARTS.items()
        if part in names and main_type in declared
    ]
    return found[0] if len(found) == 1 else None


def check_evidence_file(uploaded_file):
    """The type of an acceptable upload, from its content; ValidationError otherwise."""
    size = uploaded_file.size or 0
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if size > settings.EVIDENCE_MAX_FILE_SIZE:
        raise ValidationError(
            "The file is %(size)s; files can be at most %(limit)s.",
            code="file_size",
            params={
                "size": filesizeformat(size),
                "limit": filesizeformat(settings.EVIDENCE_MAX_FILE_SIZE),
            },
        )
    content_type = sniff_content_type(uploaded_file)
    if content_type is None:
        raise _NOT_ACCEPTED
    return content_type


class EvidenceSizeLimitHandler(FileUploadHandler):
    """Stops reading uploaded files past the evidence limits, so that neither an oversized
    file nor a flood of files fills the disk. It keeps the names of the files it skipped for
    being too large, and counts those skipped for being too many, for the form's message.
    Install it first: request.upload_handlers.insert(0, ...)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.oversized = []
        self.received = 0
        self.beyond_limit = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received += 1
        if self.received > MAX_FILES_PER_UPLOAD:
            self.beyond_limit += 1
            raise SkipFile

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.EVIDENCE_MAX_FILE_SIZE:
            self.oversized.append(clean_original_name(self.file_name))
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


# --- Who may do what ---------------------------------------------------------------------------


def can_edit_evidence(user, item):
    """Whether `user` may add or withdraw evidence on their own state's status of `item`:
    exactly when they may edit that status."""
    return can_edit_status(user, editable_state(user), item.plan)


def evidence_visible_to(user):
    """Evidence `user` may see and download: their own state's current evidence; reviewers
    and the secretariat see every state's, withdrawn too, which the history refers to."""
    queryset = scope_national(
        Evidence.objects.all(), user, state_path="national_status__member_state"
    )
    if not sees_withdrawn_evidence(user):
        queryset = queryset.filter(withdrawn_at__isnull=True)
    return queryset


def evidence_for_section(status, user):
    """The evidence listed on a status page, with who added and reviewed it, in one query."""
    if status is None:
        return []
    return list(
        evidence_visible_to(user)
        .filter(national_status=status)
        .select_related("added_by", "reviewed_by")
        .order_by("added_at", "id")
    )


# --- Writes ------------------------------------------------------------------------------------


class EvidenceNotStored(Exception):
    """The media storage refused a file (read-only, full, unreachable): nothing was saved."""

    message = (
        "The file could not be stored; nothing was saved. This is a problem on our side, not "
        "with your file: try again later, and tell the secretariat if it keeps happening."
    )

    def __init__(self):
        super().__init__(self.message)


def _locked_status(*, user, item):
    """The user's state's status of `item`, locked for this transaction.

    A state that never saved this status gets its row now, at version 0 (the version an
    unsaved status is edited from) with the default values; the evidence change that follows
    makes it version 1, so the first history row is that change.
    """
    if not can_edit_evidence(user, item):
        raise PermissionDenied(EVIDENCE_EDITORS)
    blank = NationalStatus.blank(editable_state(user), item)
    status, _ = NationalStatus.objects.select_for_update(of=("self",)).get_or_create(
        member_state=blank.member_state,
        action_item=item,
        defaults={
            "status": blank.status,
            "progress": blank.progress,
            "version": blank.version,
            "updated_at": timezone.now(),
            "updated_by": user,
        },
    )
    return status


def _record_evidence_change(status, *, user, changes):
    """Write one history row for an evidence change on a locked status, and mark the change.

    History rows are numbered by the status's version (as national_status_update numbers
    them), so an evidence change raises the version by one too.
    """
    now = timezone.now()
    status.version += 1
    status.updated_at = now
    status.updated_by = user
    status.save(update_fields=["version", "updated_at", "updated_by"])
    StatusHistory.objects.create(
        national_status=status,
        version=status.version,
        changed_at=now,
        changed_by=user,
        changes=changes,
    )
    national_status_changed(status)


def evidence_add_link(*, user, item, title, url):
    """Attach a web link to the user's state's status of `item`."""
    title = clean_title(title)
    url = clean_url(url)
    with transaction.atomic():
        status = _locked_status(user=user, item=item)
        evidence = Evidence(
            national_status=status,
            kind=Evidence.Kind.LINK,
            title=title,
            url=url,
            added_at=timezone.now(),
            added_by=user,
        )
        evidence.full_clean()
        evidence.save()
        _record_evidence_change(
            status, user=user, changes={"evidence_added": [None, f"{title} <{url}>"]}
        )
    return evidence


def evidence_add_files(*, user, item, files, title=""):
    """Attach uploaded files to the user's state's status of `item`: all of them or none.

    Each file is titled `title` (numbered when there are several) or else by its name.
    """
    if not files:
        raise ValidationError("Choose a file to upload.", code="required")
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise ValidationError(
            "Upload at most %(max)d files at a time.",
            code="too_many",
            params={"max": MAX_FILES_PER_UPLOAD},
        )
    if title is None or (isinstance(title, str) and not title.strip()):
        title = ""
    else:
        title = clean_title(title)
    checked = [(uploaded, check_evidence_file(uploaded)) for uploaded in files]

    stored = []
    try:
        with transaction.atomic():
            status = _locked_status(user=user, item=item)
            present = status.evidence.filter(
                kind=Evidence.Kind.FILE, withdrawn_at__isnull=True
            ).count()
            limit = settings.EVIDENCE_MAX_FILES_PER_STATUS
            if present + len(checked) > limit:
                raise ValidationError(
                    "An action can have at most %(limit)d files; this one has %(present)d. "
                    "Withdraw a file you no longer need, or add a link instead.",
                    code="too_many_files",
                    params={"limit": limit, "present": present},
                )
            added = []
            for number, (uploaded, content_type) in enumerate(checked, start=1):
                label = clean_original_name(uploaded.name)
                evidence = Evidence(
                    national_status=status,
                    kind=Evidence.Kind.FILE,
                    title=_file_title(title, label, number, len(checked)),
                    original_name=label,
                    content_type=content_type,
                    size=uploaded.size,
                    added_at=timezone.now(),
                    added_by=user,
                )
                _store_file(evidence, uploaded, stored)
                evidence.full_clean()
                evidence.save()
                _record_evidence_change(
                    status,
                    user=user,
                    changes={"evidence_added": [None, f"{evidence.title} ({label})"]},
                )
                added.append(evidence)
    except BaseException:
        _remove_files(stored)
        raise
    return added


def _store_file(evidence, uploaded, stored):
    """Write `uploaded` to the media storage under a server-chosen name (upload_to's), noted
    in `stored` before the write starts, so that a file left half-written is removed too."""
    field = Evidence._meta.get_field("file")
    name = field.generate_filename(evidence, "evidence")
    stored.append(name)
    try:
        stored[-1] = field.storage.save(name, uploaded, max_length=field.max_length)
    except OSError as error:
        logger.error("Evidence upload: the media storage refused %s: %s", name, error)
        raise EvidenceNotStored() from error
    evidence.file = stored[-1]


def _remove_files(names):
    """Remove the files of an upload that failed; a storage that refuses this too is logged."""
    storage = Evidence._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError as error:
            logger.error("Evidence upload: could not remove %s after a failure: %s", name, error)


def _file_title(title, label, number, count):
    if not title:
        return label[:MAX_TITLE_LENGTH]
    if count == 1:
        return title
    suffix = f" ({number}/{count})"
    return title[: MAX_TITLE_LENGTH - len(suffix)] + suffix


def evidence_add_file(*, user, item, file, title=""):
    """Attach one uploaded file to the user's state's status of `item`."""
    return evidence_add_files(user=user, item=item, files=[file], title=title)[0]


def evidence_withdraw(*, user, evidence_id):
    """Withdraw evidence of the user's own state: hidden from the status, kept for history."""
    evidence = (
        scope_national(Evidence.objects.all(), user, state_path="national_status__member_state")
        .select_related("national_status__action_item__plan")
        .get(pk=evidence_id, withdrawn_at__isnull=True)
    )
    with transaction.atomic():
        status = _locked_status(user=user, item=evidence.national_status.action_item)
        # Claim the row: of two withdrawals racing, only one changes it and writes history.
        evidence.withdrawn_at = timezone.now()
        claimed = Evidence.objects.filter(pk=evidence.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=evidence.withdrawn_at
        )
        if claimed != 1:
            raise Evidence.DoesNotExist("This evidence has already been withdrawn.")
        _record_evidence_change(
            status, user=user, changes={"evidence_withdrawn": [evidence.title, None]}
        )
    return evidence


def status_update_with_evidence(
    *, user, member_state, action_item, link=None, files=(), file_title="", **values
):
    """Save a status and the evidence sent with it (a link, files) as one change: all or none.

    `values` are national_status_update's; `link` is (title, url) or None. The link and the
    files get every check evidence_add_link and evidence_add_files make, before anything is
    written; a refusal of either (or a conflict of the status) leaves nothing saved.
    """
    if link is None and not files:
        return national_status_update(
            user=user, member_state=member_state, action_item=action_item, **values
        )
    if link is not None:
        link = (clean_title(link[0]), clean_url(link[1]))
    for uploaded in files:
        check_evidence_file(uploaded)
    with transaction.atomic():
        national_status_update(
            user=user, member_state=member_state, action_item=action_item, **values
        )
        if link is not None:
            evidence_add_link(user=user, item=action_item, title=link[0], url=link[1])
        if files:
            # Last: it removes its stored files itself when it fails.
            evidence_add_files(user=user, item=action_item, files=list(files), title=file_title)
    # The evidence raised the version (and saved the row of a status never saved before).
    return NationalStatus.objects.for_page().get_for(member_state, action_item)
