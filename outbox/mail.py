"""The one way to send an e-mail: one outbox job per recipient and event, sent once.

A caller renders the message (in the recipient's language and time zone) and queues it in its
own transaction; the job sends it after the commit, or later if the broker or the mail server
is away. The key (event, recipient) makes each person get each message once however often
the caller runs, and a bad address fails only its own job, which ends as a dead letter in the
admin after OUTBOX_MAX_ATTEMPTS tries. The text is cleared from the message once it is sent:
it may hold a link that signs someone in (an invitation, a password reset).
"""

from django.core.mail import EmailMultiAlternatives

from .models import OutboxMessage
from .services import enqueue_once

SEND_EMAIL = "outbox.tasks.send_email"


def email_key(event: str, to: str) -> str:
    """The key of the e-mail about `event` to address `to`."""
    return f"email:{event}:{to.strip().lower()}"


def enqueue_email(
    *, event: str, to: str, subject: str, text: str, html: str = ""
) -> OutboxMessage | None:
    """Queue one e-mail to address `to` about `event` (e.g. "transition:12"), unless it was
    queued before; returns the OutboxMessage or None."""
    return enqueue_once(
        email_key(event, to), SEND_EMAIL, to=to, subject=subject, text=text, html=html
    )


def send_email(*, to: str, subject: str, text: str, html: str = "") -> None:
    message = EmailMultiAlternatives(subject, text, None, [to])
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
