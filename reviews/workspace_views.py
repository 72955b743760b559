"""A state's workspace and status pages: national statuses with their review state.

They combine `actions` (statuses, evidence) with `reviews` (evidence flags, open round,
comment threads), so they live here, in the higher app. Every state and status is loaded
through the helpers of actions.national_views, which scope them with accounts.policy.
"""

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from accounts.policy import can_edit_status, editable_state, visible_states
from actions.evidence_views import evidence_section_context
from actions.filters import NationalStatusFilter
from actions.models import ActionItem, Plan
from actions.national_views import (
    HISTORY_ON_DETAIL,
    national_access_required,
    own_state,
    page_state,
    saved_status,
    state_item,
    workspace_url,
)
from actions.tables import NationalStatusTable
from core.tables import KnownCountPaginator

from . import queries as review_queries
from .tables import EvidenceFlagColumn


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
    state = own_state(request.user)
    plan = get_object_or_404(Plan.objects.select_related("predecessor"), code=plan_code)
    return _plan_page(request, state, plan, own=True)


@require_safe
@national_access_required
def state_workspace(request, code, plan_code=None):
    state = page_state(request.user, code)
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
    attention = items.attention_counts()
    RequestConfig(request, paginate=_paging(filterset, attention["total"])).configure(table)
    previous = plan.predecessor
    context.update(
        filter=filterset,
        table=table,
        editable=editable,
        attention=attention,
        needing_more_evidence=review_queries.items_needing_more_evidence(plan, state),
        review_round=review_queries.open_round_with_report(plan, state),
        stale_days=settings.STALE_AFTER_DAYS,
        previous=previous,
        previous_reported=previous is not None and state.reports_in(previous),
        previous_url=previous and workspace_url(state, previous, own=own),
        current_url=workspace_url(state, own=own),
    )
    return render(request, "national/nationalstatus_list.html", context)


def _paging(filterset, total):
    """Unfiltered, the table's rows are the items the attention figures counted (`total`):
    the pager takes that count rather than counting them again."""
    if filterset.narrows():
        return True
    return {"paginator_class": KnownCountPaginator, "count": lambda: total}


@require_safe
@national_access_required
def status_detail(request, item_id, code=None):
    state = page_state(request.user, code)
    item = state_item(state, item_id)
    status = saved_status(request.user, state, item)
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
        "workspace_url": workspace_url(state, item.plan, own=code is None),
    }
    context |= evidence_section_context(request, item=item, status=status, editable=editable)
    context["review_threads"] = review_queries.item_threads(state, item)
    return render(request, "national/nationalstatus_detail.html", context)
