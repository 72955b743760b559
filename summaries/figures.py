"""The figures of a progress summary (its JSON), computed in SQL through the named queries.

The fields are described in summaries/summaries.py.
"""

from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import Max, Q

from actions.models import ActionItem, NationalStatus
from actions.queries import STATUS_ORDER, Tally, plan_figures, stale_cutoff
from countries.models import MemberState
from reviews.models import CountryReport, ReportingRound
from reviews.queries import accepted_plan_figures, compliance_rows, compliance_summary

from .models import ProgressSummary

# 2: every tally carries its progress_total, so that a region's figures add up from its states'.
FIGURES_VERSION = 2
STALE_ITEMS_KEPT = 50
# An item in one of these is not overdue, whatever its timeframe.
SETTLED = (
    NationalStatus.Status.COMPLETED,
    NationalStatus.Status.ONGOING,
    NationalStatus.Status.NOT_APPLICABLE,
)
SUBMITTED = (CountryReport.State.SUBMITTED, CountryReport.State.ACCEPTED)


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
    common = _common(period, now)

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
        result[state.pk] = _state_figures(
            common,
            figures,
            state,
            overdue_items=overdue_items.get(state.pk, []),
            stale_items=stale_items.get(state.pk, []),
            compliance=compliance and _state_compliance(*compliance, state, today),
        )
    for scope, values in result.items():
        values["change"] = change_between(values, previous.get(scope))
    earlier = previous.get(None)
    earlier_accepted = earlier.figures.get("accepted", {}) if earlier else None
    accepted["change"] = change_between(accepted, earlier, earlier_accepted)
    return result


# The keys of a state's stored figures that `refreshed_figures` reads.
STORED_KEYS = (
    "version",
    "status_counts",
    "progress_total",
    "never_updated",
    "stale",
    "focus_areas",
    "overdue",
    "compliance",
)


def refreshed_figures(plan, period, member_state, region, stored, *, today, now):
    """{None: the region's figures, member_state's id: the state's} for `plan` in `period` after
    a change of `member_state`'s statuses or evidence, or None when the stored figures cannot
    stand in for the other states' (then compute_figures must run).

    The state's figures come afresh from its own rows (about eight queries, each reading one
    state's rows); the region's tallies, focus areas and overdue count add up from them and
    `stored` ({state id: its current summary's STORED_KEYS}). What a status change does not
    change is kept from the state's and the region's (`region`) current figures: the open
    round's compliance and the figures from accepted reports. The result is what
    compute_figures gives for these two scopes as long as the stored figures are (the periodic
    job computes them all afresh).
    """
    figures = plan_figures(plan, member_state, now=now)
    if not figures.reporting_states or region.get("version") != FIGURES_VERSION:
        return None
    state = figures.reporting_states[0]
    reporting = set(MemberState.objects.reporting_in(plan).order_by().values_list("pk", flat=True))
    others = {scope: stored.get(scope) for scope in reporting - {state.pk}}
    if not all(_adds_up(values, figures.focus_areas) for values in others.values()):
        return None
    own = stored.get(state.pk)
    if own is None or own.get("version") != FIGURES_VERSION:
        return None
    previous = _previous_final(plan, period, scopes=(None, state.pk))
    common = _common(period, now)
    values = _state_figures(
        common,
        figures,
        state,
        overdue_items=_overdue_items(plan, today, [state]).get(state.pk, []),
        stale_items=_stale_items(plan, now, member_state=state).get(state.pk, []),
        compliance=own["compliance"],
    )
    tallies = {scope: _stored_tally(other) for scope, other in others.items()}
    tallies[state.pk] = figures.state_total(state)
    cells = {
        (scope, area.number): _stored_tally(stored_area)
        for scope, other in others.items()
        for area, stored_area in zip(figures.focus_areas, other["focus_areas"], strict=True)
    }
    cells.update(
        {(state.pk, area.number): figures.cell(state, area) for area in figures.focus_areas}
    )
    result = {
        None: {
            **common,
            **_tally_figures(sum(tallies.values(), Tally())),
            "states": len(reporting),
            "focus_areas": [
                _area_figures(area, sum((cells[scope, area.number] for scope in tallies), Tally()))
                for area in figures.focus_areas
            ],
            "overdue": values["overdue"] + sum(other["overdue"] for other in others.values()),
            "overdue_items": [],
            "stale_items": [],
            "compliance": region.get("compliance"),
            "accepted": region.get("accepted"),
        },
        state.pk: values,
    }
    for scope, scope_values in result.items():
        scope_values["change"] = change_between(scope_values, previous.get(scope))
    return result


def _adds_up(values, focus_areas):
    """Whether a state's stored figures can be added up with fresh ones: of this version, and
    with the plan's focus areas as they are now (each with one pair per item)."""
    if values is None or values.get("version") != FIGURES_VERSION:
        return False
    stored_areas = values.get("focus_areas") or []
    return [(area.get("number"), area.get("pairs")) for area in stored_areas] == [
        (area.number, area.item_count) for area in focus_areas
    ]


def _stored_tally(values):
    """The Tally behind stored figures (see _tally_figures)."""
    counts = values["status_counts"]
    return Tally(
        counts={status: counts.get(status, 0) for status in STATUS_ORDER},
        progress_total=values["progress_total"],
        never_updated=values["never_updated"],
        stale=values["stale"],
    )


def _common(period, now):
    return {
        "version": FIGURES_VERSION,
        "as_of": now.isoformat(),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "stale_after_days": settings.STALE_AFTER_DAYS,
    }


def _state_figures(common, figures, state, *, overdue_items, stale_items, compliance):
    return {
        **common,
        **_tally_figures(figures.state_total(state)),
        "states": 1,
        "focus_areas": [
            _area_figures(area, figures.cell(state, area)) for area in figures.focus_areas
        ],
        "overdue": len(overdue_items),
        "overdue_items": overdue_items,
        "stale_items": stale_items[:STALE_ITEMS_KEPT],
        "compliance": compliance,
    }


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
        "progress_total": tally.progress_total,
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


def _stale_items(plan, now, member_state=None):
    """{state id: [item, ...]} of statuses last changed before the stale cutoff, oldest first
    (only `member_state`'s when given)."""
    statuses = NationalStatus.objects.filter(
        action_item__plan=plan,
        member_state__reports_from__lte=plan.last_day,
        updated_at__lt=stale_cutoff(now),
    )
    if member_state is not None:
        statuses = statuses.filter(member_state=member_state)
    rows = statuses.order_by("updated_at", "action_item__position").values(
        "member_state_id",
        "action_item__code",
        "action_item__title",
        "action_item__provenance",
        "status",
        "updated_at",
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
            action_item__in=[item["pk"] for item in ended],
            member_state__in=[state.pk for state in reporting_states],
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


def _previous_final(plan, period, scopes=None):
    """{scope: the latest final summary before `period`} for every scope of `plan` (those of
    `scopes` when given: None for the region, state ids): 2 queries."""
    earlier = ProgressSummary.objects.filter(plan=plan, final=True, period_start__lt=period.start)
    if scopes is not None:
        earlier = earlier.filter(scopes_condition(scopes))
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


def scopes_condition(scopes):
    """Summaries of the scopes `scopes` (None for the region, state ids)."""
    conditions = [
        Q(member_state__isnull=True) if scope is None else Q(member_state_id=scope)
        for scope in scopes
    ]
    return reduce(or_, conditions)


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
