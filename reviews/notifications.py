"""E-mails about a country report: who hears of what, each sent to each person once.

Called by the Celery tasks in reviews.tasks after the change has committed. A person's
notification is claimed (a SentNotification row) before it is sent, so a task that runs
again, or twice at once, does not send it again.
"""

import zoneinfo

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import STATE_ROLES, Role, User
from accounts.policy import REGIONAL_ROLES
from accounts.services import absolute_url

from .models import Comment, CountryReport, ReportTransition, SentNotification

State = CountryReport.State

SUBJECTS = {
    State.SUBMITTED: "{state} submitted its report for {round}",
    State.RETURNED: "Your report for {round} was returned with comments",
    State.ACCEPTED: "Your report for {round} was accepted",
}


def reviewers():
    return User.objects.filter(role=Role.REVIEWER, is_active=True)


def state_users(member_state):
    """The state's coordinators and focal points."""
    return User.objects.filter(role__in=STATE_ROLES, member_state=member_state, is_active=True)


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
    author_is_state = comment.author is not None and comment.author.is_state_user
    other_side = (
        Q(role=Role.REVIEWER)
        if author_is_state
        else Q(role__in=STATE_ROLES, member_state=report.member_state_id)
    )
    may_see = Q(role__in=REGIONAL_ROLES) | Q(
        role__in=STATE_ROLES, member_state=report.member_state_id
    )
    return (
        User.objects.filter(Q(pk__in=thread.values("author")) | other_side)
        .filter(may_see, is_active=True)
        .exclude(pk=comment.author_id)
        .distinct()
        .order_by("pk")
    )


def send_transition_notifications(transition_id):
    """E-mail the people who should hear that a report moved; returns how many were sent."""
    transition = ReportTransition.objects.select_related(
        "report__round__plan", "report__member_state", "by", "submission"
    ).get(pk=transition_id)
    report = transition.report
    if transition.to_state not in SUBJECTS:
        return 0
    subject = SUBJECTS[transition.to_state].format(state=report.member_state, round=report.round)
    context = {"transition": transition, "report": report, "link": report_link(report)}
    return _send_once(
        f"transition:{transition.pk}",
        transition_recipients(transition),
        subject,
        "emails/reviews/transition",
        context,
        zone=report.member_state.time_zone,
    )


def send_comment_notifications(comment_id):
    """E-mail a new comment to the thread's participants; returns how many were sent."""
    comment = Comment.objects.select_related(
        "report__round__plan", "report__member_state", "author", "action_item"
    ).get(pk=comment_id)
    report = comment.report
    about = f"action {comment.action_item.code}" if comment.action_item else "the report"
    subject = f"New comment on {about} of {report.member_state}, {report.round.name}"
    context = {"comment": comment, "report": report, "link": report_link(report, comment)}
    return _send_once(
        f"comment:{comment.pk}",
        comment_recipients(comment),
        subject,
        "emails/reviews/comment",
        context,
        zone=report.member_state.time_zone,
    )


def report_link(report, comment=None):
    path = reverse("reviews:report_detail", args=[report.round_id, report.member_state.code])
    if comment is not None:
        path += f"#comment-{comment.pk}"
    return absolute_url(path)


def _send_once(event, recipients, subject, template, context, *, zone):
    sent = 0
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        # One claim per person: a bulk insert could not tell which rows this run won.
        for recipient in recipients:
            if not _claim(event, recipient):
                continue
            message = _message(recipient, subject, template, {**context, "recipient": recipient})
            try:
                message.send()
            except Exception:
                # Not sent: release the claim so that the task's retry sends it.
                SentNotification.objects.filter(event=event, recipient=recipient).delete()
                raise
            sent += 1
    return sent


def _claim(event, recipient):
    try:
        with transaction.atomic():
            SentNotification.objects.create(event=event, recipient=recipient)
    except IntegrityError:
        return False
    return True


def _message(recipient, subject, template, context):
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject, text, None, [recipient.email])
    message.attach_alternative(html, "text/html")
    return message
