"""Pages where a member state keeps its national statuses up to date, and reviewers read them.

Every state and status is loaded through countries.access: a state user's own state comes
from their account, another state named in the URL answers 404 unless the user may see it.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe
from django_tables2 import RequestConfig

from countries.access import (
    can_edit_status,
    editable_state,
    has_national_access,
    scope_national,
    visible_states,
)
from reviews import queries as review_queries
from reviews.tables import EvidenceFlagColumn

from .evidence_views import evidence_section_context
from .filters import NationalStatusFilter
from .forms import NationalStatusForm
from .models import ActionItem, NationalStatus, Plan
from .services import StatusConflict, national_status_update
from .tables import NationalStatusTable

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


def _own_state(user):
    state = editable_state(user)
    if state is None:
        raise PermissionDenied("Only a member state's focal points and coordinators edit here.")
    return state


def _page_state(user, code):
    """The state a page shows: the user's own, or the one named in the URL if visible to them."""
    if code is None:
        return _own_state(user)
    return get_object_or_404(visible_states(user), code=code.upper())


def _item(state, item_id):
    item = get_object_or_404(ActionItem.objects.select_related("plan", "focus_area"), pk=item_id)
    if not state.reports_in(item.plan):
        raise Http404(f"{state} does not report on {item.plan}.")
    return item


def _saved_status(user, state, item):
    return scope_national(NationalStatus.objects.for_page(), user).get_for(state, item)


def _workspace_url(state, plan=None, *, own):
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
def workspace(request):
    state = editable_state(request.user)
    if state is None:
        plan = Plan.objects.current()
        states = visible_states(request.user)
        return render(request, "national/memberstate_list.html", {"states": states, "plan": plan})
    plan = Plan.objects.select_related("predecessor").current()
    return _plan_page(request, state, plan, own=True)


@require_safe
@national_access_required
def plan_workspace(request, plan_code):
    state = _own_state(request.user)
    plan = get_object_or_404(Plan.objects.select_related("predecessor"), code=plan_code)
    return _plan_page(request, state, plan, own=True)


@require_safe
@national_access_required
def state_workspace(request, code, plan_code=None):
    state = _page_state(request.user, code)
    plans = Plan.objects.select_related("predecessor")
    plan = plans.current() if plan_code is None else get_object_or_404(plans, code=plan_code)
    return _plan_page(request, state, plan, own=False)


def _plan_page(request, state, plan, *, own):
    context = {"state": state, "plan": plan, "own": own}
    if plan is None:
        return render(request, "national/nationalstatus_list.html", context)
    if not state.reports_in(plan):
        raise Http404(f"{state} does not report on {plan}.")
    items = ActionItem.objects.filter(plan=plan).with_national_status(state)
    rows = review_queries.with_evidence_flags(items.select_related("focus_area"), state)
    filterset = NationalStatusFilter(request.GET, queryset=rows, plan=plan)
    editable = can_edit_status(request.user, state, plan)
    table = NationalStatusTable(
        filterset.qs,
        caption=f"{state}: status of every action of {plan}",
        state_code=None if own else state.code,
        editable=editable,
        extra_columns=[("review", EvidenceFlagColumn())],
    )
    RequestConfig(request).configure(table)
    previous = plan.predecessor
    context.update(
        filter=filterset,
        table=table,
        editable=editable,
        attention=items.attention_counts(),
        needing_more_evidence=review_queries.items_needing_more_evidence(plan, state),
        review_round=review_queries.open_round_with_report(plan, state),
        stale_days=settings.STALE_AFTER_DAYS,
        previous=previous,
        previous_reported=previous is not None and state.reports_in(previous),
        previous_url=previous and _workspace_url(state, previous, own=own),
        current_url=_workspace_url(state, own=own),
    )
    return render(request, "national/nationalstatus_list.html", context)


@require_safe
@national_access_required
def status_detail(request, item_id, code=None):
    state = _page_state(request.user, code)
    item = _item(state, item_id)
    status = _saved_status(request.user, state, item)
    history = status.history.select_related("changed_by")[:HISTORY_ON_DETAIL] if status else []
    editable = can_edit_status(request.user, state, item.plan)
    context = {
        "state": state,
        "item": item,
        "status": status,
        "history": history,
        "more_history": status is not None and status.version > HISTORY_ON_DETAIL,
        "editable": editable,
        "own": code is None,
        "workspace_url": _workspace_url(state, item.plan, own=code is None),
    }
    context |= evidence_section_context(request, item=item, status=status, editable=editable)
    context["review_threads"] = review_queries.item_threads(state, item)
    return render(request, "national/nationalstatus_detail.html", context)


@require_safe
@national_access_required
def status_history(request, item_id, code=None):
    state = _page_state(request.user, code)
    item = _item(state, item_id)
    status = _saved_status(request.user, state, item)
    history = status.history.select_related("changed_by") if status else []
    context = {
        "state": state,
        "item": item,
        "status": status,
        "history": history,
        "own": code is None,
        "workspace_url": _workspace_url(state, item.plan, own=code is None),
    }
    return render(request, "national/statushistory_list.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@national_access_required
def status_edit(request, item_id):
    state = _own_state(request.user)
    item = _item(state, item_id)
    if not can_edit_status(request.user, state, item.plan):
        raise PermissionDenied(f"{item.plan} is not open for updates.")
    current = _saved_status(request.user, state, item) or NationalStatus.blank(state, item)
    if request.method != "POST":
        form = NationalStatusForm(initial=NationalStatusForm.initial_from(current))
        return _edit_page(request, form, current)
    form = NationalStatusForm(request.POST)
    if form.is_valid():
        arguments = form.service_arguments()
        try:
            saved = national_status_update(
                user=request.user, member_state=state, action_item=item, **arguments
            )
        except StatusConflict as conflict:
            return _conflict_page(request, item, conflict.current, arguments)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _saved_message(item, saved, arguments["expected_version"]))
            return redirect("national:status_detail", item.pk)
    return _edit_page(request, form, current, status=400)


def _edit_page(request, form, current, status=200):
    context = {"form": form, "current": current, "item": current.action_item}
    return render(request, "national/nationalstatus_form.html", context, status=status)


def _saved_message(item, saved, expected_version):
    if saved.version == expected_version:
        return "Nothing changed: what you saved is already recorded."
    summary = NationalStatus.display_value("status", saved.status)
    if saved.progress is not None:
        summary += f", {saved.progress} %"
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
        "edit_url": reverse("national:status_edit", args=[item.pk]),
    }
    return render(request, "national/nationalstatus_conflict.html", context, status=409)
