"""Dashboards, profiles and report tables: read only, for signed-in users.

Every per-state row comes through accounts.policy (`visible_states` / `scope_national`): a
focal point sees their own state's detail and the regional aggregates only, an observer the
regional aggregates. The downloads of these pages are in `downloads.views`.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from accounts.policy import scope_national, sees_live_figures, visible_states
from actions import queries
from actions.models import ActionItem, ContinuityLink, Plan, StatusHistory

from . import dashboards, profiles
from .tables import STATUS_STATE, evidence_table, history_table, plan_from, status_table

RECENT_CHANGES = 10
# Actions per page of a state's profile: a plan of 1,500 actions is not one page of 650 KB.
STATE_PROFILE_ITEMS = 50
NOT_FILTERS = ("page", "per_page")


def _filter_query(request):
    """The request's query string without paging: what a download or a shared link keeps."""
    params = request.GET.copy()
    for name in NOT_FILTERS:
        params.pop(name, None)
    return params.urlencode()


@require_safe
@login_required
def index(request):
    plans = Plan.objects.order_by("start_year")
    states = visible_states(request.user).order_by("name")
    return render(request, "reports/index.html", {"plans": plans, "states": states})


@require_safe
@login_required
def plan_dashboard(request, plan_code):
    plans = list(Plan.objects.order_by("start_year"))
    plan = next((p for p in plans if p.code == plan_code), None)
    if plan is None:
        raise Http404("No such plan.")
    context = dashboards.plan_dashboard(
        plan, request.user, choice=dashboards.choice_from_request(request, plan)
    )
    context.update(plan=plan, plans=plans, stale_days=settings.STALE_AFTER_DAYS)
    return render(request, "reports/plan_dashboard.html", context)


@require_safe
@login_required
def state_profile(request, code):
    state = get_object_or_404(visible_states(request.user), code=code.upper())
    plans = list(Plan.objects.with_reporting_by(state).order_by("start_year"))
    plan = plan_from(plans, request.GET.get("plan"))
    context = {"state": state, "plan": plan, "plans": plans, "reports": False}
    context["stale_days"] = settings.STALE_AFTER_DAYS
    if plan is not None and state.reports_in(plan):
        history = scope_national(StatusHistory.objects.all(), request.user, STATUS_STATE)
        context.update(
            profiles.state_profile(plan, state),
            reports=True,
            items=Paginator(
                queries.state_status_rows(plan, state).order_by(
                    "focus_area_number", "position", "code"
                ),
                STATE_PROFILE_ITEMS,
            ).get_page(request.GET.get("page")),
            recent=history.filter(
                national_status__member_state=state, national_status__action_item__plan=plan
            ).select_related("national_status__action_item", "changed_by")[:RECENT_CHANGES],
        )
    return render(request, "reports/state_profile.html", context)


@require_safe
@login_required
def item_across_states(request, item_id):
    item = get_object_or_404(ActionItem.objects.select_related("plan", "focus_area"), pk=item_id)
    links = list(
        ContinuityLink.objects.filter(Q(to_item=item) | Q(from_item=item)).select_related(
            "from_item__plan", "to_item__plan"
        )
    )
    if not sees_live_figures(request.user):
        context = {"item": item, "links": links, **profiles.accepted_item(item, request.user)}
        return render(request, "reports/item_across_states.html", context)
    states = visible_states(request.user).with_reporting_in(item.plan)
    rows = list(queries.item_across_states(item, states))
    context = {
        "item": item,
        "rows": rows,
        "tally": queries.item_tally(item),
        **profiles.continuity_rows(item, links, rows, request.user),
    }
    return render(request, "reports/item_across_states.html", context)


# --- Tables and their downloads ------------------------------------------------------------


def _table_page(request, template, table, filterset, csv_name, **context):
    """A report table's page: the table paged and sorted from the URL, its filters, its CSV."""
    if table is not None:
        RequestConfig(request).configure(table)
    context.update(table=table, filter=filterset, csv_name=csv_name)
    context["xlsx_name"] = csv_name.removesuffix("_csv") + "_xlsx"
    context["filter_query"] = _filter_query(request)
    return render(request, template, context)


@require_safe
@login_required
def status_list(request):
    table, filterset, plan = status_table(request)
    return _table_page(
        request, "reports/status_list.html", table, filterset, "reports:statuses_csv", plan=plan
    )


@require_safe
@login_required
def history_list(request):
    table, filterset = history_table(request)
    return _table_page(
        request, "reports/history_list.html", table, filterset, "reports:history_csv"
    )


@require_safe
@login_required
def evidence_list(request):
    table, filterset = evidence_table(request)
    return _table_page(
        request, "reports/evidence_list.html", table, filterset, "reports:evidence_csv"
    )
