"""Dashboards, report tables and CSV downloads: read only, for signed-in users.

Every per-state row comes through accounts.policy (`visible_states` / `scope_national`): a
focal point sees their own state's detail and the regional aggregates only, an observer the
regional aggregates; a CSV holds exactly the rows of the table it downloads.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from accounts.policy import (
    can_edit_status,
    editable_state,
    scope_national,
    scope_submitted,
    sees_live_figures,
    visible_states,
)
from actions import queries
from actions.models import ActionItem, ContinuityLink, Evidence, Plan, Provenance, StatusHistory
from core.csv import ITERATOR_CHUNK, csv_response
from core.pdf import pdf_response
from core.xlsx import xlsx_response
from reviews.models import ReportingRound, Submission, SubmissionItem

from . import dashboards, matrix, profiles
from .filters import EvidenceFilter, HistoryFilter, StatusFilter
from .tables import ROUND_REPORT_COLUMNS, EvidenceTable, HistoryTable, StatusTable

RECENT_CHANGES = 10
# Actions per page of a state's profile: a plan of 1,500 actions is not one page of 650 KB.
STATE_PROFILE_ITEMS = 50
DOWNLOADS_DOC = Path(settings.BASE_DIR) / "docs" / "downloads.md"
NOT_FILTERS = ("page", "per_page")
# The path from a history or evidence row to its member state, for `scope_national`.
_STATUS_STATE = "national_status__member_state"


def _filter_query(request):
    """The request's query string without paging: what a download or a shared link keeps."""
    params = request.GET.copy()
    for name in NOT_FILTERS:
        params.pop(name, None)
    return params.urlencode()


def _plan_from(plans, code):
    """The plan named `code` among `plans`, else the current one, else the newest."""
    by_code = {plan.code: plan for plan in plans}
    if code in by_code:
        return by_code[code]
    current = next((p for p in plans if p.status == Plan.Status.IN_FORCE), None)
    drafts = [p for p in plans if p.status == Plan.Status.DRAFT]
    return current or (drafts[-1] if drafts else None) or (plans[-1] if plans else None)


def download(fmt, name, header, rows, *, title=""):
    """The CSV or Excel download of `rows`, each `(values, is_provisional)`."""
    if fmt == "xlsx":
        return xlsx_response(name, header, rows, title=title, provisional_rows=True)
    return csv_response(name, header, (values for values, _ in rows))


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
    context = dashboards.plan_dashboard(plan, request.user, choice=_dashboard_choice(request, plan))
    context.update(plan=plan, plans=plans, stale_days=settings.STALE_AFTER_DAYS)
    return render(request, "reports/plan_dashboard.html", context)


def _dashboard_choice(request, plan):
    """The dashboard's figures and focus area, as the URL asks (one query: the plan's rounds)."""
    rounds = ReportingRound.objects.filter(plan=plan).order_by("-opens_on")
    return dashboards.dashboard_choice(request.user, list(rounds), request.GET)


@require_safe
@login_required
def plan_matrix_csv(request, plan_code, fmt="csv"):
    plan = get_object_or_404(Plan, code=plan_code)
    choice = _dashboard_choice(request, plan)
    rows = ((row, False) for row in matrix.matrix_csv_rows(plan, request.user, choice=choice))
    title = f"Status matrix, {plan.short_title}"
    return download(fmt, "status-matrix", matrix.MATRIX_CSV_HEADER, rows, title=title)


@require_safe
@login_required
def plan_brief_pdf(request, plan_code):
    """The regional brief of a plan as a PDF: the dashboard's figures, scoped like it."""
    plan = get_object_or_404(Plan, code=plan_code)
    context = dashboards.plan_dashboard(plan, request.user)
    context.update(
        plan=plan,
        matrix_rows=[*context["rows"], context["region"]],
        provisional_items=plan.action_items.filter(provenance=Provenance.PROVISIONAL).count(),
    )
    name = f"rpa-brief-{plan.code}-{timezone.localdate().isoformat()}.pdf"
    return pdf_response(name, "documents/regional_brief.html", context, request)


@require_safe
@login_required
def state_profile(request, code):
    state = get_object_or_404(visible_states(request.user), code=code.upper())
    plans = list(Plan.objects.with_reporting_by(state).order_by("start_year"))
    plan = _plan_from(plans, request.GET.get("plan"))
    context = {"state": state, "plan": plan, "plans": plans, "reports": False}
    context["stale_days"] = settings.STALE_AFTER_DAYS
    if plan is not None and state.reports_in(plan):
        history = scope_national(StatusHistory.objects.all(), request.user, _STATUS_STATE)
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


def _status_table(request):
    """The status table of the plan in the URL (default: the current plan), filtered."""
    plans = list(Plan.objects.order_by("start_year"))
    data = request.GET.copy()
    plan = _plan_from(plans, data.get("plan"))
    if plan is None:
        return None, None, None
    data["plan"] = plan.code
    states = list(visible_states(request.user).reporting_in(plan).order_by("name"))
    focus_areas = list(plan.focus_areas.order_by("number"))
    filterset = StatusFilter(data, plans=plans, states=states, focus_areas=focus_areas)
    chosen = filterset.chosen("state")
    if chosen:
        states = [state for state in states if state.code == chosen]
    pairs = queries.status_pairs(plan, states, refine=filterset.filter_queryset)
    table = StatusTable(pairs, caption=f"National statuses, {plan.short_title}")
    return table, filterset, plan


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
    table, filterset, plan = _status_table(request)
    return _table_page(
        request, "reports/status_list.html", table, filterset, "reports:statuses_csv", plan=plan
    )


@require_safe
@login_required
def status_csv(request, fmt="csv"):
    table, _, _ = _status_table(request)
    if table is None:
        return download(fmt, "statuses", StatusTable.csv_header(), [])
    return _table_download(request, table, "statuses", fmt)


def _table_download(request, table, name, fmt):
    RequestConfig(request, paginate=False).configure(table)
    if fmt == "csv":
        rows, cells = table.csv_rows(ITERATOR_CHUNK)
        return csv_response(name, table.csv_header(), rows, cells=cells)
    rows = table.xlsx_rows(ITERATOR_CHUNK)
    return download(fmt, name, table.csv_header(), rows, title=table.caption)


@require_safe
@login_required
def update_file(request, fmt="csv"):
    """The user's own state's update file: its statuses of the current plan, to edit and
    upload again (actions' bulk update reads the same columns)."""
    state, plan = editable_state(request.user), Plan.objects.current()
    if state is None or plan is None or not can_edit_status(request.user, state, plan):
        raise PermissionDenied("Only focal points and coordinators update their own state.")
    records = (
        queries.state_status_rows(plan, state)
        .order_by("focus_area_number", "position", "code")
        .iterator(chunk_size=ITERATOR_CHUNK)
    )
    rows = ((StatusTable.csv_row(r), r.provenance == Provenance.PROVISIONAL) for r in records)
    name = f"update-{state.code.lower()}-{plan.code}"
    title = f"Update file of {state}, {plan.short_title}"
    return download(fmt, name, StatusTable.csv_header(), rows, title=title)


@require_safe
@login_required
def downloads_help(request):
    """The downloads' documentation (docs/downloads.md): its text under linkable headings."""
    sections, heading, lines = [], None, []
    for line in [*DOWNLOADS_DOC.read_text(encoding="utf-8").splitlines(), "## "]:
        if line.startswith("# "):
            continue
        if line.startswith("## ") or line.startswith("### "):
            if heading or "".join(lines).strip():
                sections.append({"heading": heading, "text": "\n".join(lines).strip("\n")})
            heading = {"level": line.count("#", 0, 4), "title": line.lstrip("# ").strip()}
            heading["id"] = slugify(heading["title"])
            lines = []
        else:
            lines.append(line)
    return render(request, "reports/downloads_help.html", {"sections": sections})


def _status_rows_table(request, rows, filter_class, table_class, caption):
    """A table of the history or evidence `rows` the user may see, filtered from the URL."""
    filterset = filter_class(
        request.GET,
        queryset=scope_national(rows, request.user, _STATUS_STATE),
        plans=Plan.objects.order_by("start_year"),
        states=visible_states(request.user).order_by("name"),
    )
    return table_class(filterset.qs, caption=caption), filterset


def _history_table(request):
    rows = StatusHistory.objects.select_related(
        "national_status__member_state",
        "national_status__action_item__plan",
        "changed_by",
    )
    return _status_rows_table(request, rows, HistoryFilter, HistoryTable, "Status history")


@require_safe
@login_required
def history_list(request):
    table, filterset = _history_table(request)
    return _table_page(
        request, "reports/history_list.html", table, filterset, "reports:history_csv"
    )


@require_safe
@login_required
def history_csv(request, fmt="csv"):
    table, _ = _history_table(request)
    return _table_download(request, table, "history", fmt)


def _evidence_table(request):
    rows = Evidence.objects.select_related(
        "national_status__member_state",
        "national_status__action_item__plan",
        "added_by",
        "reviewed_by",
    )
    return _status_rows_table(request, rows, EvidenceFilter, EvidenceTable, "Evidence")


@require_safe
@login_required
def evidence_list(request):
    table, filterset = _evidence_table(request)
    return _table_page(
        request, "reports/evidence_list.html", table, filterset, "reports:evidence_csv"
    )


@require_safe
@login_required
def evidence_csv(request, fmt="csv"):
    table, _ = _evidence_table(request)
    return _table_download(request, table, "evidence", fmt)


@require_safe
@login_required
def round_report_csv(request, round_id, code, fmt="csv"):
    """A state's report in a round as submitted (?submission=N, default the latest one the
    user may see: observers only an accepted one)."""
    reporting_round = get_object_or_404(ReportingRound.objects.select_related("plan"), pk=round_id)
    submission = _submission_shown(request, reporting_round, code)
    state = submission.report.member_state
    name = f"report-{state.code.lower()}-{slugify(reporting_round.name) or reporting_round.pk}"
    header = [header for header, _ in ROUND_REPORT_COLUMNS]
    title = f"{state}, {reporting_round.name}: submission {submission.number}"
    return download(fmt, name, header, _submission_rows(submission), title=title)


def _submission_shown(request, reporting_round, code):
    """The submission asked for (?submission=N) or the latest one the user may see; else 404."""
    submissions = scope_submitted(
        Submission.objects.filter(
            report__round=reporting_round, report__member_state__code=code.upper()
        ),
        request.user,
    ).select_related("report__member_state")
    wanted = request.GET.get("submission", "")
    if wanted.isdigit() and len(wanted) < 6:
        submissions = submissions.filter(number=int(wanted))
    submission = submissions.order_by("-number").first()
    if submission is None:
        raise Http404("No submitted report you may see.")
    submission.report.round = reporting_round
    return submission


def _submission_rows(submission):
    """The frozen items of `submission` as download rows, with whether each is provisional."""
    items = (
        SubmissionItem.objects.filter(submission=submission)
        .annotate(provenance=F("action_item__provenance"))
        .order_by("focus_area_number", "position", "code")
    )
    return (
        (
            [value(submission, item) for _, value in ROUND_REPORT_COLUMNS],
            item.provenance == Provenance.PROVISIONAL,
        )
        for item in items.iterator(chunk_size=ITERATOR_CHUNK)
    )
