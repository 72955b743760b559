"""Pages where a member state edits its national statuses, and the helpers of every national page.

The workspace and the status page, which also show review state, are composed in
reviews.workspace_views from these helpers.

Every state and status is loaded through accounts.policy: a state user's own state comes
from their account, another state named in the URL answers 404 unless the user may see it.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from accounts.policy import (
    can_edit_status,
    editable_state,
    has_national_access,
    scope_national,
    visible_states,
)
from core.committed import note_committed

from .evidence import EvidenceNotStored, EvidenceSizeLimitHandler, status_update_with_evidence
from .forms import NationalStatusEvidenceForm, NationalStatusForm
from .models import ActionItem, NationalStatus
from .services import StatusConflict

HISTORY_ON_DETAIL = 10


def national_access_required(view):
    """Signed-in state users, reviewers and the secretariat; others get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not has_national_access(request.user):
            raise PermissionDenied(
                "National statuses are shown to member states' focal points and national"
                " coordinators, ACWC reviewers and secretariat admins."
            )
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def own_state(user):
    state = editable_state(user)
    if state is None:
        raise PermissionDenied("Only a member state's focal points and coordinators edit here.")
    return state


def page_state(user, code):
    """The state a page shows: the user's own, or the one named in the URL if visible to them."""
    if code is None:
        return own_state(user)
    return get_object_or_404(visible_states(user), code=code.upper())


def state_item(state, item_id):
    item = get_object_or_404(ActionItem.objects.select_related("plan", "focus_area"), pk=item_id)
    if not state.reports_in(item.plan):
        raise Http404(f"{state} does not report on {item.plan}.")
    return item


def saved_status(user, state, item):
    return scope_national(NationalStatus.objects.for_page(), user).get_for(state, item)


def workspace_url(state, plan=None, *, own):
    """A state's page of `plan` (None: the plan open for updates), by the user's own route."""
    if own:
        if plan is None:
            return reverse("national:workspace")
        return reverse("national:plan_workspace", args=[plan.code])
    if plan is None:
        return reverse("national:state_workspace", args=[state.code])
    return reverse("national:state_plan_workspace", args=[state.code, plan.code])


@require_safe
@national_access_required
def status_history(request, item_id, code=None):
    state = page_state(request.user, code)
    item = state_item(state, item_id)
    status = saved_status(request.user, state, item)
    history = status.history.select_related("changed_by") if status else []
    context = {
        "state": state,
        "item": item,
        "status": status,
        "history": history,
        "own": code is None,
        "workspace_url": workspace_url(state, item.plan, own=code is None),
    }
    return render(request, "national/statushistory_list.html", context)


@csrf_exempt  # so the upload limit is in place before the body is read; checked just below
@require_http_methods(["GET", "HEAD", "POST"])
def status_edit(request, item_id):
    """The status form, with evidence (a link, a file) that can be sent in the same submit."""
    size_limit = EvidenceSizeLimitHandler(request)
    request.upload_handlers.insert(0, size_limit)
    return _status_edit(request, item_id, size_limit)


@csrf_protect
@national_access_required
def _status_edit(request, item_id, size_limit):
    state = own_state(request.user)
    item = state_item(state, item_id)
    if not can_edit_status(request.user, state, item.plan):
        raise PermissionDenied(f"{item.plan} is not open for updates.")
    current = saved_status(request.user, state, item) or NationalStatus.blank(state, item)
    if request.method != "POST":
        form = NationalStatusEvidenceForm(initial=NationalStatusForm.initial_from(current))
        return _edit_page(request, form, current)
    form = NationalStatusEvidenceForm(request.POST, request.FILES, oversized=size_limit.oversized)
    if form.is_valid():
        arguments = form.service_arguments()
        try:
            saved = status_update_with_evidence(
                user=request.user, member_state=state, action_item=item, **arguments
            )
        except StatusConflict as conflict:
            return _conflict_page(request, item, conflict.current, arguments)
        except ValidationError as error:
            form.add_error(None, error)
        except EvidenceNotStored as error:
            form.add_error("file", error.message)
            return _edit_page(request, form, current, status=503)
        else:
            message = _saved_message(item, saved, arguments)
            note_committed(request, message)
            messages.success(request, message)
            return redirect("national:status_detail", item.pk)
    return _edit_page(request, form, current, status=400)


def _edit_page(request, form, current, status=200):
    context = {"form": form, "current": current, "item": current.action_item}
    return render(request, "national/nationalstatus_form.html", context, status=status)


def _saved_message(item, saved, arguments):
    if saved.version == arguments["expected_version"]:
        return "Nothing changed: what you saved is already recorded."
    summary = NationalStatus.display_value("status", saved.status)
    if saved.progress is not None:
        summary += f", {saved.progress} %"
    added = (["a link"] if arguments["link"] else []) + (["a file"] if arguments["files"] else [])
    if added:
        summary += f", with {' and '.join(added)} as evidence"
    return f"Saved {item.code}: {summary}."


def _conflict_page(request, item, current, submitted):
    """The other person's saved values beside the user's, so nothing typed is lost."""
    rows = [
        {
            "label": NationalStatus.field_label(field),
            "theirs": NationalStatus.display_value(field, getattr(current, field)),
            "yours": NationalStatus.display_value(field, submitted[field]),
            "yours_raw": submitted[field],
            "differs": getattr(current, field) != submitted[field],
            "is_text": field in ("narrative", "challenges", "next_steps"),
        }
        for field in NationalStatus.TRACKED_FIELDS
    ]
    context = {
        "item": item,
        "current": current,
        "rows": rows,
        "started_from": submitted["expected_version"],
        "evidence_not_saved": bool(submitted.get("link") or submitted.get("files")),
        "edit_url": reverse("national:status_edit", args=[item.pk]),
    }
    return render(request, "national/nationalstatus_conflict.html", context, status=409)
