"""A reviewer's work queue: reports waiting for a reviewer or for their country, rounds past
due, and evidence waiting for review."""

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from actions.models import Evidence

from ..models import CountryReport, ReportingRound, ReportTransition, local_day, today
from .compliance import ComplianceRow, compliance_rows

EVIDENCE_IN_QUEUE = 20


@dataclass
class QueuedReport:
    report: CountryReport
    since: datetime.datetime  # submitted (awaiting review) or returned (awaiting the country)

    @property
    def days_waiting(self) -> int:
        return max(0, (today() - local_day(self.since)).days) if self.since else 0


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
