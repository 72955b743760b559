"""The check before a submission: what a coordinator should look at before submitting."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Trim

from actions.models import ActionItem, Evidence, NationalStatus
from actions.queries import status_text, with_status_texts
from countries.models import MemberState

from ..models import ReportingRound
from .workspace import evidence_needing_more

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
