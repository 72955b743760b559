"""Compliance: which member states submitted a round's report, and how late."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Min, OuterRef, QuerySet, Subquery

from actions.models import NationalStatus
from countries.models import MemberState

from ..models import Comment, CountryReport, ReportingRound, Submission, local_day, today


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
                days_late=days_late(round_, local_day(first), on),
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
