"""E-mails about a country report: who hears of what, each sent to each person once.

Called by the outbox jobs in reviews.tasks after the change has committed. Each person's
e-mail is an outbox e-mail of its own, keyed by the event and the address: a job that runs
again queues nothing twice, and one bad address does not stop the others.
"""

import zoneinfo

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.policy import is_state_user, reviewers, state_users, users_who_see_state
from accounts.services import absolute_url
from outbox.mail import enqueue_email

from .models import Comment, CountryReport, Notification, ReportTransition

State = CountryReport.State

SUBJECTS = {
    State.SUBMITTED: "{state} submitted its report for {round}",
    State.RETURNED: "Your report for {round} was returned with comments",
    State.ACCEPTED: "Your report for {round} was accepted",
}


def transition_recipients(transition):
    """Submitted: every active reviewer. Returned (also by reopening) or accepted: the state's
    coordinators and focal points. Never the person who made the move."""
    if transition.to_state == State.SUBMITTED:
        people = reviewers()
    elif transition.to_state in (State.RETURNED, State.ACCEPTED):
        people = state_users(transition.report.member_state_id)
    else:
        people = User.objects.none()
    return people.exclude(pk=transition.by_id).order_by("pk")


def comment_recipients(comment):
    """Everyone who wrote in the thread, and the other side (the state's users for a reviewer's
    comment, the reviewers for the state's), except the author and anyone who may no longer
    see the report."""
    report = comment.report
    thread = Comment.objects.filter(report=report, action_item=comment.action_item_id)
    author_is_state = comment.author is not None and is_state_user(comment.author)
    other_side = reviewers() if author_is_state else state_users(report.member_state_id)
    return (
        User.objects.filter(Q(pk__in=thread.values("author")) | Q(pk__in=other_side.values("pk")))
        .filter(users_who_see_state(report.member_state_id), is_active=True)
        .exclude(pk=comment.author_id)
        .distinct()
        .order_by("pk")
    )


def queue_transition_emails(transition_id):
    """Queue the e-mails to the people who should hear that a report moved; returns how many
    were queued (none that were queued before)."""
    transition = ReportTransition.objects.select_related(
        "report__round__plan", "report__member_state", "by", "submission"
    ).get(pk=transition_id)
    report = transition.report
    if transition.to_state not in SUBJECTS:
        return 0
    subject = SUBJECTS[transition.to_state].format(state=report.member_state, round=report.round)
    path = report_path(report, anchor=ASKED_ANCHOR if transition.to_state == State.RETURNED else "")
    context = {"transition": transition, "report": report, "link": absolute_url(path)}
    return _queue(
        f"transition:{transition.pk}",
        transition_recipients(transition),
        subject,
        "emails/reviews/transition",
        context,
        path=path,
        zone=report.member_state.time_zone,
    )


def queue_comment_emails(comment_id):
    """Queue the e-mails of a new comment to the thread's participants; returns how many were
    queued (none that were queued before)."""
    comment = Comment.objects.select_related(
        "report__round__plan", "report__member_state", "author", "action_item"
    ).get(pk=comment_id)
    report = comment.report
    about = f"action {comment.action_item.code}" if comment.action_item else "the report"
    subject = f"New comment on {about} of {report.member_state}, {report.round.name}"
    path = report_path(report, anchor=f"comment-{comment.pk}")
    context = {"comment": comment, "report": report, "link": absolute_url(path)}
    return _queue(
        f"comment:{comment.pk}",
        comment_recipients(comment),
        subject,
        "emails/reviews/comment",
        context,
        path=path,
        zone=report.member_state.time_zone,
    )


# Where a returned report opens: what the reviewer asked (templates/reviews/countryreport_detail).
ASKED_ANCHOR = "asked"


def report_path(report, *, anchor=""):
    path = reverse("reviews:report_detail", args=[report.round_id, report.member_state.code])
    return f"{path}#{anchor}" if anchor else path


@transaction.atomic
def _queue(event, recipients, subject, template, context, *, path, zone):
    """Queue each recipient's e-mail and write their in-app notification of the same event,
    in one transaction: both or neither."""
    queued = 0
    recipients = list(recipients)
    Notification.objects.bulk_create(
        [
            Notification(
                event=event,
                recipient=recipient,
                subject=subject,
                link=path,
            )
            for recipient in recipients
        ],
        ignore_conflicts=True,  # the job ran before: each person has theirs already
    )
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for recipient in recipients:
            context = {**context, "recipient": recipient}
            queued += (
                enqueue_email(
                    event=event,
                    to=recipient.email,
                    subject=subject,
                    text=render_to_string(f"{template}.txt", context),
                    html=render_to_string(f"{template}.html", context),
                )
                is not None
            )
    return queued
