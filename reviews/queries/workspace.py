"""Review state on the national workspace: the open round and its report, comment threads, and
the evidence the reviewers asked more of."""

from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from actions.models import ActionItem, Evidence, Plan
from countries.models import MemberState

from ..models import Comment, CountryReport, ReportingRound, today


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
