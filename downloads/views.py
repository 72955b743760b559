"""The downloads of the regional view: each table's rows as CSV or Excel, the status matrix,
a state's report in a round, the update file and the regional brief (PDF).

A table's download builds the table as its page does (`regional.tables`), so it holds exactly
the rows the page shows — filters, sort and scope — on every page of it.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from accounts.policy import can_edit_status, editable_state, scope_submitted
from actions import queries
from actions.models import Plan, Provenance
from core.csv import ITERATOR_CHUNK, csv_response
from core.pdf import pdf_response
from core.xlsx import xlsx_response
from regional import dashboards
from regional.tables import evidence_table, history_table, status_table
from reviews.models import ReportingRound, Submission, SubmissionItem

from . import columns, matrix, rows

DOWNLOADS_DOC = Path(settings.BASE_DIR) / "docs" / "downloads.md"


def download(fmt, name, header, rows, *, title=""):
    """The CSV or Excel download of `rows`, each `(values, is_provisional)`."""
    if fmt == "xlsx":
        return xlsx_response(name, header, rows, title=title, provisional_rows=True)
    return csv_response(name, header, (values for values, _ in rows))


def _table_download(request, table, name, fmt, python_columns, sql_values, **options):
    """The download of `table` (sorted as the URL asks, all pages) under `name`."""
    RequestConfig(request, paginate=False).configure(table)
    records = table.ordered_rows()
    if fmt == "csv":
        return rows.csv_download(name, records, python_columns, sql_values, ITERATOR_CHUNK)
    return rows.xlsx_download(
        name, records, python_columns, sql_values, ITERATOR_CHUNK, title=table.caption, **options
    )


@require_safe
@login_required
def status_csv(request, fmt="csv"):
    table, _, _ = status_table(request)
    if table is None:
        return download(fmt, "statuses", columns.header(columns.STATUS_COLUMNS), [])
    return _table_download(
        request,
        table,
        "statuses",
        fmt,
        columns.STATUS_COLUMNS,
        columns.STATUS_VALUES,
        provenance="provenance",  # a status row is its action item
    )


@require_safe
@login_required
def history_csv(request, fmt="csv"):
    table, _ = history_table(request)
    return _table_download(
        request, table, "history", fmt, columns.HISTORY_COLUMNS, columns.HISTORY_VALUES
    )


@require_safe
@login_required
def evidence_csv(request, fmt="csv"):
    table, _ = evidence_table(request)
    return _table_download(
        request, table, "evidence", fmt, columns.EVIDENCE_COLUMNS, columns.EVIDENCE_VALUES
    )


@require_safe
@login_required
def plan_matrix_csv(request, plan_code, fmt="csv"):
    plan = get_object_or_404(Plan, code=plan_code)
    choice = dashboards.choice_from_request(request, plan)
    lines = ((line, False) for line in matrix.matrix_csv_rows(plan, request.user, choice=choice))
    title = f"Status matrix, {plan.short_title}"
    return download(fmt, "status-matrix", matrix.MATRIX_CSV_HEADER, lines, title=title)


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
    status_columns = columns.STATUS_COLUMNS
    lines = (([value(r) for _, value in status_columns], rows.is_provisional(r)) for r in records)
    name = f"update-{state.code.lower()}-{plan.code}"
    title = f"Update file of {state}, {plan.short_title}"
    return download(fmt, name, columns.header(status_columns), lines, title=title)


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


@require_safe
@login_required
def round_report_csv(request, round_id, code, fmt="csv"):
    """A state's report in a round as submitted (?submission=N, default the latest one the
    user may see: observers only an accepted one)."""
    reporting_round = get_object_or_404(ReportingRound.objects.select_related("plan"), pk=round_id)
    submission = _submission_shown(request, reporting_round, code)
    state = submission.report.member_state
    name = f"report-{state.code.lower()}-{slugify(reporting_round.name) or reporting_round.pk}"
    title = f"{state}, {reporting_round.name}: submission {submission.number}"
    header = columns.header(columns.ROUND_REPORT_COLUMNS)
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
            [value(submission, item) for _, value in columns.ROUND_REPORT_COLUMNS],
            item.provenance == Provenance.PROVISIONAL,
        )
        for item in items.iterator(chunk_size=ITERATOR_CHUNK)
    )
