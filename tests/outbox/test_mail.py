"""The one e-mail sender: one outbox job per recipient and event, each e-mail sent once."""

import ast
from pathlib import Path
from smtplib import SMTPRecipientsRefused
from unittest import mock

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from outbox.mail import enqueue_email
from outbox.models import OutboxMessage
from outbox.services import relay_pending

from .test_outbox import make_due


def queue(event, to, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return enqueue_email(event=event, to=to, subject="Hello", text="A link", html="<p>A</p>")


def test_each_recipient_gets_each_event_once(db, mailoutbox, django_capture_on_commit_callbacks):
    for _ in range(2):  # e.g. a job that queues e-mails run twice, or two schedulers
        queue("digest:7", "ana@example.org", django_capture_on_commit_callbacks)
        queue("digest:7", "Ana@Example.org ", django_capture_on_commit_callbacks)
        queue("digest:7", "budi@example.org", django_capture_on_commit_callbacks)
    queue("digest:8", "ana@example.org", django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mailoutbox) == [
        "ana@example.org",
        "ana@example.org",
        "budi@example.org",
    ]
    assert mailoutbox[0].alternatives == [("<p>A</p>", "text/html")]


def test_the_text_is_not_kept_once_sent(db, mailoutbox, django_capture_on_commit_callbacks):
    message = queue("invitation:1", "nok@example.org", django_capture_on_commit_callbacks)

    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DONE
    assert message.kwargs == {"to": "nok@example.org", "subject": "Hello"}


def test_an_address_that_keeps_failing_ends_as_a_dead_letter_alone(
    db, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    real_send = EmailMultiAlternatives.send

    def refuse(message, *args, **kwargs):
        if message.to == ["bad@example.org"]:
            raise SMTPRecipientsRefused({"bad@example.org": (550, b"No such user")})
        return real_send(message, *args, **kwargs)

    with mock.patch.object(EmailMultiAlternatives, "send", refuse):
        bad = queue("digest:7", "bad@example.org", django_capture_on_commit_callbacks)
        queue("digest:7", "good@example.org", django_capture_on_commit_callbacks)
        for _ in range(4):
            make_due(bad)
            relay_pending()

    assert [m.to for m in mailoutbox] == [["good@example.org"]]
    bad.refresh_from_db()
    assert (bad.state, bad.runs) == (OutboxMessage.State.DEAD, 3)
    assert "No such user" in bad.last_error
    assert bad.kwargs["text"] == "A link"  # kept for the admin's "Retry"


SENDERS = {
    "send_mail",
    "send_mass_mail",
    "mail_admins",
    "mail_managers",
    "EmailMessage",
    "EmailMultiAlternatives",
}


def test_no_code_but_the_outbox_sender_sends_e_mail():
    root = Path(settings.BASE_DIR)
    senders = []
    for path in root.glob("*/**/*.py"):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "tests", "bench", "var", "node_modules"}:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(relative))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in SENDERS:
                    senders.append(f"{relative} {name}")

    assert senders == ["outbox/mail.py EmailMultiAlternatives"]
