"""The status matrix download: the dashboard's figures, one line per state and focus area."""

from actions import queries
from actions.models import NationalStatus
from regional.dashboards import REGION, dashboard_choice, figures_for, narrowed

Status = NationalStatus.Status


MATRIX_CSV_HEADER = [
    "scope",
    "member_state_code",
    "member_state",
    "plan",
    "focus_area",
    "focus_area_title",
    "items",
    "applicable",
    "completed_percent",
    "average_progress",
    *queries.STATUS_ORDER,
    "never_updated",
    "stale",
    "source",
    "round",
    "provenance",
]


def _one_decimal(value):
    return None if value is None else round(value, 1)


def _matrix_line(scope, state, plan, area, tally, submission=None, accepted=False):
    return [
        scope,
        state.code if state else "",
        state.name if state else REGION,
        plan.code,
        area.number if area else None,
        area.title if area else "All focus areas",
        tally.total,
        tally.applicable,
        _one_decimal(tally.completed_share),
        _one_decimal(tally.average_progress),
        *(tally.counts[value] for value in queries.STATUS_ORDER),
        tally.never_updated,
        tally.stale,
        "accepted" if accepted else "live",
        submission.report.round.name if submission else "",
        area.provenance if area else None,
    ]


def matrix_csv_rows(plan, user, *, choice=None, now=None):
    """The status matrix as CSV rows: each state whose figures `user` sees, then the region.

    For each: one row per focus area, then its total (focus_area empty). States that do not
    report on the plan have no rows. The figures are those `choice` asks for, as on the
    dashboard (default: live; observers: accepted), of one focus area if it names one.
    """
    choice = choice or dashboard_choice(user, [], {})
    figures, visible_ids, _ = figures_for(
        plan, user, now, accepted=choice.accepted, reporting_round=choice.reporting_round
    )
    area = next((a for a in figures.focus_areas if str(a.number) == choice.area), None)
    figures = narrowed(figures, area)
    accepted = figures.accepted
    for state in figures.reporting_states:
        if state.pk not in visible_ids:
            continue
        submission = figures.submissions.get(state.pk)
        for area in figures.focus_areas:
            cell = figures.cell(state, area)
            yield _matrix_line("state", state, plan, area, cell, submission, accepted)
        total = figures.state_total(state)
        yield _matrix_line("state", state, plan, None, total, submission, accepted)
    for area, tally in figures.by_focus_area():
        yield _matrix_line("region", None, plan, area, tally, accepted=accepted)
    yield _matrix_line("region", None, plan, None, figures.overall, accepted=accepted)
