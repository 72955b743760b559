"""Named reads of the review workflow, for its pages and for the regional view and the summaries.

Each runs a fixed number of queries, however many states, items or comments there are.
Access is not decided here: callers pass rows they may show (see accounts.policy).
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Trim
from django.utils import timezone

from actions.models import ActionItem, Evidence, NationalStatus, Plan
from actions.queries import PlanFigures, Tally, states_and_areas, status_text, with_status_texts
from countries.models import MemberState

from .models import (
    ChangeCount,
    Comment,
    CountryReport,
    ReportingRound,
    ReportTransition,
    Submission,
    SubmissionItem,
    today,
)

# --- Compliance ----------------------------------------------------------------------------------


@dataclass
class ComplianceRow:
    """One member state's reporting in one round."""

    state: MemberState
    report: CountryReport | None
    report_state: str  # a CountryReport.State value; "draft" when no report was started
    submitted_at: datetime.datetime | None  # the first submission: lateness is counted to it
    last_submitted_at: datetime.datetime | None
    days_late: int  # 0 when on time (or not yet due)
    last_activity: datetime.datetime | None  # latest transition, comment or status change

    @property
    def report_state_label(self) -> str:
        return CountryReport.State(self.report_state).label

    @property
    def started(self) -> bool:
        return self.report is not None

    @property
    def is_late(self) -> bool:
        return self.days_late > 0


def days_late(
    round_: ReportingRound,
    first_submitted_on: datetime.date | None,
    on: datetime.date | None = None,
) -> int:
    """Days after the due day that a report came in, or is still missing.

    A report never submitted counts as late until the round closes, not for ever after.
    """
    if first_submitted_on is not None:
        return max(0, (first_submitted_on - round_.due_on).days)
    day = min(on or today(), round_.closes_on)
    return max(0, (day - round_.due_on).days)


def compliance_rows(round_: ReportingRound, on: datetime.date | None = None) -> list[ComplianceRow]:
    """Every member state reporting on the round's plan, with its report's progress: 2 queries.

    `submitted_at` is the first submission (the one that counts for timeliness);
    `last_activity` the latest of the report's moves, its comments and the state's status
    changes on the plan.
    """
    plan = round_.plan
    # The latest by walking the state's statuses newest first (index status_state_updated_idx)
    # to the first of the plan's: a few rows for the plan in force, where Max() read every
    # status of the state (about 1 ms against 10 at 1,500 actions).
    last_status_change = (
        NationalStatus.objects.filter(member_state=OuterRef("pk"), action_item__plan=plan)
        .order_by("-updated_at")
        .values("updated_at")[:1]
    )
    states = MemberState.objects.reporting_in(plan).annotate(
        last_status_change=Subquery(last_status_change)
    )
    reports = CountryReport.objects.filter(round=round_).annotate(
        first_submitted_at=Subquery(_submission_times(Min)),
        last_submitted_at=Subquery(_submission_times(Max)),
        last_comment_at=Subquery(
            Comment.objects.filter(report=OuterRef("pk"))
            .values("report")
            .annotate(latest=Max("created_at"))
            .values("latest")
        ),
    )
    by_state = {report.member_state_id: report for report in reports}
    rows = []
    for state in states.order_by("name"):
        report = by_state.get(state.pk)
        if report is not None:
            report.member_state = state
        first = report.first_submitted_at if report else None
        times = [state.last_status_change]
        if report is not None:
            times += [report.updated_at, report.last_comment_at]
        rows.append(
            ComplianceRow(
                state=state,
                report=report,
                report_state=report.state if report else CountryReport.State.DRAFT,
                submitted_at=first,
                last_submitted_at=report.last_submitted_at if report else None,
                days_late=days_late(round_, _local_day(first), on),
                last_activity=max((t for t in times if t is not None), default=None),
            )
        )
    return rows


def _submission_times(aggregate: type[Min] | type[Max]) -> QuerySet[Submission, dict[str, Any]]:
    return (
        Submission.objects.filter(report=OuterRef("pk"))
        .values("report")
        .annotate(at=aggregate("submitted_at"))
        .values("at")
    )


def _local_day(moment: datetime.datetime | None) -> datetime.date | None:
    """The calendar day of `moment` in the zone rounds are dated in."""
    if moment is None:
        return None
    return timezone.localdate(moment, timezone=timezone.get_default_timezone())


def compliance_summary(rows: Sequence[ComplianceRow]) -> dict[str, Any]:
    """Counts for the compliance page's heading, from rows already loaded."""
    counts = {state: 0 for state in CountryReport.State.values}
    for row in rows:
        counts[row.report_state] += 1
    return {
        "total": len(rows),
        "by_state": counts,
        "late": sum(1 for row in rows if row.is_late),
    }


# --- Change since the previous round -------------------------------------------------------------


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


# --- The national workspace ----------------------------------------------------------------------


@dataclass
class OpenRound:
    """A plan's round open today, and where one state's report in it stands."""

    round: ReportingRound
    report_state: str | None  # None: the state has not opened its report yet

    @property
    def report_state_label(self) -> str:
        if self.report_state is None:
            return "Not started"
        return CountryReport.State(self.report_state).label


def open_round_with_report(plan: Plan | None, member_state: MemberState) -> OpenRound | None:
    """`plan`'s round open today with `member_state`'s report state, or None: 1 query."""
    if plan is None:
        return None
    report_state = CountryReport.objects.filter(
        round=OuterRef("pk"), member_state=member_state
    ).values("state")[:1]
    found = (
        ReportingRound.objects.filter(plan=plan)
        .open_on(today())
        .annotate(report_state=Subquery(report_state))
        .order_by("-opens_on")
        .first()
    )
    return found and OpenRound(round=found, report_state=found.report_state)


@dataclass
class ItemThread:
    """The comments on one item of one state's report in one round."""

    report: CountryReport
    comments: list[Comment] = field(default_factory=list)


def item_threads(member_state: MemberState, action_item: ActionItem) -> list[ItemThread]:
    """Review comments on `member_state`'s `action_item`, per round, latest round first: 1 query."""
    comments = (
        Comment.objects.filter(report__member_state=member_state, action_item=action_item)
        .select_related("author", "report__round")
        .order_by("-report__round__opens_on", "report_id", "created_at", "id")
    )
    threads: dict[int, ItemThread] = {}
    for comment in comments:
        threads.setdefault(comment.report_id, ItemThread(report=comment.report)).comments.append(
            comment
        )
    return list(threads.values())


def evidence_needing_more() -> QuerySet[Evidence]:
    """Current evidence a reviewer marked "needs more"."""
    return Evidence.objects.filter(review=Evidence.Review.NEEDS_MORE, withdrawn_at__isnull=True)


def with_evidence_flags(
    items: QuerySet[ActionItem], member_state: MemberState
) -> QuerySet[ActionItem]:
    """Annotate action items with `evidence_needs_more`: how many of `member_state`'s current
    evidence items for each were marked "needs more" (in the same query)."""
    flagged = (
        evidence_needing_more()
        .filter(
            national_status__member_state=member_state, national_status__action_item=OuterRef("pk")
        )
        .values("national_status__action_item")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return items.annotate(
        evidence_needs_more=Coalesce(Subquery(flagged, output_field=IntegerField()), Value(0))
    )


def items_needing_more_evidence(plan: Plan, member_state: MemberState) -> int:
    """How many of `plan`'s items have evidence of `member_state` marked "needs more": 1 query."""
    return (
        evidence_needing_more()
        .filter(national_status__member_state=member_state, national_status__action_item__plan=plan)
        .aggregate(n=Count("national_status__action_item", distinct=True))["n"]
    )


# --- Accepted data (the review workflow's frozen submissions) ------------------------------------


def latest_accepted_submissions(
    plan: Plan,
    member_state: MemberState | None = None,
    reporting_round: ReportingRound | None = None,
) -> dict[int, Submission]:
    """{state id: its latest accepted submission in `plan`'s rounds}, in one query.

    "Accepted" means the report is accepted on that submission now (a reopened report's
    earlier acceptance no longer counts). Each submission comes with its report and round.
    With `reporting_round`, only the submissions accepted in that round.
    """
    rounds = {"report__round": reporting_round} if reporting_round else {}
    accepted = (
        Submission.objects.accepted()
        .filter(report__round__plan=plan, **rounds)
        .select_related("report__round", "report__member_state")
        .order_by("report__member_state_id", "-report__round__opens_on", "-number")
    )
    if member_state is not None:
        accepted = accepted.filter(report__member_state=member_state)
    latest: dict[int, Submission] = {}
    for submission in accepted:
        latest.setdefault(submission.report.member_state_id, submission)
    return latest


def accepted_plan_figures(
    plan: Plan,
    member_state: MemberState | None = None,
    reporting_round: ReportingRound | None = None,
) -> PlanFigures:
    """Like `plan_figures`, but from each state's latest accepted submission (in
    `reporting_round` when given): four queries.

    What observers see. States without an accepted report have no cells (as states that do
    not report); `figures.submissions` maps state id to the submission the figures come from.
    Stale counts are 0: a frozen snapshot does not age.
    """
    submissions = latest_accepted_submissions(plan, member_state, reporting_round)
    states, focus_areas = states_and_areas(plan, member_state)
    grouped = (
        SubmissionItem.objects.filter(submission__in=[s.pk for s in submissions.values()])
        .values("submission__report__member_state_id", "focus_area_number", "status")
        .annotate(
            pairs=Count("pk"),
            progress=Coalesce(Sum("progress"), 0),
            never=Count("pk", filter=Q(status_version=0)),
        )
        .order_by()
    )
    area_ids = {area.number: area.pk for area in focus_areas}
    cells = {
        (state.pk, area.pk): Tally()
        for state in states
        if state.reports_on_plan and state.pk in submissions
        for area in focus_areas
    }
    for row in grouped:
        area_id = area_ids.get(row["focus_area_number"])
        state_id = row["submission__report__member_state_id"]
        tally = None if area_id is None else cells.get((state_id, area_id))
        if tally is None:  # an item of a focus area since renumbered: not in today's matrix
            continue
        tally.counts[row["status"]] += row["pairs"]
        tally.progress_total += row["progress"]
        tally.never_updated += row["never"]
    return PlanFigures(
        plan=plan,
        focus_areas=focus_areas,
        states=states,
        cells=cells,
        accepted=True,
        submissions=submissions,
    )


# --- The check before a submission ---------------------------------------------------------------

# The findings of the check, in the order the page lists them: (key, what one finding is).
CHECK_FINDINGS = (
    ("never_updated", "never updated"),
    ("missing_narrative", "status needs a narrative and has none"),
    ("missing_evidence", "in progress or completed without evidence"),
    ("unanswered_evidence", "evidence the reviewer asked more of, not answered"),
)
# Statuses that claim work the reviewers expect evidence of.
EVIDENCED_STATUSES = (NationalStatus.Status.IN_PROGRESS, NationalStatus.Status.COMPLETED)


@dataclass
class CheckFinding:
    """One kind of gap the check looks for, with the actions (or evidence) where it found it."""

    key: str
    label: str
    rows: list[ActionItem] | list[Evidence]
    blocks: bool  # the round does not accept a report with this gap

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass
class SubmissionCheck:
    """What a state's report would be submitted with, gap by gap."""

    findings: list[CheckFinding]
    # With `for_snapshot`: every action of the plan, with what a submission freezes of it (an
    # ActionItem annotated with its status: with_national_status, with_status_texts and
    # submission_check).
    items: list[Any] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {finding.key: finding.count for finding in self.findings}

    @property
    def blocking(self) -> list[CheckFinding]:
        """The findings that stop the submission now."""
        return [f for f in self.findings if f.blocks and f.count]

    @property
    def clean(self) -> bool:
        return not any(f.count for f in self.findings)

    def summary(self) -> str:
        """The counts in words, as the coordinator confirms them."""
        return "; ".join(f"{f.count} {f.label}" for f in self.findings)


def submission_check(
    reporting_round: ReportingRound, member_state: MemberState, *, for_snapshot: bool = False
) -> SubmissionCheck:
    """The gaps in `member_state`'s statuses on the round's plan: 2 queries, whatever the size.

    An action never updated has no saved version; a status other than not started or not
    applicable needs a narrative; in progress and completed need current evidence; evidence a
    reviewer marked "needs more" is answered by newer evidence on the same status (or by
    withdrawing it).

    With `for_snapshot` (a submission), the check also keeps every action (`items`) with what
    the submission freezes of it: its focus area's number and the status's texts
    (`with_status_texts`), read in the same query.
    """
    plan = reporting_round.plan
    current_evidence = Evidence.objects.filter(
        national_status=OuterRef("status_id"), withdrawn_at__isnull=True
    )
    rows = (
        ActionItem.objects.filter(plan=plan)
        .with_national_status(member_state)
        .annotate(
            narrative_text=Trim(status_text("narrative")),
            has_evidence=Exists(current_evidence),
        )
        .only("pk", "code", "title", "position", "provenance")
        .order_by("focus_area__number", "position", "code")
    )
    if for_snapshot:
        rows = with_status_texts(rows.annotate(focus_area_number=F("focus_area__number")))
    items = list(rows)
    answered = Evidence.objects.filter(
        national_status=OuterRef("national_status"),
        added_at__gt=OuterRef("reviewed_at"),
        withdrawn_at__isnull=True,
    )
    unanswered = list(
        evidence_needing_more()
        .filter(national_status__member_state=member_state, national_status__action_item__plan=plan)
        .filter(~Exists(answered))
        .select_related("national_status__action_item")
        .order_by(
            "national_status__action_item__focus_area__number",
            "national_status__action_item__position",
            "national_status__action_item__code",
            "added_at",
            "pk",
        )
    )
    rows = {
        "never_updated": [item for item in items if item.status_version == 0],
        "missing_narrative": [
            item
            for item in items
            if NationalStatus.needs_narrative(item.status) and not item.narrative_text
        ],
        "missing_evidence": [
            item for item in items if item.status in EVIDENCED_STATUSES and not item.has_evidence
        ],
        "unanswered_evidence": unanswered,
    }
    return SubmissionCheck(
        items=items if for_snapshot else [],
        findings=[
            CheckFinding(
                key=key,
                label=label,
                rows=rows[key],
                blocks=getattr(reporting_round, f"block_{key}"),
            )
            for key, label in CHECK_FINDINGS
        ],
    )


# --- What changed since a submission -------------------------------------------------------------


_REVIEW_LABELS = dict(Evidence.Review.choices)


@dataclass(frozen=True)
class LiveEvidence:
    """What a report page shows of an evidence entry as it is now (`_evidence_beside`)."""

    pk: int
    title: str
    review: str
    withdrawn: bool
    action_item_id: int
    is_added: bool  # added since the submission (and not withdrawn)
    of: int  # how many entries of its action and kind (listed, or added since) there are

    def get_review_display(self) -> str:
        return _REVIEW_LABELS.get(self.review, self.review)


@dataclass
class SubmittedEvidence:
    """One evidence entry of a submitted snapshot, beside the evidence as it is now."""

    entry: dict  # as frozen in SubmissionItem.evidence
    live: LiveEvidence | None  # None: the snapshot predates evidence ids, or the row is unknown
    download_url: str = ""  # the page's links to the evidence (set by reviews.pages)
    review_url: str = ""

    @property
    def id(self) -> int | None:
        return self.entry.get("id")

    @property
    def withdrawn_since(self) -> bool:
        return self.live is not None and self.live.withdrawn

    @property
    def review_changed(self) -> bool:
        return self.live is not None and self.live.review != self.entry.get("review")


@dataclass
class SubmittedRow:
    """One action of a shown submission with what changed on it since (for those who may
    see live data)."""

    item: SubmissionItem
    comment_count: int = 0
    evidence: list[SubmittedEvidence] = field(default_factory=list)  # the first EVIDENCE_SHOWN
    more_evidence: int = 0  # the snapshot's other entries (the PDF and the status page list them)
    changed_since: bool = False  # the live status was saved after the submission
    added_since: list[LiveEvidence] = field(default_factory=list)  # current, added after it
    more_added: int = 0  # (first EVIDENCE_SHOWN), and how many more
    thread: Any = None  # the item's comment thread (reviews.pages.Thread), if any
    # The page's links (set by reviews.pages): the action's status page, where all its
    # evidence is, or "" for those who do not see it; the added entries' list items.
    item_url: str = ""
    added_items: str = ""
    # The snapshot's last change as the page writes it (in the user's zone): the <time>
    # element's datetime, and its day ("3 Mar 2026"); "" when never changed.
    changed_iso: str = ""
    changed_day: str = ""


# Evidence entries a report page shows per action, of the snapshot's and of those added since:
# an action with 40 links is not 40 lines of the page (the PDF and the status page list all).
EVIDENCE_SHOWN = 5


def submitted_rows(
    submission: Submission | None,
    snapshot: list[SubmissionItem],
    member_state: MemberState,
    *,
    live: bool,
) -> list[SubmittedRow]:
    """The snapshot's rows; with `live`, each beside today's status and evidence: 2 queries.
    Each row holds at most EVIDENCE_SHOWN entries of the snapshot's evidence and as many of
    those added since, with the number of the others."""
    rows = [SubmittedRow(item=item) for item in snapshot]
    for row in rows:
        row.more_evidence = max(0, len(row.item.evidence) - EVIDENCE_SHOWN)
    if not live or submission is None:
        for row in rows:
            shown = row.item.evidence[:EVIDENCE_SHOWN]
            row.evidence = [SubmittedEvidence(entry, None) for entry in shown]
        return rows
    item_ids = [row.item.action_item_id for row in rows]
    changed = set(
        NationalStatus.objects.filter(
            member_state=member_state,
            action_item__in=item_ids,
            updated_at__gt=submission.submitted_at,
        ).values_list("action_item_id", flat=True)
    )
    shown_ids = [
        entry["id"]
        for row in rows
        for entry in row.item.evidence[:EVIDENCE_SHOWN]
        if entry.get("id") is not None
    ]
    evidence = list(_evidence_beside(submission, member_state, item_ids, shown_ids))
    by_id = {e.pk: e for e in evidence}
    added_since: dict[int, list[LiveEvidence]] = {}
    for e in evidence:
        if e.is_added:
            added_since.setdefault(e.action_item_id, []).append(e)
    for row in rows:
        pk = row.item.action_item_id
        row.evidence = [
            SubmittedEvidence(entry, by_id.get(entry.get("id")))
            for entry in row.item.evidence[:EVIDENCE_SHOWN]
        ]
        row.changed_since = pk in changed
        row.added_since = added_since.get(pk, [])
        total = row.added_since[0].of if row.added_since else 0
        row.more_added = total - len(row.added_since)
    return rows


def _evidence_beside(
    submission: Submission, member_state: MemberState, item_ids: list[int], shown_ids: list[int]
) -> list[LiveEvidence]:
    """The state's live evidence of `item_ids` that the snapshot lists (`shown_ids`) or that
    was added since it and is not withdrawn, each with its action, whether it was added since
    and the number of its action's entries of that kind; at most EVIDENCE_SHOWN of each action
    and kind, oldest first. Written in SQL (the ORM's window query cost more to compile than
    to run), read as plain rows (model instances cost more to make than the query to run)."""
    if not item_ids:
        return []
    evidence, status = Evidence._meta.db_table, NationalStatus._meta.db_table
    added = "(e.added_at > %s AND e.withdrawn_at IS NULL)"
    listed = f"e.id IN ({', '.join(['%s'] * len(shown_ids))}) OR " if shown_ids else ""
    items = ", ".join(["%s"] * len(item_ids))
    sql = f"""
        SELECT id, title, review, withdrawn, action_item_id, is_added, "of" FROM (
            SELECT e.id, e.title, e.review, e.withdrawn_at IS NOT NULL AS withdrawn, e.added_at,
                   s.action_item_id AS action_item_id,
                   CASE WHEN {added} THEN 1 ELSE 0 END AS is_added,
                   ROW_NUMBER() OVER (PARTITION BY e.national_status_id,
                                      CASE WHEN {added} THEN 1 ELSE 0 END
                                      ORDER BY e.added_at, e.id) AS turn,
                   COUNT(e.id) OVER (PARTITION BY e.national_status_id,
                                     CASE WHEN {added} THEN 1 ELSE 0 END) AS "of"
            FROM {evidence} e JOIN {status} s ON s.id = e.national_status_id
            WHERE ({listed}{added}) AND s.member_state_id = %s AND s.action_item_id IN ({items})
        ) numbered
        WHERE turn <= %s
        ORDER BY added_at, id
    """
    at = submission.submitted_at
    params: list[datetime.datetime | int] = [at, at, at, *shown_ids, at, member_state.pk]
    params += [*item_ids, EVIDENCE_SHOWN]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            LiveEvidence(pk, title, review, bool(withdrawn), item, bool(added), of)
            for pk, title, review, withdrawn, item, added, of in cursor.fetchall()
        ]


# --- A reviewer's work queue ---------------------------------------------------------------------

EVIDENCE_IN_QUEUE = 20


@dataclass
class QueuedReport:
    report: CountryReport
    since: datetime.datetime  # submitted (awaiting review) or returned (awaiting the country)

    @property
    def days_waiting(self) -> int:
        return max(0, (today() - _local_day(self.since)).days) if self.since else 0


@dataclass
class ReviewQueue:
    awaiting_review: list[QueuedReport]  # oldest first
    awaiting_country: list[QueuedReport]  # returned, oldest first
    overdue: list[tuple[ReportingRound, list[ComplianceRow]]]  # per open round past its due day
    evidence: list[Evidence]  # pending review, oldest first (the first EVIDENCE_IN_QUEUE)
    evidence_count: int


def review_queue() -> ReviewQueue:
    """What waits for the reviewers: 4 queries, and 2 per round open today past its due day
    (one per plan at most)."""
    latest_move = (
        ReportTransition.objects.filter(report=OuterRef("pk"), to_state=OuterRef("state"))
        .order_by("-at")
        .values("at")[:1]
    )
    waiting = list(
        CountryReport.objects.filter(
            state__in=[CountryReport.State.SUBMITTED, CountryReport.State.RETURNED]
        )
        .annotate(since=Subquery(latest_move))
        .select_related("round__plan", "member_state")
        .order_by("since", "pk")
    )
    queued = [QueuedReport(report=r, since=r.since or r.updated_at) for r in waiting]
    overdue = []
    for reporting_round in ReportingRound.objects.select_related("plan").open_on(today()):
        if reporting_round.due_on < today():
            rows = [
                row
                for row in compliance_rows(reporting_round)
                if row.submitted_at is None and row.is_late
            ]
            if rows:
                overdue.append((reporting_round, rows))
    pending = Evidence.objects.filter(
        review=Evidence.Review.PENDING, withdrawn_at__isnull=True
    ).order_by("added_at", "pk")
    return ReviewQueue(
        awaiting_review=[q for q in queued if q.report.state == CountryReport.State.SUBMITTED],
        awaiting_country=[q for q in queued if q.report.state == CountryReport.State.RETURNED],
        overdue=overdue,
        evidence=list(
            pending.select_related("national_status__member_state", "national_status__action_item")[
                :EVIDENCE_IN_QUEUE
            ]
        ),
        evidence_count=pending.count(),
    )


def evidence_submitted_state(evidence: Evidence, status: NationalStatus) -> dict[str, Any]:
    """Whether `evidence` is part of its state's latest submission of the action, and as
    what: 1 query. Keys: `submitted_item` (or None) and `submitted_entry` (or None)."""
    latest = (
        SubmissionItem.objects.filter(
            submission__report__member_state=status.member_state_id,
            action_item=status.action_item_id,
        )
        .select_related("submission__report__round")
        .order_by("-submission__submitted_at", "-pk")
        .first()
    )
    entry = None
    if latest is not None:
        entry = next((e for e in latest.evidence if e.get("id") == evidence.pk), None)
    return {"submitted_item": latest, "submitted_entry": entry}
