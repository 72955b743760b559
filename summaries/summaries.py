"""Progress summaries: their figures, and making exactly one per (period, scope, plan).

A summary's period is an ISO week (or a calendar month, SUMMARY_PERIOD=month) in the site's
zone. While a period runs, its summaries are provisional and refreshed after status changes;
the first run of `make_progress_summaries` after the period ends computes them once more and
makes them final. However often, and however concurrently, that runs: rows are inserted with
ON CONFLICT DO NOTHING against the unique constraints, and updated only while not final.

Figures (JSON, `ProgressSummary.figures`), for the scope's reporting states:

    version, as_of (ISO time), period {start, end}, stale_after_days,
    pairs, status_counts {status: n}, applicable, completed, completed_share (%),
    average_progress (%), progress_total (the applicable pairs' progress added up: a region's
    figures add up from its states'), never_updated, stale,  -- over (state, item) pairs; see
    queries.py
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

After a change of one state's data, `refresh_current_summaries` computes that state's summary
afresh and adds the region's up from the states' current summaries (figures.refreshed_figures);
the periodic job computes them all afresh.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from actions.models import NationalStatus, Plan
from reviews.models import CountryReport

from .figures import STORED_KEYS, compute_figures, refreshed_figures, scopes_condition
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
    """Refresh the current period's summaries of `plan` after a change of `member_state`'s data:
    that state's and the region's.

    The state's figures are computed afresh from its own rows, the region's added up from them
    and the other states' current summaries (figures.refreshed_figures): the cost is one
    state's, however many states and items the plan has. When that cannot be done (a summary
    of the period is missing or of an earlier version, the plan's items have changed since),
    every current summary of the plan is computed afresh. Without `member_state`, the
    region's alone is.
    """
    if plan.is_closed:
        return
    today = today or local_today()
    period = period_containing(today)
    if member_state is None:
        store_summaries(plan, period, final=False, today=today, states=[])
    else:
        _refresh_state(plan, period, member_state, today=today)


@transaction.atomic
def recount_after_report_move(*, plan, member_state, today=None):
    """Recompute the current period's summaries of `plan` that a move of `member_state`'s report
    changes: the region's, in full (its compliance, its figures from accepted reports), and
    the state's (its compliance)."""
    if plan.is_closed:
        return
    today = today or local_today()
    store_summaries(
        plan, period_containing(today), final=False, today=today, states=[member_state.pk]
    )


@transaction.atomic
def _refresh_state(plan, period, member_state, *, today):
    region = _lock_region(plan, period)
    now = timezone.now()
    computed = None
    if region is not None and not region.final:
        rows = (
            ProgressSummary.objects.filter(
                plan=plan, period_start=period.start, member_state__isnull=False, final=False
            )
            .order_by()
            .values("member_state_id", *(f"figures__{key}" for key in STORED_KEYS))
        )
        # Only the keys that add up: not the lists of a state's stale and overdue items.
        stored = {
            row["member_state_id"]: {key: row[f"figures__{key}"] for key in STORED_KEYS}
            for row in rows
        }
        computed = refreshed_figures(
            plan, period, member_state, region.figures, stored, today=today, now=now
        )
    if computed is None:
        store_summaries(plan, period, final=False, today=today)
    else:
        _save(plan, period, computed, final=False, now=now)


def _lock_region(plan, period):
    """The region's summary of `plan` in `period`, its row locked until the transaction ends
    (None if there is none yet).

    Whatever writes a period's summaries takes this lock before it reads the figures it
    writes: the region's figures add up from the states' stored ones, so two refreshes of
    different states must not both add up what each other has not yet written.
    """
    return (
        ProgressSummary.objects.select_for_update()
        .filter(plan=plan, period_start=period.start, member_state__isnull=True)
        .order_by("pk")
        .first()
    )


@transaction.atomic
def store_summaries(plan, period, *, final, today, states=None):
    """Write `plan`'s summaries of `period`: the region's and those of `states` (ids; None: every
    reporting state). Missing ones are inserted; existing ones are updated unless final."""
    _lock_region(plan, period)
    now = timezone.now()
    computed = compute_figures(plan, period, today=today, now=now, states=states)
    _save(plan, period, computed, final=final, now=now)


def _save(plan, period, computed, *, final, now):
    """Insert the summaries of `computed` ({scope: figures}) that are missing, and update
    those that are not final."""
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
            scopes_condition(computed)
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
