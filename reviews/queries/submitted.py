"""What a submission holds beside the live data: each action's submitted status and evidence,
and what changed since."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from actions.models import Evidence, NationalStatus
from countries.models import MemberState

from ..models import Submission, SubmissionItem

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
