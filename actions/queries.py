"""Named read queries for dashboards, tables, exports and progress summaries.

Every figure is aggregated in SQL (GROUP BY with COUNT/SUM); Python only adds up the few
grouped rows that come back (at most states × focus areas × statuses), never loads statuses one
by one. The rules behind the figures:

- A (member state, action item) pair the state never updated counts as *not started*, 0 %.
- *Not applicable* pairs are counted, but left out of the completed share and the average
  progress (both are taken over the applicable pairs only).
- A state that does not report on a plan (Timor-Leste on 2021–2025) is "not a member then":
  it has no figures, and never counts as not started.

Regional aggregates (all reporting states together) are not scoped: every signed-in user may
see them. Anything per state or per item that a page shows must come from states the user may
see (`accounts.policy.visible_states` / `scope_national`); the views decide that.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from actions.models import (
    ACTIVITY_TIME_ZONE,
    ActionItem,
    FocusArea,
    MonthlyActivity,
    NationalStatus,
    Plan,
    StatusHistory,
)
from core.sql import cross_join
from countries.models import MemberState

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _ReportsOnPlan(TypedDict):
        reports_on_plan: bool

    class _ItemCount(TypedDict):
        item_count: int

    # As `states_and_areas` loads them: each state marked with whether it reports on the plan,
    # each focus area with its number of items.
    ReportingState = WithAnnotations[MemberState, _ReportsOnPlan]
    CountedArea = WithAnnotations[FocusArea, _ItemCount]

Status = NationalStatus.Status
STATUS_ORDER = tuple(Status.values)


def stale_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """The moment before which a status's last change makes it stale."""
    now = now or timezone.now()
    return now - datetime.timedelta(days=settings.STALE_AFTER_DAYS)


@dataclass
class Tally:
    """Counts of (state, item) pairs by status, with the progress they add up to.

    `counts` has every status (never-updated pairs are in "not_started"); `never_updated`
    and `stale` are subsets of the pairs: never changed, and last changed before the stale
    cutoff.
    """

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_ORDER, 0))
    progress_total: int = 0
    never_updated: int = 0
    stale: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            counts={key: self.counts[key] + other.counts[key] for key in STATUS_ORDER},
            progress_total=self.progress_total + other.progress_total,
            never_updated=self.never_updated + other.never_updated,
            stale=self.stale + other.stale,
        )

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def not_applicable(self) -> int:
        return self.counts[Status.NOT_APPLICABLE]

    @property
    def applicable(self) -> int:
        return self.total - self.not_applicable

    @property
    def completed(self) -> int:
        return self.counts[Status.COMPLETED]

    @property
    def completed_share(self) -> float | None:
        """Per cent of applicable pairs that are completed (float), or None without any."""
        return 100 * self.completed / self.applicable if self.applicable else None

    @property
    def average_progress(self) -> float | None:
        """Mean progress in per cent over applicable pairs (float), or None without any."""
        return self.progress_total / self.applicable if self.applicable else None

    def by_status(self) -> list[tuple[str, str, int]]:
        """[(status value, label, count), ...] in the vocabulary's order."""
        return [(value, Status(value).label, self.counts[value]) for value in STATUS_ORDER]


def _sum(tallies: Iterable[Tally]) -> Tally:
    return reduce(Tally.__add__, tallies, Tally())


@dataclass
class PlanFigures:
    """A plan's figures per member state and focus area, from `plan_figures`."""

    plan: Plan
    focus_areas: list[CountedArea]  # FocusArea rows of the plan, each with `item_count`
    states: list[ReportingState]  # MemberState rows, each with `reports_on_plan`
    cells: dict[tuple[int, int], Tally]  # (state id, focus area id) -> Tally, reporting states

    accepted: bool = False  # figures from accepted submissions (`accepted_plan_figures`)
    # then: state id -> its submission (a reviews.Submission: a higher layer, so not named)
    submissions: dict[int, Any] = field(default_factory=dict)

    @property
    def reporting_states(self) -> list[ReportingState]:
        """States with figures: those reporting on the plan (and, for accepted figures, with
        an accepted report)."""
        return [
            state
            for state in self.states
            if state.reports_on_plan and (not self.accepted or state.pk in self.submissions)
        ]

    def cell(self, state: MemberState, focus_area: FocusArea) -> Tally | None:
        """The Tally of one state in one focus area, or None if the state does not report."""
        return self.cells.get((state.pk, focus_area.pk))

    def state_total(self, state: MemberState) -> Tally | None:
        """All of one state's pairs, or None if the state does not report."""
        if not any(reporting.pk == state.pk for reporting in self.reporting_states):
            return None
        return _sum(self.cells[state.pk, area.pk] for area in self.focus_areas)

    def area_total(self, focus_area: FocusArea) -> Tally:
        """All reporting states' pairs in one focus area."""
        return _sum(self.cells[state.pk, focus_area.pk] for state in self.reporting_states)

    @property
    def overall(self) -> Tally:
        """Every reporting state's pairs of the plan."""
        return _sum(self.cells.values())

    def by_focus_area(self) -> list[tuple[CountedArea, Tally]]:
        """[(focus area, Tally), ...] in focus-area order."""
        return [(area, self.area_total(area)) for area in self.focus_areas]

    def by_state(self) -> list[tuple[ReportingState, Tally | None]]:
        """[(member state, Tally or None when it does not report), ...] by state name."""
        return [(state, self.state_total(state)) for state in self.states]


def states_and_areas(
    plan: Plan, member_state: MemberState | None
) -> tuple[list[ReportingState], list[CountedArea]]:
    """The states a plan's figures are laid out by (only `member_state` when given), by name,
    and its focus areas with their item counts, by number: two queries."""
    states = MemberState.objects.with_reporting_in(plan).order_by("name")
    if member_state is not None:
        states = states.filter(pk=member_state.pk)
    focus_areas = (
        FocusArea.objects.filter(plan=plan)
        .annotate(item_count=Count("action_items"))
        .order_by("number")
    )
    return list(states), list(focus_areas)


def plan_figures(
    plan: Plan,
    member_state: MemberState | None = None,
    *,
    now: datetime.datetime | None = None,
) -> PlanFigures:
    """Figures per member state × focus area × status for `plan`, in three queries.

    With `member_state`, only that state's figures (its `overall` is the state's own).
    `now` sets the stale cutoff (default: the current time). Returns PlanFigures.
    """
    states, focus_areas = states_and_areas(plan, member_state)
    statuses = NationalStatus.objects.filter(
        action_item__plan=plan, member_state__reports_from__lte=plan.last_day
    )
    if member_state is not None:
        statuses = statuses.filter(member_state=member_state)
    grouped = (
        statuses.values("member_state_id", "action_item__focus_area_id", "status")
        .annotate(
            pairs=Count("pk"),
            progress=Coalesce(Sum("progress"), 0),
            stale=Count("pk", filter=Q(updated_at__lt=stale_cutoff(now))),
        )
        .order_by()
    )
    cells = {
        (state.pk, area.pk): Tally()
        for state in states
        if state.reports_on_plan
        for area in focus_areas
    }
    for row in grouped:
        tally = cells.get((row["member_state_id"], row["action_item__focus_area_id"]))
        if tally is None:  # a row of a state outside `states`; cannot happen, but never count it
            continue
        tally.counts[row["status"]] += row["pairs"]
        tally.progress_total += row["progress"]
        tally.stale += row["stale"]
    areas = {area.pk: area for area in focus_areas}
    for (_state_id, area_id), tally in cells.items():
        tally.never_updated = areas[area_id].item_count - tally.total
        tally.counts[Status.NOT_STARTED] += tally.never_updated
    return PlanFigures(plan=plan, focus_areas=focus_areas, states=states, cells=cells)


@dataclass(frozen=True)
class MonthActivity:
    month: datetime.date  # the first day of the month, in the current time zone
    changes: int  # status changes recorded that month
    completions: int  # of which set the status to completed


def monthly_activity(
    plan: Plan,
    member_state: MemberState | None = None,
    *,
    months: int = 12,
    now: datetime.datetime | None = None,
    focus_area: FocusArea | None = None,
) -> list[MonthActivity]:
    """Status changes per month on `plan` (in `focus_area` when given) over the last `months`
    months, zeros included.

    Months are calendar months in the current time zone; the last is this month. One query,
    which reads the counts kept per month (MonthlyActivity: a row per state, focus area and
    month, however long the history) and, where the current zone's months start at another
    moment than those counts' (ACTIVITY_TIME_ZONE), the history rows between the two starts
    (an hour or so at each end of a month), so that every figure is what counting the history
    rows themselves gives.
    """
    now = timezone.localtime(now or timezone.now())
    first = _add_months(now.date().replace(day=1), -(months - 1))
    month_starts = [_add_months(first, offset) for offset in range(months + 1)]
    zone = timezone.get_current_timezone()
    # At each month's start: the history rows between its start here and where the kept counts
    # start it, which those counts put in the neighbouring month. (low, high, +1 when here is
    # earlier).
    edges = []
    for month in month_starts:
        here = datetime.datetime.combine(month, datetime.time.min, tzinfo=zone)
        kept = datetime.datetime.combine(month, datetime.time.min, tzinfo=ACTIVITY_TIME_ZONE)
        edges.append((min(here, kept), max(here, kept), 1 if here < kept else -1))
    scope = Q(plan=plan)
    history = Q(national_status__action_item__plan=plan)
    if member_state is not None:
        scope &= Q(member_state=member_state)
        history &= Q(national_status__member_state=member_state)
    if focus_area is not None:
        scope &= Q(focus_area=focus_area)
        history &= Q(national_status__action_item__focus_area=focus_area)
    counted = (
        MonthlyActivity.objects.filter(scope, month__gte=first, month__lt=month_starts[-1])
        .values("month")
        .annotate(change_count=Sum("changes"), completion_count=Sum("completions"))
        .values_list("month", "change_count", "completion_count")
        .order_by()
    )
    windows = [(n, low, high) for n, (low, high, _) in enumerate(edges) if low < high]
    rows: Iterable[tuple[Any, int, int]] = counted
    if windows:
        # Each window is keyed by a date that is no month's first day: the n-th of January 1.
        window = Case(
            *[
                When(changed_at__gte=low, changed_at__lt=high, then=Value(_edge_key(n)))
                for n, low, high in windows
            ],
            output_field=DateField(),
        )
        in_windows = reduce(
            Q.__or__, [Q(changed_at__gte=low, changed_at__lt=high) for _, low, high in windows]
        )
        edge_rows = (
            StatusHistory.objects.filter(history, in_windows)
            .annotate(month=window)
            .values("month")
            .annotate(
                change_count=Count("pk"),
                completion_count=Count("pk", filter=Q(changes__status__1=Status.COMPLETED)),
            )
            .values_list("month", "change_count", "completion_count")
            .order_by()
        )
        rows = counted.union(edge_rows, all=True)
    found: dict[datetime.date, list[int]] = {}
    at_edge: dict[int, tuple[int, int]] = {}
    for month, changes, completions in rows:
        month = _as_date(month)
        if month.year == 1:
            at_edge[month.day - 1] = (changes, completions)
        else:
            found[month] = [changes, completions]
    result = []
    for offset in range(months):
        values = found.get(month_starts[offset], [0, 0])
        # The rows before this month's kept start that are in it here (sign +1), less the
        # rows after the next month's kept start that are already in the next month here.
        for n, sign in ((offset, 1), (offset + 1, -1)):
            changes, completions = at_edge.get(n, (0, 0))
            values = [
                values[0] + sign * edges[n][2] * changes,
                values[1] + sign * edges[n][2] * completions,
            ]
        result.append(MonthActivity(month_starts[offset], values[0], values[1]))
    return result


def _edge_key(n: int) -> datetime.date:
    return datetime.date(1, 1, n + 1)


def _as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


def _add_months(day: datetime.date, count: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def item_across_states(
    action_item: ActionItem, states: QuerySet[MemberState]
) -> QuerySet[MemberState]:
    """Each of `states` with its status of `action_item`, in one query.

    `states` is a MemberState queryset (already scoped by the caller). Each row gets
    `status`, `progress`, `narrative`, `challenges`, `next_steps`, `responsible_agency`,
    `updated_at`, `status_id`; a state that never updated the item reads as not started, 0 %.
    """
    row = "item_status"
    text: dict[str, Any] = {"output_field": CharField()}
    return states.annotate(
        item_status=FilteredRelation(
            "national_statuses", condition=Q(national_statuses__action_item=action_item)
        ),
        status_id=F(f"{row}__id"),
        status=Coalesce(F(f"{row}__status"), Value(Status.NOT_STARTED), **text),
        progress=Case(
            When(**{f"{row}__id__isnull": True}, then=Value(0)),
            default=F(f"{row}__progress"),
            output_field=IntegerField(),
        ),
        narrative=Coalesce(F(f"{row}__narrative"), Value(""), **text),
        challenges=Coalesce(F(f"{row}__challenges"), Value(""), **text),
        next_steps=Coalesce(F(f"{row}__next_steps"), Value(""), **text),
        responsible_agency=Coalesce(F(f"{row}__responsible_agency"), Value(""), **text),
        updated_at=F(f"{row}__updated_at"),
    ).order_by("name")


def item_tally(action_item: ActionItem, *, now: datetime.datetime | None = None) -> Tally:
    """A regional Tally of `action_item` over every state that reports on its plan (one query)."""
    plan = action_item.plan
    row = "item_status"
    never = Q(**{f"{row}__id__isnull": True})
    counts = {value: Count("pk", filter=Q(**{f"{row}__status": value})) for value in STATUS_ORDER}
    figures = (
        MemberState.objects.reporting_in(plan)
        .annotate(
            item_status=FilteredRelation(
                "national_statuses", condition=Q(national_statuses__action_item=action_item)
            )
        )
        .aggregate(
            **counts,
            never_updated=Count("pk", filter=never),
            progress_total=Coalesce(Sum(f"{row}__progress"), 0),
            stale=Count("pk", filter=Q(**{f"{row}__updated_at__lt": stale_cutoff(now)})),
        )
    )
    never_updated = figures.pop("never_updated")
    tally = Tally(
        progress_total=figures.pop("progress_total"),
        never_updated=never_updated,
        stale=figures.pop("stale"),
    )
    tally.counts = figures
    tally.counts[Status.NOT_STARTED] += never_updated
    return tally


STATUS_ROW_FIELDS = ("narrative", "challenges", "next_steps", "responsible_agency")


def state_status_rows(plan: Plan, member_state: MemberState) -> QuerySet[ActionItem]:
    """Every item of `plan` as `member_state` reports it, never-updated ones as not started.

    Rows are ActionItem objects annotated by `ActionItem.with_national_status` plus the
    state's `state_id`, `state_code`, `state_name`, the `plan_code`, `focus_area_number` and
    `focus_area_title`, and the status's text fields (empty when never updated). Unordered.
    """
    text: dict[str, Any] = {"output_field": CharField()}
    rows = ActionItem.objects.filter(plan=plan).with_national_status(member_state)
    return _status_row_fields(
        rows.annotate(
            state_id=Value(member_state.pk, output_field=IntegerField()),
            state_code=Value(member_state.code, **text),
            state_name=Value(member_state.name, **text),
        ),
        plan,
    )


def status_text(name: str) -> Coalesce:
    """The state's status text `name` (one of STATUS_ROW_FIELDS) of a row annotated by
    `with_national_status`, empty when the state never updated the item."""
    return Coalesce(F(f"state_status__{name}"), Value(""), output_field=CharField())


def with_status_texts(rows: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
    """Rows annotated by `with_national_status`, with each of STATUS_ROW_FIELDS (`status_text`)."""
    return rows.annotate(**{name: status_text(name) for name in STATUS_ROW_FIELDS})


def _status_row_fields(rows: QuerySet[ActionItem], plan: Plan) -> QuerySet[ActionItem]:
    """The names `state_status_rows` adds to rows annotated by `with_national_status`."""
    return with_status_texts(
        rows.annotate(
            plan_code=Value(plan.code, output_field=CharField()),
            focus_area_number=F("focus_area__number"),
            focus_area_title=F("focus_area__title"),
        )
    ).order_by()


def status_pairs(
    plan: Plan,
    member_states: Iterable[MemberState],
    *,
    refine: Callable[[QuerySet[ActionItem]], QuerySet[ActionItem]] | None = None,
) -> QuerySet[ActionItem]:
    """The (state, item) rows of `plan` for each of `member_states`, as one queryset.

    One SQL query: the plan's items joined with every one of `member_states` (a cross join),
    each pair with its national status if there is one, as `state_status_rows` names them.
    It can be filtered, counted, ordered by its annotated names and sliced; `refine(queryset)`
    filters it further. `member_states` must already be scoped to the user.
    """
    items = ActionItem.objects.filter(plan=plan)
    pairs = cross_join(items, MemberState, state_id="id", state_code="code", state_name="name")
    pairs = pairs.filter(state_id__in=[state.pk for state in member_states])
    rows = _status_row_fields(pairs.with_national_status(F("state_id")), plan)
    return refine(rows) if refine is not None else rows


def member_states_with_first_plan() -> QuerySet[MemberState]:
    """Member states, each with the first plan it reports on and whether it missed earlier ones."""
    # A state reports on a plan that ends in or after the year it reports from.
    reported = Plan.objects.filter(end_year__gte=ExtractYear(OuterRef("reports_from")))
    first = reported.order_by("start_year")
    return MemberState.objects.annotate(
        first_plan_code=Subquery(first.values("code")[:1]),
        first_plan_title=Subquery(first.values("short_title")[:1]),
        missed_earlier_plans=Exists(
            Plan.objects.filter(end_year__lt=ExtractYear(OuterRef("reports_from")))
        ),
    )
