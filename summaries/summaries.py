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
from django.db.models import Max, Q
from django.utils import timezone

from actions.models import ActionItem, NationalStatus, Plan
from actions.queries import plan_figures, stale_cutoff
from reviews.models import CountryReport, ReportingRound
from reviews.queries import accepted_plan_figures, compliance_rows, compliance_summary

from .models import ProgressSummary

FIGURES_VERSION = 1
STALE_ITEMS_KEPT = 50
# An item in one of these is not overdue, whatever its timeframe.
SETTLED = (
    NationalStatus.Status.COMPLETED,
    NationalStatus.Status.ONGOING,
    NationalStatus.Status.NOT_APPLICABLE,
)
SUBMITTED = (CountryReport.State.SUBMITTED, CountryReport.State.ACCEPTED)


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


# --- Figures -------------------------------------------------------------------------------------


def compute_figures(plan, period, *, today, now, states=None):
    """{None: the region's figures, state id: the state's, ...} for `plan` in `period`.

    Fifteen queries at most, however many states, items and summaries there are.
    """
    figures = plan_figures(plan, now=now)
    reporting = [
        state for state in figures.reporting_states if states is None or state.pk in states
    ]
    stale_items = _stale_items(plan, now)
    overdue_items = _overdue_items(plan, today, figures.reporting_states)
    compliance = _compliance(plan, today)
    previous = _previous_final(plan, period)
    accepted = _accepted_figures(plan)
    common = {
        "version": FIGURES_VERSION,
        "as_of": now.isoformat(),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "stale_after_days": settings.STALE_AFTER_DAYS,
    }

    region = {
        **common,
        **_tally_figures(figures.overall),
        "states": len(figures.reporting_states),
        "focus_areas": [_area_figures(area, tally) for area, tally in figures.by_focus_area()],
        "overdue": sum(len(items) for items in overdue_items.values()),
        "overdue_items": [],
        "stale_items": [],
        "compliance": compliance and _region_compliance(*compliance, today),
        "accepted": accepted,
    }
    result = {None: region}
    for state in reporting:
        result[state.pk] = {
            **common,
            **_tally_figures(figures.state_total(state)),
            "states": 1,
            "focus_areas": [
                _area_figures(area, figures.cell(state, area)) for area in figures.focus_areas
            ],
            "overdue": len(overdue_items.get(state.pk, [])),
            "overdue_items": overdue_items.get(state.pk, []),
            "stale_items": stale_items.get(state.pk, [])[:STALE_ITEMS_KEPT],
            "compliance": compliance and _state_compliance(*compliance, state, today),
        }
    for scope, values in result.items():
        values["change"] = change_between(values, previous.get(scope))
    earlier = previous.get(None)
    earlier_accepted = earlier.figures.get("accepted", {}) if earlier else None
    accepted["change"] = change_between(accepted, earlier, earlier_accepted)
    return result


def _round(number):
    return None if number is None else round(number, 1)


def _tally_figures(tally):
    return {
        "pairs": tally.total,
        "status_counts": dict(tally.counts),
        "applicable": tally.applicable,
        "completed": tally.completed,
        "completed_share": _round(tally.completed_share),
        "average_progress": _round(tally.average_progress),
        "never_updated": tally.never_updated,
        "stale": tally.stale,
    }


def _area_figures(area, tally):
    return {
        "number": area.number,
        "title": area.title,
        "provenance": area.provenance,
        **_tally_figures(tally),
    }


def _accepted_figures(plan):
    """The region's figures from each state's latest accepted report (4 queries)."""
    accepted = accepted_plan_figures(plan)
    return {
        **_tally_figures(accepted.overall),
        "states": len(accepted.reporting_states),
        "focus_areas": [_area_figures(area, tally) for area, tally in accepted.by_focus_area()],
    }


def _stale_items(plan, now):
    """{state id: [item, ...]} of statuses last changed before the stale cutoff, oldest first."""
    rows = (
        NationalStatus.objects.filter(
            action_item__plan=plan,
            member_state__reports_from__lte=plan.last_day,
            updated_at__lt=stale_cutoff(now),
        )
        .order_by("updated_at", "action_item__position")
        .values(
            "member_state_id",
            "action_item__code",
            "action_item__title",
            "action_item__provenance",
            "status",
            "updated_at",
        )
    )
    items = {}
    for row in rows:
        items.setdefault(row["member_state_id"], []).append(
            {
                "code": row["action_item__code"],
                "title": row["action_item__title"],
                "provenance": row["action_item__provenance"],
                "status": row["status"],
                "updated_at": row["updated_at"].isoformat(),
            }
        )
    return items


def _overdue_items(plan, today, reporting_states):
    """{state id: [item, ...]} of items whose timeframe ended before this year, not settled."""
    ended = list(
        ActionItem.objects.filter(plan=plan, end_year__lt=today.year)
        .order_by("position", "code")
        .values("pk", "code", "title", "provenance", "end_year")
    )
    if not ended:
        return {}
    statuses = {
        (row["member_state_id"], row["action_item_id"]): row["status"]
        for row in NationalStatus.objects.filter(
            action_item__in=[item["pk"] for item in ended]
        ).values("member_state_id", "action_item_id", "status")
    }
    result = {}
    for state in reporting_states:
        for item in ended:
            status = statuses.get((state.pk, item["pk"]), NationalStatus.Status.NOT_STARTED)
            if status not in SETTLED:
                result.setdefault(state.pk, []).append(
                    {
                        "code": item["code"],
                        "title": item["title"],
                        "provenance": item["provenance"],
                        "status": status,
                        "end_year": item["end_year"],
                    }
                )
    return result


def _compliance(plan, today):
    """(round, [ComplianceRow, ...]) for the round of `plan` open on `today`, or None."""
    rounds = ReportingRound.objects.filter(plan=plan).open_on(today).select_related("plan")
    round_ = rounds.order_by("-opens_on").first()
    if round_ is None:
        return None
    return round_, compliance_rows(round_, on=today)


def _round_figures(round_):
    return {
        "round": round_.name,
        "opens_on": round_.opens_on.isoformat(),
        "due_on": round_.due_on.isoformat(),
        "closes_on": round_.closes_on.isoformat(),
    }


def _is_overdue(round_, row, today):
    return today > round_.due_on and row.report_state not in SUBMITTED


def _region_compliance(round_, rows, today):
    counts = compliance_summary(rows)
    return {
        **_round_figures(round_),
        "states": counts["total"],
        "by_state": counts["by_state"],
        "late": counts["late"],
        "overdue_reports": sum(1 for row in rows if _is_overdue(round_, row, today)),
    }


def _state_compliance(round_, rows, state, today):
    row = next((row for row in rows if row.state.pk == state.pk), None)
    if row is None:
        return None
    return {
        **_round_figures(round_),
        "report_state": row.report_state,
        "submitted_at": row.submitted_at and row.submitted_at.isoformat(),
        "days_late": row.days_late,
        "overdue": _is_overdue(round_, row, today),
    }


def _previous_final(plan, period):
    """{scope: the latest final summary before `period`} for every scope of `plan`: 2 queries."""
    earlier = ProgressSummary.objects.filter(plan=plan, final=True, period_start__lt=period.start)
    latest = earlier.values("member_state_id").annotate(start=Max("period_start")).order_by()
    conditions = [
        Q(member_state__isnull=True, period_start=row["start"])
        if row["member_state_id"] is None
        else Q(member_state_id=row["member_state_id"], period_start=row["start"])
        for row in latest
    ]
    if not conditions:
        return {}
    return {summary.member_state_id: summary for summary in earlier.filter(reduce(or_, conditions))}


def _difference(new, old):
    return None if new is None or old is None else round(new - old, 1)


def change_between(figures, previous, old=None):
    """How `figures` differ from `old`, by default the figures of the summary `previous`
    (None: no change to show)."""
    if previous is None:
        return None
    old = previous.figures if old is None else old
    if not old:
        return None
    old_areas = {area["number"]: area for area in old.get("focus_areas", [])}
    return {
        "since": previous.period_start.isoformat(),
        "since_id": previous.pk,
        "status_counts": {
            status: count - old.get("status_counts", {}).get(status, 0)
            for status, count in figures["status_counts"].items()
        },
        "completed_share": _difference(figures["completed_share"], old.get("completed_share")),
        "average_progress": _difference(figures["average_progress"], old.get("average_progress")),
        "stale": _difference(figures["stale"], old.get("stale")),
        "overdue": _difference(figures.get("overdue"), old.get("overdue")),
        "focus_areas": {
            str(area["number"]): _difference(
                area["average_progress"],
                old_areas.get(area["number"], {}).get("average_progress"),
            )
            for area in figures["focus_areas"]
        },
    }


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
