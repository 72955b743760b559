"""What the dashboard pages show, built from the named queries, with the user's scope applied.

Per-state figures are shown only for states the user may see (`visible_states`, which goes
through `scope_national`); the regional aggregates for everyone signed in. A number links to
the status table filtered to the rows behind it only when the user may see all of those rows.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse

from actions.models import NationalStatus
from countries.access import scope_national

from . import charts, queries
from .charts import Bar, Series, StackedRow

Status = NationalStatus.Status
REGION = "All reporting states"


def statuses_url(plan, **filters):
    """The status table of `plan` filtered by `filters` (None values left out)."""
    params = {"plan": plan.code}
    params.update({key: value for key, value in filters.items() if value not in (None, "")})
    return f"{reverse('reports:statuses')}?{urlencode(params)}"


def heat_level(average):
    """0–4 for the matrix's shading by average progress (the number is always shown too)."""
    return 0 if average is None else min(int(average // 20), 4)


@dataclass
class Cell:
    tally: queries.Tally
    area: object = None  # None: all focus areas
    completed_url: str = ""
    progress_url: str = ""

    @property
    def level(self):
        return heat_level(self.tally.average_progress)


@dataclass
class Row:
    label: str
    state: object = None  # None for the region
    tally: queries.Tally | None = None  # None: the state does not report on the plan
    cells: list = field(default_factory=list)
    total: Cell | None = None
    status_urls: dict = field(default_factory=dict)  # status value -> drill-down URL
    stale_url: str = ""
    never_url: str = ""

    @property
    def is_region(self):
        return self.state is None


class Scope:
    """Which states' detail a user may see, and so which numbers may link to rows."""

    def __init__(self, visible_ids, reporting_ids):
        self.visible_ids = set(visible_ids)
        self.sees_region_rows = set(reporting_ids) <= self.visible_ids

    def may_drill(self, state):
        return self.sees_region_rows if state is None else state.pk in self.visible_ids


def _row(plan, figures, scope, label, state, tally, areas):
    drill = scope.may_drill(state)
    code = state.code if state is not None else None

    def url(**filters):
        return statuses_url(plan, state=code, **filters) if drill else ""

    def cell(tally, area=None):
        number = area.number if area is not None else None
        return Cell(
            tally,
            area=area,
            completed_url=url(focus_area=number, status=Status.COMPLETED),
            progress_url=url(focus_area=number, status="applicable"),
        )

    row = Row(label=label, state=state, tally=tally)
    if tally is None:
        return row
    row.cells = [cell(t, area) for area, t in areas]
    row.total = cell(tally)
    row.status_urls = {value: url(status=value) for value in queries.STATUS_ORDER}
    row.stale_url, row.never_url = url(stale="stale"), url(stale="never")
    return row


def plan_dashboard(plan, *, visible_ids, now=None):
    """Everything the regional dashboard of `plan` shows, for a user who sees `visible_ids`."""
    figures = queries.plan_figures(plan, now=now)
    scope = Scope(visible_ids, [state.pk for state in figures.reporting_states])
    rows = []
    for state in figures.states:
        if state.pk not in scope.visible_ids:
            continue
        tally = figures.state_total(state)
        areas = [(area, figures.cell(state, area)) for area in figures.focus_areas] if tally else []
        rows.append(_row(plan, figures, scope, state.name, state, tally, areas))
    overall = figures.overall
    region = _row(plan, figures, scope, REGION, None, overall, figures.by_focus_area())
    activity = queries.monthly_activity(plan, now=now)
    return {
        "figures": figures,
        "rows": rows,
        "region": region,
        "overall": overall,
        "sees_region_rows": scope.sees_region_rows,
        "area_chart": _area_chart(plan, figures, region),
        "distribution_chart": _distribution_chart(rows, region),
        "activity": activity,
        "activity_chart": _activity_chart(activity),
    }


def _area_chart(plan, figures, region):
    bars = [
        Bar(f"{area.number}. {area.title}", cell.tally.average_progress, cell.progress_url)
        for area, cell in zip(figures.focus_areas, region.cells, strict=True)
    ]
    return charts.bar_chart(
        bars,
        chart_id="progress-by-area",
        title=f"Average progress per focus area, {plan.short_title}",
        desc="Average progress of all reporting states' applicable actions in each focus area, "
        "in per cent. The table below gives the same figures.",
    )


def _distribution_chart(rows, region):
    stacked = [
        StackedRow(row.label, row.tally.counts if row.tally else {}, note="not a member then")
        for row in [*rows, region]
    ]
    return charts.stacked_bar_chart(
        stacked,
        chart_id="status-distribution",
        title="Status of actions per member state",
        desc="For each member state, how many actions have each status; never-updated actions "
        "count as not started. The table below gives the same figures.",
    )


def _activity_chart(activity):
    labels = [month.month.strftime("%b %Y") for month in activity]
    return charts.trend_chart(
        labels,
        [
            Series("Status changes", [month.changes for month in activity]),
            Series("Marked completed", [month.completions for month in activity]),
        ],
        chart_id="activity",
        title="Status changes per month",
        desc="How many status changes all reporting states recorded each month, and how many "
        "of them marked an action completed. The table below gives the same figures.",
    )


def state_profile(plan, state):
    """A member state's progress per focus area of `plan` (the caller checked visibility)."""
    figures = queries.plan_figures(plan, member_state=state)
    scope = Scope([state.pk], [state.pk])
    tally = figures.state_total(state)
    areas = [(area, figures.cell(state, area)) for area in figures.focus_areas] if tally else []
    row = _row(plan, figures, scope, state.name, state, tally, areas)
    bars = [
        Bar(f"{area.number}. {area.title}", cell.tally.average_progress, cell.progress_url)
        for area, cell in zip(figures.focus_areas, row.cells, strict=False)
    ]
    chart = charts.bar_chart(
        bars,
        chart_id="state-progress",
        title=f"{state.name}: average progress per focus area, {plan.short_title}",
        desc="Average progress of the state's applicable actions in each focus area, in per "
        "cent. The table below gives the same figures.",
    )
    return {"figures": figures, "row": row, "chart": chart, "focus_areas": figures.focus_areas}


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
]


def _one_decimal(value):
    return None if value is None else round(value, 1)


def _matrix_line(scope, state, plan, area, tally):
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
    ]


def matrix_csv_rows(plan, *, visible_ids, now=None):
    """The status matrix as CSV rows: each visible reporting state, then the region.

    For each: one row per focus area, then its total (focus_area empty). States that do not
    report on the plan have no rows.
    """
    figures = queries.plan_figures(plan, now=now)
    for state in figures.reporting_states:
        if state.pk not in visible_ids:
            continue
        for area in figures.focus_areas:
            yield _matrix_line("state", state, plan, area, figures.cell(state, area))
        yield _matrix_line("state", state, plan, None, figures.state_total(state))
    for area, tally in figures.by_focus_area():
        yield _matrix_line("region", None, plan, area, tally)
    yield _matrix_line("region", None, plan, None, figures.overall)


@dataclass
class LinkedRecord:
    item: object
    reporting: bool  # False: the state was not a member for the item's plan
    status: str = Status.NOT_STARTED
    progress: int | None = 0
    narrative: str = ""
    updated_at: object = None

    @property
    def status_label(self):
        return NationalStatus.display_value("status", self.status)


def continuity_rows(item, links, rows, user):
    """The records of `item`'s predecessors and successors beside each state's own row.

    `links` are the item's continuity links, `rows` the states from `item_across_states`
    (already scoped). One query, scoped through `scope_national`, whatever the number of links.
    """
    predecessors = [
        link.from_item for link in links if link.to_item_id == item.pk and link.from_item
    ]
    successors = [link.to_item for link in links if link.from_item_id == item.pk and link.to_item]
    linked = predecessors + successors
    found = {}
    if linked and rows:
        statuses = scope_national(NationalStatus.objects.all(), user).filter(
            action_item__in=linked, member_state__in=[row.pk for row in rows]
        )
        found = {(s.member_state_id, s.action_item_id): s for s in statuses}
    comparison = []
    for row in rows:
        records = []
        for other in linked:
            saved = found.get((row.pk, other.pk))
            record = LinkedRecord(other, reporting=row.reports_from <= other.plan.last_day)
            if saved is not None:
                record.status, record.progress = saved.status, saved.progress
                record.narrative, record.updated_at = saved.narrative, saved.updated_at
            records.append(record)
        comparison.append((row, records))
    return {
        "links": links,
        "predecessors": predecessors,
        "successors": successors,
        "linked": linked,
        "comparison": comparison,
    }
