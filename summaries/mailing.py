"""Sending digests and reminders: each e-mail at most once per (recipient, kind, key).

A run first records every e-mail it wants as a Delivery row (rows that exist are left alone),
claims the unsent ones with one conditional update, then sends its claimed e-mails one by
one, marking each sent as soon as it is: a worker killed halfway repeats none of those it
sent. An e-mail whose sending fails is released for the task's retry.
"""

import uuid
import zoneinfo
from dataclasses import dataclass, field

from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Delivery, ProgressSummary


@dataclass
class Mail:
    """An e-mail a run wants to send: to whom, once per what, and what it says."""

    recipient: object  # a User
    kind: str  # a Delivery.Kind
    key: str
    subject: str
    template: str  # emails/summaries/<template>.txt and .html
    context: dict = field(default_factory=dict)
    summary: ProgressSummary | None = None

    @property
    def identity(self):
        return (self.recipient.pk, self.kind, self.key)


def deliver(mails):
    """Send each of `mails` not sent before (by anyone); returns how many this run sent."""
    if not mails:
        return 0
    wanted = {mail.identity: mail for mail in mails}
    Delivery.objects.bulk_create(
        [
            Delivery(recipient=mail.recipient, kind=mail.kind, key=mail.key, summary=mail.summary)
            for mail in wanted.values()
        ],
        ignore_conflicts=True,
    )
    token = uuid.uuid4()
    Delivery.objects.filter(
        kind__in={mail.kind for mail in mails},
        key__in={mail.key for mail in mails},
        recipient__in={mail.recipient.pk for mail in mails},
    ).claim(token)
    mine = Delivery.objects.filter(claim=token)
    claimed = list(mine.values_list("pk", "recipient_id", "kind", "key"))
    if not claimed:
        return 0
    sent = 0
    with get_connection() as connection:
        for pk, *identity in claimed:
            mail = wanted.get(tuple(identity))
            if mail is None:  # another run's unsent e-mail this run does not want: not ours
                continue
            try:
                _message(mail, connection).send()
            except Exception:
                _release(mine)
                raise
            # One update per e-mail, right after it went: see the module's docstring.
            mine.filter(pk=pk).update(sent_at=timezone.now(), claim=None)
            sent += 1
    _release(mine)
    return sent


def _release(claimed):
    claimed.filter(sent_at__isnull=True).update(claim=None, claimed_at=None)


def _message(mail, connection):
    recipient = mail.recipient
    zone = zoneinfo.ZoneInfo(recipient.time_zone) if recipient.time_zone else None
    context = {**mail.context, "recipient": recipient}
    with timezone.override(zone or timezone.get_default_timezone()):
        text = render_to_string(f"emails/summaries/{mail.template}.txt", context)
        html = render_to_string(f"emails/summaries/{mail.template}.html", context)
    message = EmailMultiAlternatives(
        mail.subject, text, None, [recipient.email], connection=connection
    )
    message.attach_alternative(html, "text/html")
    return message
