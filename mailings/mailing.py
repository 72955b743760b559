"""Digests and reminders leave through the outbox's one e-mail sender, each once.

A run renders every e-mail it wants (in each recipient's time zone) and queues it as an outbox
e-mail keyed by (kind, key, address): an e-mail queued before, by an earlier run or by a run
at the same moment (two schedulers, a job delivered twice), is not queued again. Each
e-mail is a job of its own, so one bad address does not stop the others.
"""

import zoneinfo
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from outbox.mail import enqueue_email
from reviews.models import Notification


class Kind:
    DIGEST = "digest"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    STALE = "stale"


@dataclass
class Mail:
    """An e-mail a run wants to send: to whom, once per what, and what it says."""

    recipient: object  # a User
    kind: str  # a Kind
    key: str
    subject: str
    template: str  # emails/summaries/<template>.txt and .html
    context: dict = field(default_factory=dict)

    @property
    def event(self):
        return f"{self.kind}:{self.key}"


@transaction.atomic
def deliver(mails):
    """Queue each of `mails` not queued before (by anyone), and write each recipient's in-app
    notification of the same event in the same transaction (once per event and person);
    returns how many e-mails this run queued."""
    Notification.objects.bulk_create(
        [
            Notification(
                event=mail.event,
                recipient=mail.recipient,
                subject=mail.subject[:300],
                link=_path(mail.context.get("link", "")),
            )
            for mail in mails
        ],
        ignore_conflicts=True,  # an earlier run wrote it already
    )
    return sum(_queue(mail) is not None for mail in mails)


def _path(link):
    """The site path of an e-mail's absolute link (notifications link within the site)."""
    parts = urlsplit(link)
    path = parts.path or "/"
    return f"{path}#{parts.fragment}" if parts.fragment else path


def _queue(mail):
    recipient = mail.recipient
    zone = zoneinfo.ZoneInfo(recipient.time_zone) if recipient.time_zone else None
    context = {**mail.context, "recipient": recipient}
    with timezone.override(zone or timezone.get_default_timezone()):
        text = render_to_string(f"emails/summaries/{mail.template}.txt", context)
        html = render_to_string(f"emails/summaries/{mail.template}.html", context)
    return enqueue_email(
        event=mail.event, to=recipient.email, subject=mail.subject, text=text, html=html
    )
