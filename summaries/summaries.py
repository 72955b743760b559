"""Progress summaries: their figures, and making exactly one per (period, scope, plan).

A summary's period is an ISO week (or a calendar month, SUMMARY_PERIOD=month) in the site's
zone. While a period runs, its summaries are provisional and refreshed after status changes;
the first run of `make_progress_summaries` after the period ends computes them once more and
makes them final. However often, and however concurrently, that runs: rows are inserted with
ON CONFLICT DO NOTHING against the unique constraints, and updated only while not final.

Figures (JSON, `ProgressSummary.figures`), for the scope's reporting states:

    version, as_of (ISO time), period {start, end}, stale_after_days,
    pairs, status_counts {status: n}, applicable, completed, completed_share (%),
    average_progress (%), never_updated, stale,     -- over (state, item) pairs; see queries.py
    focus_areas [{number, title, provenance, <the same figures>}],
    overdue: pairs whose item's timeframe ended in an earlier year and that are not completed,
        ongoing or not applicable; overdue_items [{code, title, provenance, status, end_year}]
        (a state's),
    stale_items [{code, title, provenance, status, updated_at}] (a state's; at most
        STALE_ITEMS_KEPT); summaries made before provenance was stored have none,
    compliance: None without an open round, else {round, opens_on, due_on, closes_on, ...}:
        region: states, by_state {report state: n}, late, overdue_reports;
        a state: report_state, submitted_at, days_late, overdue,
    change: None without an earlier final summary, else {since, status_counts, completed_share,
        average_progress, stale, overdue, focus_areas {number: average progress change}},
    accepted (a region's only): the same tallies, states, focus_areas and change, from each
        state's latest accepted report: what observers see (ProgressSummary.figures_for).

A region summary holds aggregates only: nothing in it names a state.
"""

import datetime
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from actions.models import NationalStatus, Plan
from reviews.models import CountryReport

from .figures import compute_figures
from .models import ProgressSummary


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date


def local_today():
    """Today in the site's zone: periods and rounds are dated in it."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def period_containing(day, kind=None):
    """The summary period (ISO week, or calendar month) that contains `day`."""
    if (kind or settings.SUMMARY_PERIOD) == "month":
        start = day.replace(day=1)
        end = (start + datetime.timedelta(days=31)).replace(day=1) - datetime.timedelta(days=1)
        return Period(start, end)
    start = day - datetime.timedelta(days=day.weekday())
    return Period(start, start + datetime.timedelta(days=6))


def period_before(day, kind=None):
    """The last period that ended before `day`'s period began."""
    return period_containing(period_containing(day, kind).start - datetime.timedelta(days=1), kind)


def summarised_plans():
    """Plans that get summaries: all but closed ones."""
    return Plan.objects.exclude(status=Plan.Status.CLOSED).order_by("start_year")


# --- Making summaries ----------------------------------------------------------------------------


def make_progress_summaries(*, today=None):
    """Make final the summaries of the period just ended, and refresh the current period's.

    For every plan that is not closed: the region and each state that reports on it. Safe to
    run any number of times, also at once. Returns the period just ended and how many final
    summaries it has.
    """
    today = today or local_today()
    finished = period_before(today)
    for plan in summarised_plans():
        store_summaries(plan, finished, final=True, today=today)
        store_summaries(plan, period_containing(today), final=False, today=today)
    return finished, ProgressSummary.objects.filter(period_start=finished.start, final=True).count()


def refresh_current_summaries(*, plan, member_state=None, today=None):
    """Refresh the current period's summaries of `plan` for the region and `member_state`."""
    if plan.is_closed:
        return
    today = today or local_today()
    states = [] if member_state is None else [member_state.pk]
    store_summaries(plan, period_containing(today), final=False, today=today, states=states)


@transaction.atomic
def store_summaries(plan, period, *, final, today, states=None):
    """Write `plan`'s summaries of `period`: the region's and those of `states` (ids; None: every
    reporting state). Missing ones are inserted; existing ones are updated unless final."""
    now = timezone.now()
    computed = compute_figures(plan, period, today=today, now=now, states=states)
    ProgressSummary.objects.bulk_create(
        [
            ProgressSummary(
                plan=plan,
                member_state_id=scope,
                period_start=period.start,
                period_end=period.end,
                figures=figures,
                computed_at=now,
                final=final,
            )
            for scope, figures in computed.items()
        ],
        ignore_conflicts=True,
    )
    still_open = list(
        ProgressSummary.objects.filter(plan=plan, period_start=period.start, final=False).filter(
            _scopes_condition(computed)
        )
    )
    for summary in still_open:
        summary.figures = computed[summary.member_state_id]
        summary.computed_at = now
        summary.final = final
    # Conditional: a summary another run made final meanwhile is left as it is.
    ProgressSummary.objects.filter(final=False).bulk_update(
        still_open, ["figures", "computed_at", "final"]
    )


def _scopes_condition(scopes):
    conditions = [
        Q(member_state__isnull=True) if scope is None else Q(member_state_id=scope)
        for scope in scopes
    ]
    return reduce(or_, conditions)


# --- CSV -----------------------------------------------------------------------------------------

CSV_HEADER = (
    "Scope",
    "Plan",
    "Period start",
    "Period end",
    "Section",
    "Focus area or item",
    "Measure",
    "Value",
    "Change since previous summary",
    "Provenance",
)


def csv_rows(summary, figures):
    """The rows of a summary's CSV download (see CSV_HEADER): its `figures` as the user may
    see them (`ProgressSummary.figures_for`)."""
    change = figures.get("change") or {}
    lead = (summary.scope_name, summary.plan.short_title, summary.period_start, summary.period_end)
    status_changes = change.get("status_counts", {})
    rows = [
        (
            "Overall",
            "",
            "Member states with an accepted report"
            if figures.get("accepted_only")
            else "Member states",
            figures["states"],
            None,
        ),
        (
            "Overall",
            "",
            "Average progress (%)",
            figures["average_progress"],
            change.get("average_progress"),
        ),
        (
            "Overall",
            "",
            "Completed share (%)",
            figures["completed_share"],
            change.get("completed_share"),
        ),
        (
            "Overall",
            "",
            "Actions × states" if summary.is_regional else "Actions",
            figures["pairs"],
            None,
        ),
        *(
            ("Status", "", label, figures["status_counts"].get(value, 0), status_changes.get(value))
            for value, label in NationalStatus.Status.choices
        ),
    ]
    for area in figures["focus_areas"]:
        name = f"{area['number']}. {area['title']}"
        provenance = area.get("provenance")
        rows += [
            (
                "Focus area",
                name,
                "Average progress (%)",
                area["average_progress"],
                change.get("focus_areas", {}).get(str(area["number"])),
                provenance,
            ),
            ("Focus area", name, "Completed", area["completed"], None, provenance),
            (
                "Focus area",
                name,
                "Completed share (%)",
                area["completed_share"],
                None,
                provenance,
            ),
        ]
    if not figures.get("accepted_only"):
        rows += [
            (
                "Attention",
                "",
                f"Not updated for {figures['stale_after_days']} days",
                figures["stale"],
                change.get("stale"),
            ),
            ("Attention", "", "Never updated", figures["never_updated"], None),
            ("Attention", "", "Overdue", figures["overdue"], change.get("overdue")),
        ]
    rows += [
        (
            "Not updated",
            f"{item['code']} {item['title']}",
            "Last updated",
            datetime.datetime.fromisoformat(item["updated_at"]),
            None,
            item.get("provenance"),
        )
        for item in figures["stale_items"]
    ]
    rows += [
        (
            "Overdue",
            f"{item['code']} {item['title']}",
            "Timeframe ended",
            item["end_year"],
            None,
            item.get("provenance"),
        )
        for item in figures["overdue_items"]
    ]
    compliance = figures.get("compliance")
    if compliance and summary.is_regional:
        rows += [
            (
                "Reporting",
                compliance["round"],
                f"Reports {label.lower()}",
                compliance["by_state"].get(value, 0),
                None,
            )
            for value, label in CountryReport.State.choices
        ]
        rows.append(
            (
                "Reporting",
                compliance["round"],
                "Reports overdue",
                compliance["overdue_reports"],
                None,
            )
        )
    elif compliance:
        rows += [
            (
                "Reporting",
                compliance["round"],
                "Report",
                CountryReport.State(compliance["report_state"]).label,
                None,
            ),
            ("Reporting", compliance["round"], "Days late", compliance["days_late"], None),
        ]
    # The last column, provenance, is the focus area's or action's; empty for other rows.
    return ((*lead, *row, *([None] * (len(CSV_HEADER) - len(lead) - len(row)))) for row in rows)
