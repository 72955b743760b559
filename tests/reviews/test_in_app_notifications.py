"""In-app notifications: the same events as the e-mails, in the header and on their own page."""

import pytest
from django.urls import reverse

from outbox.models import OutboxMessage
from reviews import notifications, services
from reviews.models import Notification
from tests.query_counts import assert_flat
from tests.reviews.conftest import bring_to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


LIST_URL = reverse("reviews:notification_list")


def test_each_email_of_a_move_has_its_notification(
    report, items, coordinator, reviewer, focal_point
):
    bring_to(report, "returned", coordinator=coordinator, reviewer=reviewer)
    returned = report.transitions.get(to_state="returned")

    queued = notifications.queue_transition_emails(returned.pk)

    emailed = {
        message.kwargs["to"]
        for message in OutboxMessage.objects.filter(
            key__startswith=f"email:transition:{returned.pk}:"
        )
    }
    notified = Notification.objects.filter(event=f"transition:{returned.pk}")
    assert queued == 2
    assert (
        {n.recipient.email for n in notified}
        == emailed
        == {coordinator.email, focal_point.email} - {reviewer.email}
    )
    url = reverse("reviews:report_detail", args=[report.round_id, "KH"])
    assert {n.link for n in notified} == {f"{url}#asked"}
    assert {n.subject for n in notified} == {
        "Your report for 2026 annual (RPA 2026–2030) was returned with comments"
    }


def test_a_comment_notifies_whom_it_emails_and_a_second_run_adds_nothing(
    report, items, coordinator, reviewer, focal_point
):
    comment = services.comment_add(user=reviewer, report=report, body="Which decree?")

    notifications.queue_comment_emails(comment.pk)
    notifications.queue_comment_emails(comment.pk)

    notified = Notification.objects.filter(event=f"comment:{comment.pk}")
    assert sorted(n.recipient_id for n in notified) == sorted([coordinator.pk, focal_point.pk])
    assert notified.first().link.endswith(f"#comment-{comment.pk}")


def test_the_header_counts_unread_and_opening_one_marks_it_read(
    sign_in, report, items, coordinator, reviewer
):
    comment = services.comment_add(user=reviewer, report=report, body="Which decree?")
    notifications.queue_comment_emails(comment.pk)
    mine = Notification.objects.get(recipient=coordinator)
    client = sign_in(coordinator)

    page = client.get(LIST_URL).content.decode()
    assert '1<span class="visually-hidden"> unread</span>' in page
    assert "New comment on the report of Cambodia, 2026 annual" in page

    response = client.post(reverse("reviews:notification_open", args=[mine.pk]))

    assert response.status_code == 302
    assert response.url == mine.link
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert "unread</span>" not in client.get(LIST_URL).content.decode()


def test_nobody_opens_or_reads_anothers_notifications(
    sign_in, report, items, coordinator, reviewer, focal_point
):
    comment = services.comment_add(user=reviewer, report=report, body="Which decree?")
    notifications.queue_comment_emails(comment.pk)
    theirs = Notification.objects.get(recipient=coordinator)

    response = sign_in(focal_point).post(reverse("reviews:notification_open", args=[theirs.pk]))
    sign_in(focal_point).post(reverse("reviews:notification_read_all"))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert theirs.subject not in sign_in(reviewer).get(LIST_URL).content.decode()


def test_mark_all_read(sign_in, report, items, coordinator, reviewer):
    for n in range(3):
        comment = services.comment_add(user=reviewer, report=report, body=f"Question {n}")
        notifications.queue_comment_emails(comment.pk)

    sign_in(coordinator).post(reverse("reviews:notification_read_all"))

    assert not Notification.objects.filter(recipient=coordinator).unread().exists()


def test_the_list_queries_do_not_grow(sign_in, report, items, coordinator, reviewer):
    def comments(count):
        for n in range(count):
            comment = services.comment_add(user=reviewer, report=report, body=f"Question {n}")
            notifications.queue_comment_emails(comment.pk)

    comments(1)
    client = sign_in(coordinator)

    assert_flat(client, "reviews:notification_list", LIST_URL, lambda: comments(11))


def test_a_returned_report_opens_at_what_the_reviewer_asked(
    sign_in, report, items, coordinator, reviewer
):
    bring_to(report, "returned", coordinator=coordinator, reviewer=reviewer)
    client = sign_in(coordinator)

    response = client.get(reverse("reviews:my_report"))

    path, anchor = response.url.split("#")
    assert anchor == "asked"
    page = client.get(path).content.decode()
    assert 'id="asked"' in page
    assert "What the reviewer asked" in page and "Please add evidence." in page
