"""The country report's state machine, what a submission freezes, the locks, comments and
evidence reviews, through reviews.services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role
from actions import evidence as ev
from actions.models import Evidence, NationalStatus, StatusHistory
from reviews import services
from reviews.models import (
    Comment,
    CountryReport,
    ReportTransition,
    Submission,
)
from tests import factories
from tests.reviews.conftest import bring_to, everything, make_round

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


State = CountryReport.State


def test_every_move_records_who_when_and_why(report, items, coordinator, reviewer, secretariat):
    services.report_submit(user=coordinator, report=report, cover_note="All items updated.")
    services.report_return(user=reviewer, report=report, comment="Add the 2025 decree.")
    services.report_submit(user=coordinator, report=report, cover_note="Decree added.")
    services.report_accept(user=secretariat, report=report)
    services.report_reopen(user=reviewer, report=report, reason="Wrong figure in 2.1.")

    moves = list(
        ReportTransition.objects.values_list("from_state", "to_state", "by__email", "reason")
    )
    assert moves == [
        ("draft", "submitted", "dara@example.org", "All items updated."),
        ("submitted", "returned", "maria@example.org", "Add the 2025 decree."),
        ("returned", "submitted", "dara@example.org", "Decree added."),
        ("submitted", "accepted", "budi@example.org", ""),
        ("accepted", "returned", "maria@example.org", "Wrong figure in 2.1."),
    ]
    assert all(t.at is not None for t in ReportTransition.objects.all())
    report.refresh_from_db()
    assert report.state == State.RETURNED


def test_a_return_starts_the_reports_comment_thread(report, items, coordinator, reviewer):
    bring_to(report, "submitted", coordinator=coordinator, reviewer=reviewer)

    services.report_return(user=reviewer, report=report, comment="Add the 2025 decree.")

    comment = Comment.objects.get()
    assert (comment.author, comment.action_item, comment.body) == (
        reviewer,
        None,
        "Add the 2025 decree.",
    )


@pytest.mark.parametrize("blank", ["", "   \n  "])
def test_returning_and_reopening_need_a_reason(report, items, coordinator, reviewer, blank):
    bring_to(report, "submitted", coordinator=coordinator, reviewer=reviewer)
    with pytest.raises(ValidationError):
        services.report_return(user=reviewer, report=report, comment=blank)
    services.report_accept(user=reviewer, report=report)
    before = everything()

    with pytest.raises(ValidationError):
        services.report_reopen(user=reviewer, report=report, reason=blank)

    assert everything() == before


@pytest.mark.parametrize("cover_note", ["with a NUL \x00 byte", "x" * 10_001])
def test_a_bad_cover_note_is_refused_and_nothing_is_submitted(
    report, items, coordinator, cover_note
):
    with pytest.raises(ValidationError):
        services.report_submit(user=coordinator, report=report, cover_note=cover_note)

    assert Submission.objects.count() == 0
    report.refresh_from_db()
    assert report.state == State.DRAFT


@pytest.mark.parametrize(
    "dates", [{"opens": 1, "due": 5, "closes": 10}, {"opens": -30, "due": -20, "closes": -1}]
)
def test_reports_are_submitted_only_while_the_round_is_open(
    plan_2026, cambodia, items, coordinator, dates
):
    closed = make_round(plan_2026, "Not open", **dates)
    report = CountryReport.objects.create(round=closed, member_state=cambodia)

    with pytest.raises(services.TransitionRefused, match="reports are submitted in that time"):
        services.report_submit(user=coordinator, report=report)

    report.refresh_from_db()
    assert (report.state, Submission.objects.count()) == (State.DRAFT, 0)


def test_a_reviewer_working_from_a_stale_page_cannot_accept_a_returned_report(
    report, items, coordinator, reviewer, secretariat
):
    report = bring_to(report, "submitted", coordinator=coordinator, reviewer=reviewer)
    stale = CountryReport.objects.get(pk=report.pk)
    services.report_return(user=reviewer, report=report, comment="Missing evidence.")

    with pytest.raises(services.TransitionRefused):
        services.report_accept(user=secretariat, report=stale)

    stale.refresh_from_db()
    assert stale.state == State.RETURNED
    assert Submission.objects.get().accepted_at is None


# --- What a submission freezes ---------------------------------------------------------------


def test_a_submission_freezes_every_item_of_the_plan_as_it_stood(
    report, items, coordinator, focal_point, malaysia, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    factories.save_status(
        focal_point,
        items[0],
        narrative="Draft law sent to parliament.",
        challenges="Elections",
        next_steps="Adoption",
        responsible_agency="CNCC",
    )
    ev.evidence_add_link(
        user=focal_point, item=items[0], title="Draft law", url="https://example.org/law"
    )
    factories.save_status(
        focal_point, items[1], status=NationalStatus.Status.NOT_APPLICABLE, progress=None
    )
    other = factories.make_user(Role.FOCAL_POINT, malaysia)
    factories.save_status(other, items[2], status=NationalStatus.Status.COMPLETED, progress=100)

    submission = services.report_submit(user=coordinator, report=report, cover_note="Ready.")

    rows = {row.code: row for row in submission.items.all()}
    assert sorted(rows) == [item.code for item in items]
    first = rows[items[0].code]
    assert (first.status, first.progress, first.narrative, first.challenges) == (
        "in_progress",
        40,
        "Draft law sent to parliament.",
        "Elections",
    )
    assert (first.next_steps, first.responsible_agency, first.last_changed_by) == (
        "Adoption",
        "CNCC",
        "Sophea",
    )
    assert first.status_version == 2  # the update, then the link
    link = Evidence.objects.get(title="Draft law")
    assert first.evidence == [
        {
            "id": link.pk,
            "title": "Draft law",
            "kind": "link",
            "url": "https://example.org/law",
            "file": "",
            "stored": "",
            "content_type": "",
            "size": None,
            "added_at": link.added_at.isoformat(),
            "review": "pending",
            "review_comment": "",
        }
    ]
    assert (rows[items[1].code].status, rows[items[1].code].progress) == ("not_applicable", None)
    # Malaysia's completed item is not Cambodia's: never updated here, not started.
    third = rows[items[2].code]
    assert (third.status, third.progress, third.status_version, third.last_changed_at) == (
        "not_started",
        0,
        0,
        None,
    )


def test_edits_after_submitting_do_not_alter_what_was_submitted(
    report, items, coordinator, focal_point, reviewer
):
    factories.save_status(focal_point, items[0], progress=40, narrative="Before")
    first = services.report_submit(user=coordinator, report=report)

    factories.save_status(focal_point, items[0], version=1, progress=90, narrative="After")

    row = first.items.get(action_item=items[0])
    assert (row.progress, row.narrative) == (40, "Before")

    services.report_return(user=reviewer, report=report, comment="Update 1.1")
    second = services.report_submit(user=coordinator, report=report)

    assert second.number == 2
    assert second.items.get(action_item=items[0]).progress == 90
    assert first.items.get(action_item=items[0]).progress == 40


def test_acceptance_locks_the_submission_and_reopening_releases_the_report_only(
    report, items, coordinator, reviewer, focal_point
):
    report = bring_to(report, "accepted", coordinator=coordinator, reviewer=reviewer)
    accepted = Submission.objects.get()
    assert report.accepted_submission == accepted
    assert accepted.accepted_at is not None

    with pytest.raises(services.TransitionRefused):
        services.report_submit(user=coordinator, report=report)

    services.report_reopen(user=reviewer, report=report, reason="Figure in 1.1 is wrong.")
    report.refresh_from_db()
    accepted.refresh_from_db()
    assert (report.state, report.accepted_submission) == (State.RETURNED, None)
    assert accepted.accepted_at is not None  # it was accepted then; the record stays

    factories.save_status(focal_point, items[0], progress=60)
    second = services.report_submit(user=coordinator, report=report)
    services.report_accept(user=reviewer, report=report)

    report.refresh_from_db()
    assert report.accepted_submission == second
    assert accepted.items.get(action_item=items[0]).progress == 0


def test_status_editing_does_not_wait_for_a_round(items, focal_point):
    """Editing stays as accounts.policy.can_edit_status decides: no open round needed."""
    saved = factories.save_status(focal_point, items[0], progress=10)

    assert saved.progress == 10


# --- Comments -----------------------------------------------------------------------------------


def test_reviewers_start_threads_and_the_states_users_reply(
    report, items, reviewer, focal_point, coordinator
):
    services.comment_add(user=reviewer, report=report, body="Source for 1.1?", action_item=items[0])

    services.comment_add(
        user=focal_point, report=report, body="Decree 12/2025.", action_item=items[0]
    )
    services.comment_add(
        user=coordinator, report=report, body="Attached now.", action_item=items[0]
    )

    thread = Comment.objects.filter(report=report, action_item=items[0])
    assert list(thread.values_list("author__email", flat=True)) == [
        "maria@example.org",
        "sophea@example.org",
        "dara@example.org",
    ]


def test_state_users_cannot_start_a_thread(report, items, focal_point, reviewer):
    services.comment_add(user=reviewer, report=report, body="On 1.1", action_item=items[0])

    with pytest.raises(PermissionDenied):
        services.comment_add(user=focal_point, report=report, body="Hello", action_item=items[1])
    with pytest.raises(PermissionDenied):
        services.comment_add(user=focal_point, report=report, body="Hello")

    assert Comment.objects.count() == 1


def test_observers_and_other_states_cannot_comment(
    report, items, reviewer, observer, other_coordinator
):
    services.comment_add(user=reviewer, report=report, body="On the report")

    for outsider in (observer, other_coordinator):
        with pytest.raises(PermissionDenied):
            services.comment_add(user=outsider, report=report, body="Me too")

    assert Comment.objects.count() == 1


def test_a_comment_on_another_plans_item_is_refused(report, reviewer, plan_2021):
    old_item = factories.make_item(factories.make_focus_area(plan_2021))

    with pytest.raises(ValidationError):
        services.comment_add(user=reviewer, report=report, body="?", action_item=old_item)

    assert Comment.objects.count() == 0


@pytest.mark.parametrize("body", ["", "  ", "NUL \x00", "x" * 10_001])
def test_a_bad_comment_is_refused(report, reviewer, body):
    with pytest.raises(ValidationError):
        services.comment_add(user=reviewer, report=report, body=body)

    assert Comment.objects.count() == 0


def test_comments_are_stored_as_typed(report, reviewer):
    body = '<script>alert(1)</script> =HYPERLINK("x") @SUM(1)'

    services.comment_add(user=reviewer, report=report, body=body)

    assert Comment.objects.get().body == body


# --- Evidence reviews ---------------------------------------------------------------------------


@pytest.fixture
def evidence(items, focal_point):
    return ev.evidence_add_link(
        user=focal_point, item=items[0], title="Decree", url="https://example.org/decree"
    )


def test_a_reviewer_asks_for_more_evidence_and_the_history_records_it(
    evidence, reviewer, focal_point
):
    status = evidence.national_status
    status.refresh_from_db()
    version, updated_at = status.version, status.updated_at

    services.evidence_review(
        user=reviewer, evidence_id=evidence.pk, decision="needs_more", comment="Signed copy?"
    )

    evidence.refresh_from_db()
    assert (evidence.review, evidence.review_comment, evidence.reviewed_by) == (
        Evidence.Review.NEEDS_MORE,
        "Signed copy?",
        reviewer,
    )
    status.refresh_from_db()
    assert status.version == version + 1
    # A review is no edit by the state: its last change stays the state's.
    assert (status.updated_at, status.updated_by) == (updated_at, focal_point)
    entry = StatusHistory.objects.get(national_status=status, version=status.version)
    assert entry.changed_by == reviewer
    assert entry.changes == {
        "evidence_review": ["Decree — Pending review", "Decree — Needs more: Signed copy?"]
    }


def test_needs_more_needs_a_comment(evidence, reviewer):
    with pytest.raises(ValidationError):
        services.evidence_review(user=reviewer, evidence_id=evidence.pk, decision="needs_more")

    evidence.refresh_from_db()
    assert evidence.review == Evidence.Review.PENDING


@pytest.mark.parametrize("decision", ["pending", "approved", ""])
def test_only_accepted_or_needs_more_can_be_chosen(evidence, reviewer, decision):
    with pytest.raises(ValidationError):
        services.evidence_review(
            user=reviewer, evidence_id=evidence.pk, decision=decision, comment="x"
        )


@pytest.mark.parametrize("role", ["focal_point", "coordinator", "observer"])
def test_only_reviewers_review_evidence(request, evidence, role):
    with pytest.raises(PermissionDenied):
        services.evidence_review(
            user=request.getfixturevalue(role), evidence_id=evidence.pk, decision="accepted"
        )

    evidence.refresh_from_db()
    assert evidence.review == Evidence.Review.PENDING


def test_withdrawn_evidence_cannot_be_reviewed(evidence, reviewer, focal_point):
    ev.evidence_withdraw(user=focal_point, evidence_id=evidence.pk)

    with pytest.raises(Evidence.DoesNotExist):
        services.evidence_review(user=reviewer, evidence_id=evidence.pk, decision="accepted")


def test_the_same_review_twice_records_one_change(evidence, reviewer, secretariat):
    for _ in range(2):
        services.evidence_review(user=secretariat, evidence_id=evidence.pk, decision="accepted")

    reviews = StatusHistory.objects.filter(changes__has_key="evidence_review")
    assert reviews.count() == 1
