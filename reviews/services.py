"""Writes of the review workflow: rounds, a country report's moves, comments, evidence reviews.

Each checks who may do it, locks what it changes, records who, when and why, and enqueues its
notifications to run once the transaction commits.

    draft ──submit──▶ submitted ──accept──▶ accepted
                       │    ▲                  │
                  return    submit           reopen
                       ▼    │                  │
                      returned ◀───────────────┘
"""

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.policy import may_comment, may_manage_rounds, may_review, may_submit
from actions.models import ActionItem, Evidence, NationalStatus, Plan, StatusHistory
from core.validators import (
    COMMENT_MAX_LENGTH,
    CONTROL_BUT_TAB_AND_LINE_BREAKS,
    validate_storable_text,
)
from countries.models import MemberState
from outbox.services import enqueue

from . import tasks
from .events import report_moved
from .models import (
    Comment,
    CountryReport,
    ReportingRound,
    ReportTransition,
    Submission,
    SubmissionItem,
    today,
)
from .queries import keep_change_counts, submission_check

State = CountryReport.State
MAX_TEXT_LENGTH = COMMENT_MAX_LENGTH


class TransitionRefused(Exception):
    """The report is not in a state that allows this move (or its round is closed)."""


# --- Text ----------------------------------------------------------------------------------------


def clean_text(value: object, *, label: str, required: bool) -> str:
    """Free text as stored: trimmed, at most MAX_TEXT_LENGTH characters, no control characters
    other than line breaks and tabs, no broken characters (lone surrogates)."""
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{label} must be text.", code="invalid")
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(f"{label} is required.", code="required")
    if CONTROL_BUT_TAB_AND_LINE_BREAKS.search(text):
        raise ValidationError(f"{label} contains characters that are not allowed.", code="null")
    validate_storable_text(text)
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(
            "%(label)s can be at most %(max)d characters (it has %(length)d).",
            code="max_length",
            params={"label": label, "max": MAX_TEXT_LENGTH, "length": len(text)},
        )
    return text


# --- Rounds --------------------------------------------------------------------------------------


@transaction.atomic
def round_create(
    *,
    user: User,
    plan: Plan,
    name: str,
    opens_on: datetime.date | str,
    due_on: datetime.date | str,
    closes_on: datetime.date | str,
    **blocking: bool,
) -> ReportingRound:
    """A new reporting round of `plan`, created by the secretariat.

    `blocking` names the submission-check findings that stop a report in this round
    (ReportingRound.BLOCKING_FIELDS, each True or False; unnamed ones do not block).
    """
    if not may_manage_rounds(user):
        raise PermissionDenied("Only the secretariat creates reporting rounds.")
    unknown = set(blocking) - set(ReportingRound.BLOCKING_FIELDS)
    if unknown:
        raise TypeError(f"round_create() got unexpected arguments {sorted(unknown)}")
    dates = {"opens_on": opens_on, "due_on": due_on, "closes_on": closes_on}
    wrong = [field for field, day in dates.items() if not isinstance(day, datetime.date | str)]
    if wrong:
        raise ValidationError(dict.fromkeys(wrong, "Enter a real date, for example 2026-03-31."))
    if not isinstance(name, str):
        raise ValidationError({"name": "The name must be text."})
    reporting_round = ReportingRound(
        plan=plan,
        name=" ".join(name.split()),
        opens_on=opens_on,
        due_on=due_on,
        closes_on=closes_on,
        created_by=user,
        **{field: bool(value) for field, value in blocking.items()},
    )
    reporting_round.full_clean()
    reporting_round.save()
    return reporting_round


def report_for(*, reporting_round: ReportingRound, member_state: MemberState) -> CountryReport:
    """The state's report in the round, started (as a draft) the first time it is needed."""
    if not member_state.reports_in(reporting_round.plan):
        raise ValidationError(f"{member_state} does not report on {reporting_round.plan}.")
    report, _ = CountryReport.objects.get_or_create(
        round=reporting_round, member_state=member_state
    )
    return report


# --- A report's moves ----------------------------------------------------------------------------


def _locked(report: CountryReport) -> CountryReport:
    return (
        CountryReport.objects.select_for_update(of=("self",))
        .select_related("round__plan", "member_state")
        .get(pk=report.pk)
    )


def _move(
    report: CountryReport,
    *,
    user: User,
    from_states: tuple[str, ...],
    to_state: str,
    reason: str = "",
    submission: Submission | None = None,
    **fields: Any,
) -> ReportTransition:
    """Move the locked `report` to `to_state` if it is still in one of `from_states`."""
    now = timezone.now()
    # Claim: of two moves racing from the same state, only one changes the row.
    claimed = CountryReport.objects.filter(pk=report.pk, state__in=from_states).update(
        state=to_state, updated_at=now, **fields
    )
    if claimed != 1:
        raise TransitionRefused(f"This report is {report.get_state_display().lower()} now.")
    transition = ReportTransition.objects.create(
        report=report,
        from_state=report.state,
        to_state=to_state,
        by=user,
        at=now,
        reason=reason,
        submission=submission,
    )
    report.state, report.updated_at = to_state, now
    for name, value in fields.items():
        setattr(report, name, value)
    enqueue(tasks.notify_transition, transition.pk)
    report_moved.send(sender=CountryReport, report=report, transition=transition)
    return transition


def _refuse_unless(report: CountryReport, *states: str) -> None:
    if report.state not in states:
        raise TransitionRefused(
            f"This report is {report.get_state_display().lower()}: that is not possible now."
        )


class SubmissionBlocked(TransitionRefused):
    """The round does not accept a report with the gaps the submission check found."""


@transaction.atomic
def report_submit(
    *,
    user: User,
    report: CountryReport,
    cover_note: str = "",
    confirmed: Mapping[str, int] | None = None,
) -> Submission:
    """The coordinator submits a draft or returned report; what is submitted is frozen.

    The submission check runs again here: a gap the round blocks on refuses the submission,
    and `confirmed` (the check's counts as the coordinator confirmed them on the page) must
    still be what the check finds, or the coordinator confirmed something else.
    """
    if not may_submit(user, report.member_state):
        raise PermissionDenied("Only the state's national coordinator submits its report.")
    cover_note = clean_text(cover_note, label="The cover note", required=False)
    report = _locked(report)
    _refuse_unless(report, State.DRAFT, State.RETURNED)
    if not report.round.is_open_on(today()):
        raise TransitionRefused(
            f"The round “{report.round.name}” is open from {report.round.opens_on:%d %b %Y} "
            f"to {report.round.closes_on:%d %b %Y}: reports are submitted in that time."
        )
    check = submission_check(report.round, report.member_state, for_snapshot=True)
    if check.blocking:
        gaps = "; ".join(f"{finding.count} {finding.label}" for finding in check.blocking)
        raise SubmissionBlocked(
            f"The round “{report.round.name}” does not accept a report with these gaps: "
            f"{gaps}. Fix them, then submit."
        )
    if confirmed is not None and dict(confirmed) != check.counts:
        raise ValidationError(
            "The check changed since you read it (someone saved meanwhile): read the new "
            "counts below and confirm them.",
            code="stale_check",
        )
    previous = report.submissions.order_by("-number").values_list("number", flat=True).first()
    submission = Submission.objects.create(
        report=report,
        number=(previous or 0) + 1,
        submitted_by=user,
        submitted_at=timezone.now(),
        cover_note=cover_note,
        check_counts=check.counts,
    )
    SubmissionItem.objects.bulk_create(_snapshot(submission, report, check.items))
    _move(
        report,
        user=user,
        from_states=(State.DRAFT, State.RETURNED),
        to_state=State.SUBMITTED,
        reason=cover_note,
        submission=submission,
    )
    return submission


def _snapshot(
    submission: Submission, report: CountryReport, items: list[Any]
) -> list[SubmissionItem]:
    """One frozen row per action item of the plan, as the state's status stands: `items` as
    the submission check read them (`for_snapshot`), and the current evidence (1 query)."""
    state, plan = report.member_state, report.round.plan
    evidence: dict[int, list[dict[str, Any]]] = {}
    current = Evidence.objects.filter(
        national_status__member_state=state,
        national_status__action_item__plan=plan,
        withdrawn_at__isnull=True,
    ).order_by("added_at", "id")
    for entry in current.values(
        "pk",
        "national_status__action_item",
        "title",
        "kind",
        "url",
        "file",
        "original_name",
        "content_type",
        "size",
        "added_at",
        "review",
        "review_comment",
    ):
        # A link with its title; a file by its stored identity (evidence id and stored name:
        # evidence is withdrawn, never deleted or replaced, so the id finds this very file).
        evidence.setdefault(entry["national_status__action_item"], []).append(
            {
                "id": entry["pk"],
                "title": entry["title"],
                "kind": entry["kind"],
                "url": entry["url"],
                "file": entry["original_name"],
                "stored": entry["file"],
                "content_type": entry["content_type"],
                "size": entry["size"],
                "added_at": entry["added_at"].isoformat(),
                "review": entry["review"],
                "review_comment": entry["review_comment"],
            }
        )
    return [
        SubmissionItem(
            submission=submission,
            action_item_id=item.pk,
            code=item.code,
            title=item.title,
            focus_area_number=item.focus_area_number,
            position=item.position,
            status=item.status,
            progress=item.progress,
            narrative=item.narrative,
            challenges=item.challenges,
            next_steps=item.next_steps,
            responsible_agency=item.responsible_agency,
            status_version=item.status_version,
            last_changed_at=item.updated_at,
            last_changed_by=item.updated_by_name or item.updated_by_email or "",
            evidence=evidence.get(item.pk, []),
        )
        for item in items
    ]


@transaction.atomic
def report_return(*, user: User, report: CountryReport, comment: str) -> ReportTransition:
    """A reviewer sends a submitted report back to the state, saying why."""
    if not may_review(user):
        raise PermissionDenied("Only reviewers and the secretariat return reports.")
    comment = clean_text(comment, label="A comment for the state", required=True)
    report = _locked(report)
    _refuse_unless(report, State.SUBMITTED)
    latest = report.submissions.order_by("-number").first()
    transition = _move(
        report,
        user=user,
        from_states=(State.SUBMITTED,),
        to_state=State.RETURNED,
        reason=comment,
        submission=latest,
    )
    # The comment starts (or continues) the report's thread, where the state can reply.
    _save_comment(Comment(report=report, author=user, body=comment, created_at=transition.at))
    return transition


@transaction.atomic
def report_accept(*, user: User, report: CountryReport) -> ReportTransition:
    """A reviewer accepts the latest submission: it is locked, and observers may see it."""
    if not may_review(user):
        raise PermissionDenied("Only reviewers and the secretariat accept reports.")
    report = _locked(report)
    _refuse_unless(report, State.SUBMITTED)
    latest = report.submissions.latest("number")  # a submitted report has one
    now = timezone.now()
    if Submission.objects.filter(pk=latest.pk).mark_accepted(now) != 1:
        raise TransitionRefused("This submission has already been accepted.")
    transition = _move(
        report,
        user=user,
        from_states=(State.SUBMITTED,),
        to_state=State.ACCEPTED,
        submission=latest,
        accepted_submission=latest,
    )
    keep_change_counts(report.round.plan_id, report.member_state_id)
    return transition


@transaction.atomic
def report_reopen(*, user: User, report: CountryReport, reason: str) -> ReportTransition:
    """A reviewer reopens an accepted report (back to returned), giving a reason.

    The accepted submission stays as it was (with its acceptance time), but is no longer the
    report's accepted data until a new submission is accepted.
    """
    if not may_review(user):
        raise PermissionDenied("Only reviewers and the secretariat reopen reports.")
    reason = clean_text(reason, label="The reason for reopening", required=True)
    report = _locked(report)
    _refuse_unless(report, State.ACCEPTED)
    transition = _move(
        report,
        user=user,
        from_states=(State.ACCEPTED,),
        to_state=State.RETURNED,
        reason=reason,
        submission=report.accepted_submission,
        accepted_submission=None,
    )
    keep_change_counts(report.round.plan_id, report.member_state_id)
    return transition


# --- Comments ------------------------------------------------------------------------------------


@transaction.atomic
def comment_add(
    *, user: User, report: CountryReport, body: str, action_item: ActionItem | None = None
) -> Comment:
    """Add to the thread on `report` (or on one of its items).

    Reviewers and the secretariat start and continue threads; the state's focal points and
    coordinators reply to a thread a reviewer started.
    """
    if not may_comment(user, report.member_state):
        raise PermissionDenied(
            "Reviewers, secretariat admins and the state's focal points and coordinators"
            " comment on its report."
        )
    body = clean_text(body, label="The comment", required=True)
    if action_item is not None and action_item.plan_id != report.round.plan_id:
        raise ValidationError("That action is not part of this report's plan.")
    if not may_review(user):
        thread = Comment.objects.filter(report=report, action_item=action_item)
        if not thread.exists():
            raise PermissionDenied("Member states reply to reviewers' comments.")
    comment = _save_comment(Comment(report=report, action_item=action_item, author=user, body=body))
    enqueue(tasks.notify_comment, comment.pk)
    return comment


def _save_comment(comment: Comment) -> Comment:
    comment.full_clean(exclude=["report", "action_item", "author"])
    comment.save()
    return comment


# --- Evidence reviews ----------------------------------------------------------------------------

REVIEW_DECISIONS = (Evidence.Review.ACCEPTED, Evidence.Review.NEEDS_MORE)


def _review_text(review: str, comment: str) -> str:
    label = Evidence.Review(review).label
    return f"{label}: {comment}" if comment else label


@transaction.atomic
def evidence_review(*, user: User, evidence_id: int, decision: str, comment: str = "") -> Evidence:
    """A reviewer marks evidence accepted or "needs more"; the status's history records it.

    "Needs more" needs a comment saying what is missing; it flags the item in the state's
    workspace until the evidence is reviewed again or withdrawn.
    """
    if not may_review(user):
        raise PermissionDenied("Only reviewers and the secretariat review evidence.")
    if decision not in REVIEW_DECISIONS:
        raise ValidationError("Choose accepted or needs more.", code="invalid_choice")
    comment = clean_text(
        comment, label="A comment", required=decision == Evidence.Review.NEEDS_MORE
    )
    evidence = Evidence.objects.select_related("national_status").get(
        pk=evidence_id, withdrawn_at__isnull=True
    )
    status = NationalStatus.objects.select_for_update().get(pk=evidence.national_status_id)
    evidence.refresh_from_db(fields=["review", "review_comment", "withdrawn_at"])
    if evidence.withdrawn_at is not None:
        raise Evidence.DoesNotExist("This evidence has been withdrawn.")
    if evidence.review == decision and evidence.review_comment == comment:
        return evidence  # a double-submitted form changes nothing
    old = _review_text(evidence.review, evidence.review_comment)
    now = timezone.now()
    evidence.review, evidence.review_comment = decision, comment
    evidence.reviewed_at, evidence.reviewed_by = now, user
    evidence.save(update_fields=["review", "review_comment", "reviewed_at", "reviewed_by"])
    # History rows are numbered by the status's version. A review is no edit of the status:
    # its last change (and staleness) stays the state's.
    status.version += 1
    status.save(update_fields=["version"])
    StatusHistory.objects.create(
        national_status=status,
        version=status.version,
        changed_at=now,
        changed_by=user,
        changes={
            "evidence_review": [
                f"{evidence.title} — {old}",
                f"{evidence.title} — {_review_text(decision, comment)}",
            ]
        },
    )
    return evidence
