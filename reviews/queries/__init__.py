"""Named reads of the review workflow, for its pages and for the regional view and the summaries.

Each runs a fixed number of queries, however many states, items or comments there are.
Access is not decided here: callers pass rows they may show (see accounts.policy).

One module per question: `compliance` (who submitted a round, how late), `changes` (what
changed since the previous round, and the counts kept at acceptance), `workspace` (review
state on the national workspace), `accepted` (figures of accepted reports), `check` (the
check before a submission), `submitted` (a submission beside the live data) and `work_queue`
(what waits for the reviewers). The names other apps use are imported here.
"""

from .accepted import accepted_plan_figures, latest_accepted_submissions
from .changes import (
    change_counts_since_previous_round,
    changes_between,
    changes_since_previous_round,
    keep_change_counts,
)
from .check import CHECK_FINDINGS, submission_check
from .compliance import ComplianceRow, compliance_rows, compliance_summary, days_late
from .submitted import (
    LiveEvidence,
    SubmittedEvidence,
    SubmittedRow,
    evidence_submitted_state,
    submitted_rows,
)
from .work_queue import review_queue
from .workspace import (
    item_threads,
    items_needing_more_evidence,
    open_round_with_report,
    with_evidence_flags,
)

__all__ = [
    "CHECK_FINDINGS",
    "ComplianceRow",
    "LiveEvidence",
    "SubmittedEvidence",
    "SubmittedRow",
    "accepted_plan_figures",
    "change_counts_since_previous_round",
    "changes_between",
    "changes_since_previous_round",
    "compliance_rows",
    "compliance_summary",
    "days_late",
    "evidence_submitted_state",
    "item_threads",
    "items_needing_more_evidence",
    "keep_change_counts",
    "latest_accepted_submissions",
    "open_round_with_report",
    "review_queue",
    "submission_check",
    "submitted_rows",
    "with_evidence_flags",
]
