"""E-mails about reports: after the commit, to the right people, each sent once."""

from smtplib import SMTPRecipientsRefused
from unittest import mock

import pytest
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from accounts.models import Role
from outbox.models import OutboxMessage
from outbox.services import relay_pending
from reviews import notifications, services, tasks
from reviews.models import ReportTransition
from tests import factories
from tests.outbox.test_outbox import make_due
from tests.reviews.conftest import bring_to


def recipients(outbox):
    return sorted(address for message in outbox for address in message.to)


@pytest.fixture
def people(focal_point, coordinator, other_coordinator, reviewer, secretariat, observer):
    """Everyone, plus a second reviewer, an inactive reviewer and Malaysia's focal point."""
    factories.make_user(Role.REVIEWER, email="ana@example.org")
    factories.make_user(Role.REVIEWER, email="gone@example.org", is_active=False)
    factories.make_user(Role.FOCAL_POINT, other_coordinator.member_state, email="my@example.org")


def test_a_submission_tells_every_active_reviewer_after_the_commit(
    report, items, people, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.report_submit(user=coordinator, report=report, cover_note="All updated.")
    assert mailoutbox == []  # nothing leaves before the transaction commits

    with django_capture_on_commit_callbacks(execute=True):  # the e-mails the job queues
        for callback in callbacks:
            callback()

    assert recipients(mailoutbox) == ["ana@example.org", "maria@example.org"]
    message = mailoutbox[0]
    assert message.subject == "Cambodia submitted its report for 2026 annual (RPA 2026–2030)"
    assert "All updated." in message.body
    link = f"http://testserver/review/rounds/{report.round_id}/states/KH/"
    assert link in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert f'href="{link}"' in html


def test_nothing_is_sent_when_the_transaction_rolls_back(
    report, items, people, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.report_submit(user=coordinator, report=report)
        raise RuntimeError("something later failed")

    assert mailoutbox == []
    assert ReportTransition.objects.count() == 0


@pytest.mark.parametrize("move", ["return", "accept", "reopen"])
def test_returned_accepted_or_reopened_reports_tell_the_states_users(
    move,
    report,
    items,
    people,
    coordinator,
    reviewer,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    bring_to(
        report,
        "accepted" if move == "reopen" else "submitted",
        coordinator=coordinator,
        reviewer=reviewer,
    )
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        if move == "return":
            services.report_return(user=reviewer, report=report, comment="Add the <b>decree</b>.")
        elif move == "accept":
            services.report_accept(user=reviewer, report=report)
        else:
            services.report_reopen(user=reviewer, report=report, reason="Wrong figure.")

    assert recipients(mailoutbox) == ["dara@example.org", "sophea@example.org"]
    subject = mailoutbox[0].subject
    if move == "accept":
        assert subject == "Your report for 2026 annual (RPA 2026–2030) was accepted"
    else:
        assert subject == "Your report for 2026 annual (RPA 2026–2030) was returned with comments"
    if move == "return":
        assert "Add the <b>decree</b>." in mailoutbox[0].body
        html = mailoutbox[0].alternatives[0][0]
        assert "Add the &lt;b&gt;decree&lt;/b&gt;." in html
    if move == "reopen":
        assert "reopened" in mailoutbox[0].body and "Wrong figure." in mailoutbox[0].body


def test_a_reviewers_comment_goes_to_the_state_and_earlier_participants(
    report,
    items,
    people,
    reviewer,
    secretariat,
    focal_point,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(user=secretariat, report=report, body="Source?", action_item=items[0])
        services.comment_add(user=focal_point, report=report, body="Decree.", action_item=items[0])
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        comment = services.comment_add(
            user=reviewer, report=report, body="Thanks, which year?", action_item=items[0]
        )

    # Cambodia's users and the secretariat admin who wrote earlier; not the author, not
    # Malaysia's users, not the other reviewers who are not in the thread, not the observer.
    assert recipients(mailoutbox) == ["budi@example.org", "dara@example.org", "sophea@example.org"]
    message = mailoutbox[0]
    assert message.subject == "New comment on action 1.1 of Cambodia, 2026 annual"
    assert f"#comment-{comment.pk}" in message.body
    assert "Thanks, which year?" in message.body


def test_a_states_reply_goes_to_the_reviewers_and_the_thread(
    report,
    items,
    people,
    reviewer,
    focal_point,
    coordinator,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(user=reviewer, report=report, body="Source?")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(user=coordinator, report=report, body="Decree 12.")

    assert recipients(mailoutbox) == ["ana@example.org", "maria@example.org"]


def test_a_participant_who_left_the_state_hears_no_more(
    report, items, reviewer, focal_point, malaysia, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(user=reviewer, report=report, body="Source?")
        services.comment_add(user=focal_point, report=report, body="Decree 12.")
    focal_point.member_state = malaysia
    focal_point.save()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(user=reviewer, report=report, body="Thank you.")

    assert recipients(mailoutbox) == []


def test_each_notification_is_sent_once_however_often_the_job_runs(
    report, items, people, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.report_submit(user=coordinator, report=report)
    transition = ReportTransition.objects.get()
    job = OutboxMessage.objects.get(task_name="reviews.tasks.notify_transition")

    with django_capture_on_commit_callbacks(execute=True):
        again = notifications.queue_transition_emails(transition.pk)
        tasks.notify_transition.apply([transition.pk], task_id=str(job.task_id))

    assert again == 0
    assert recipients(mailoutbox) == ["ana@example.org", "maria@example.org"]


def test_one_bad_address_does_not_stop_the_others_and_is_retried(
    report, items, people, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    real_send = EmailMultiAlternatives.send

    def refuse_ana(message, *args, **kwargs):
        if message.to == ["ana@example.org"]:
            raise SMTPRecipientsRefused({"ana@example.org": (550, b"No such user")})
        return real_send(message, *args, **kwargs)

    with (
        mock.patch.object(EmailMultiAlternatives, "send", refuse_ana),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.report_submit(user=coordinator, report=report)

    assert recipients(mailoutbox) == ["maria@example.org"]
    failed = OutboxMessage.objects.get(key__contains="ana@example.org")
    assert failed.state == OutboxMessage.State.PENDING
    assert "No such user" in failed.last_error

    make_due(failed)  # the mailbox exists again
    with django_capture_on_commit_callbacks(execute=True):
        relay_pending()

    assert recipients(mailoutbox) == ["ana@example.org", "maria@example.org"]
