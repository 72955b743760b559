"""What changed in a state's report since its previous round: per action, and as counts kept at
acceptance for the dashboards."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, Exists, OuterRef, Value, When
from django.db.models.functions import Coalesce

from actions.models import NationalStatus, Plan
from countries.models import MemberState

from ..models import ChangeCount, ReportingRound, Submission, SubmissionItem


@dataclass
class ItemChange:
    """How one action item's status and progress differ between two submissions."""

    action_item_id: int
    code: str
    title: str
    old_status: str | None  # None: the item was not in the earlier submission
    new_status: str | None  # None: the item is not in the later submission
    old_progress: int | None
    new_progress: int | None
    focus_area_number: int | None = None

    @property
    def status_changed(self) -> bool:
        return self.old_status != self.new_status

    @property
    def progress_change(self) -> int | None:
        """Percentage points gained (negative: lost), or None when either side has none."""
        if self.old_progress is None or self.new_progress is None:
            return None
        return self.new_progress - self.old_progress

    @property
    def old_status_label(self) -> str:
        return NationalStatus.display_value("status", self.old_status)

    @property
    def new_status_label(self) -> str:
        return NationalStatus.display_value("status", self.new_status)


@dataclass
class StateChanges:
    """What changed in one state between two accepted submissions."""

    member_state: MemberState
    previous: Submission
    current: Submission
    items: list[ItemChange] = field(default_factory=list)  # only the items that changed


def changes_between(previous_submission: Submission, submission: Submission) -> list[ItemChange]:
    """Items whose status or progress differ between two submissions, in plan order: 1 query."""
    return _changes(
        previous_submission, submission, _snapshot_values([previous_submission, submission])
    )


def changes_since_previous_round(
    plan: Plan,
    member_state: MemberState | None = None,
    reporting_round: ReportingRound | None = None,
) -> list[StateChanges]:
    """Per state (or just `member_state`), the changes between its two latest accepted
    submissions in `plan`'s rounds; states with fewer than two are left out. 2 queries.

    With `reporting_round`: between each state's submission accepted in that round and its
    accepted one before it (states without a report accepted in that round are left out).
    """
    pairs = _latest_accepted_pairs(plan, member_state, reporting_round)
    values = _snapshot_values([s for pair in pairs for s in pair])
    return [
        StateChanges(
            member_state=current.report.member_state,
            previous=previous,
            current=current,
            items=_changes(previous, current, values),
        )
        for current, previous in pairs
    ]


def _latest_accepted_pairs(
    plan: Plan, member_state: MemberState | None, reporting_round: ReportingRound | None
) -> list[list[Submission]]:
    """[current, previous] accepted submissions per state, by state name: 1 query."""
    accepted = (
        Submission.objects.accepted()
        .filter(report__round__plan=plan)
        .select_related("report__round", "report__member_state")
        .order_by("report__member_state__name", "-report__round__opens_on", "-number")
    )
    if member_state is not None:
        accepted = accepted.filter(report__member_state=member_state)
    if reporting_round is not None:
        accepted = accepted.filter(report__round__opens_on__lte=reporting_round.opens_on)
    latest_two: dict[int, list[Submission]] = {}
    for submission in accepted:
        pair = latest_two.setdefault(submission.report.member_state_id, [])
        if len(pair) < 2:
            pair.append(submission)
    return [
        pair
        for pair in latest_two.values()
        if len(pair) == 2 and (reporting_round is None or pair[0].report.round == reporting_round)
    ]


@dataclass
class StateChangeCount:
    """How many actions changed in one state between two accepted submissions."""

    member_state: MemberState
    previous: Submission
    current: Submission
    count: int  # actions whose status or progress differ, or that are in one submission only


def change_counts_since_previous_round(
    plan: Plan,
    *,
    reporting_round: ReportingRound | None = None,
    focus_area_number: int | None = None,
) -> list[StateChangeCount]:
    """`changes_since_previous_round` counted per state (in `focus_area_number` only, when
    given): 2 queries, whatever the number of actions, reading the counts kept at acceptance
    (ChangeCount); a third counts in SQL any pair whose counts were not kept."""
    pairs = _latest_accepted_pairs(plan, None, reporting_round)
    kept = _kept_counts([(current.pk, previous.pk) for current, previous in pairs])
    missing = [(c.pk, p.pk) for c, p in pairs if (c.pk, p.pk) not in kept]
    if missing:
        kept.update(_changed_counts(missing, Submission, SubmissionItem))
    return [
        StateChangeCount(
            member_state=current.report.member_state,
            previous=previous,
            current=current,
            count=kept[current.pk, previous.pk].get(focus_area_number, 0),
        )
        for current, previous in pairs
    ]


# {(later submission id, earlier submission id): {focus area number (None: all): count}}
Counts = dict[tuple[int, int], dict[int | None, int]]


def _kept_counts(pairs: list[tuple[int, int]], model: Any = ChangeCount) -> Counts:
    """The kept counts of these (later, earlier) pairs; a pair is there only if its total is."""
    if not pairs:
        return {}
    wanted = set(pairs)
    rows = model.objects.filter(submission_id__in=[later for later, _ in pairs]).values_list(
        "submission_id", "previous_id", "focus_area_number", "count"
    )
    counts: Counts = {}
    for later, earlier, area, count in rows:
        if (later, earlier) in wanted:
            counts.setdefault((later, earlier), {})[area] = count
    return {pair: found for pair, found in counts.items() if None in found}


def keep_change_counts(
    plan_id: int,
    member_state_id: int,
    *,
    models: tuple[Any, Any, Any] = (Submission, SubmissionItem, ChangeCount),
) -> None:
    """Count (once) the changes between each of the state's accepted submissions in the plan and
    the accepted one before it: after an acceptance or a reopening changed which those are.
    `models` (Submission, SubmissionItem, ChangeCount) lets a data migration pass its own."""
    submission_model, item_model, count_model = models
    accepted = list(
        submission_model.objects.filter(
            accepted_for__isnull=False,
            report__round__plan_id=plan_id,
            report__member_state_id=member_state_id,
        )
        .order_by("-report__round__opens_on", "-number")
        .values_list("pk", flat=True)
    )
    pairs = list(zip(accepted, accepted[1:], strict=False))
    kept = _kept_counts(pairs, count_model)
    missing = [pair for pair in pairs if pair not in kept]
    counted = _changed_counts(missing, submission_model, item_model)
    count_model.objects.bulk_create(
        [
            count_model(submission_id=later, previous_id=earlier, focus_area_number=area, count=n)
            for (later, earlier), by_area in counted.items()
            for area, n in by_area.items()
        ]
    )


def _changed_counts(pairs: list[tuple[int, int]], submission_model: Any, item_model: Any) -> Counts:
    """{(later, earlier): {focus area number: actions changed, None: in all}} for (later,
    earlier) submission pairs, in one query: the later snapshot's rows without an equal row in
    the earlier one, plus the earlier snapshot's rows missing from the later one. An action
    counts in the focus area of its later snapshot (of the earlier one when only there)."""
    counts: Counts = {pair: {None: 0} for pair in pairs}
    if not pairs:
        return counts
    earlier = Case(*[When(submission_id=cur, then=Value(prev)) for cur, prev in pairs])
    later = Case(*[When(submission_id=prev, then=Value(cur)) for cur, prev in pairs])
    same = item_model.objects.annotate(same_progress=Coalesce("progress", -1)).filter(
        submission_id=OuterRef("other"),
        action_item_id=OuterRef("action_item_id"),
        status=OuterRef("status"),
        same_progress=Coalesce(OuterRef("progress"), -1),
    )
    changed = (
        item_model.objects.filter(submission_id__in=[cur for cur, _ in pairs])
        .annotate(other=earlier)
        .filter(~Exists(same))
        .values("submission_id", "other", "focus_area_number")
        .annotate(changed=Count("pk"))
        .values_list("submission_id", "other", "focus_area_number", "changed")
        .order_by()
    )
    held = item_model.objects.filter(
        submission_id=OuterRef("other"), action_item_id=OuterRef("action_item_id")
    )
    dropped = (
        item_model.objects.filter(submission_id__in=[prev for _, prev in pairs])
        .annotate(other=later)
        .filter(~Exists(held))
        .values("other", "submission_id", "focus_area_number")
        .annotate(changed=Count("pk"))
        .values_list("other", "submission_id", "focus_area_number", "changed")
        .order_by()
    )
    for cur, prev, area, count in changed.union(dropped, all=True):
        by_area = counts[cur, prev]
        by_area[area] = by_area.get(area, 0) + count
        by_area[None] += count
    return counts


# {submission id: {action item id: the item's snapshot values}}
SnapshotValues = dict[int, dict[int, dict[str, Any]]]


def _snapshot_values(submissions: Iterable[Submission]) -> SnapshotValues:
    """{submission id: {action item id: row}} for these submissions, in one query."""
    rows = SubmissionItem.objects.filter(submission__in=[s.pk for s in submissions]).values(
        "submission_id",
        "action_item_id",
        "code",
        "title",
        "focus_area_number",
        "position",
        "status",
        "progress",
    )
    values: SnapshotValues = {s.pk: {} for s in submissions}
    for row in rows:
        values[row["submission_id"]][row["action_item_id"]] = row
    return values


def _changes(previous: Submission, current: Submission, values: SnapshotValues) -> list[ItemChange]:
    old, new = values[previous.pk], values[current.pk]
    changes = []
    for item_id in sorted(
        old.keys() | new.keys(),
        key=lambda pk: _order(new.get(pk) or old[pk]),
    ):
        before, after = old.get(item_id), new.get(item_id)
        latest = after or old[item_id]  # the item is in one of the two submissions at least
        change = ItemChange(
            action_item_id=item_id,
            code=latest["code"],
            title=latest["title"],
            old_status=before["status"] if before else None,
            new_status=after["status"] if after else None,
            old_progress=before["progress"] if before else None,
            new_progress=after["progress"] if after else None,
            focus_area_number=latest["focus_area_number"],
        )
        if change.status_changed or change.old_progress != change.new_progress:
            changes.append(change)
    return changes


def _order(row: dict[str, Any]) -> tuple[int | None, int, str]:
    return (row["focus_area_number"], row["position"], row["code"])
