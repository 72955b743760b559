"""Digests: the period's final summaries by e-mail, to those who want them, each once."""

import datetime
import io

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.test import TestCase

from mailings import digests, tasks
from outbox.models import OutboxMessage
from outbox.services import relay_pending
from summaries.models import DigestPreference, ProgressSummary
from summaries.summaries import make_progress_summaries
from tests import factories
from tests.conftest import shared_data
from tests.outbox.test_outbox import make_due

from .summary_helpers import FINISHED, TODAY, digest_people, open_small_plan, sending

send_digests = sending(digests.send_digests)


pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The small plan summarised on TODAY and the people of `digest_people`, built once for the
    module (each test's writes are rolled back)."""
    with shared_data(django_db_blocker):
        small = open_small_plan(factories.make_plan(2021, 2025))
        make_progress_summaries(today=TODAY)
        yield small, digest_people(small)


@pytest.fixture
def small(world):
    return world[0]


@pytest.fixture
def people(world):
    return world[1]


def received():
    """{(recipient, scope named in the subject)} of the e-mails sent so far."""
    scopes = ("ASEAN region", "Cambodia", "Malaysia")
    return sorted(
        (message.to[0], next(scope for scope in scopes if scope in message.subject))
        for message in mail.outbox
    )


def choose(user, kind, enabled):
    DigestPreference.objects.create(user=user, kind=kind, enabled=enabled)


def test_reviewers_get_the_regions_digest_and_state_users_their_states(small, people):
    sent = send_digests(today=TODAY)

    assert sent == 5
    assert received() == [
        ("kh.co@example.org", "Cambodia"),
        ("kh.fp@example.org", "Cambodia"),
        ("my.fp@example.org", "Malaysia"),
        ("rev@example.org", "ASEAN region"),
        ("sec@example.org", "ASEAN region"),
    ]


def test_each_digest_is_sent_once_however_often_the_job_runs(small, people):
    send_digests(today=TODAY)

    assert send_digests(today=TODAY) == 0
    assert send_digests(today=TODAY + datetime.timedelta(days=3)) == 0  # same period
    assert len(mail.outbox) == 5
    assert OutboxMessage.objects.done().filter(key__startswith="email:digest:").count() == 5


def test_digests_follow_each_persons_choices(small, people):
    choose(people["reviewer"], "region", False)
    choose(people["observer"], "region", True)
    choose(people["kh_focal"], "state", False)
    choose(people["kh_focal"], "region", True)

    send_digests(today=TODAY)

    assert received() == [
        ("kh.co@example.org", "Cambodia"),
        ("kh.fp@example.org", "ASEAN region"),
        ("my.fp@example.org", "Malaysia"),
        ("obs@example.org", "ASEAN region"),
        ("sec@example.org", "ASEAN region"),
    ]


def test_a_state_digest_never_goes_to_another_state_or_an_observer(small, people):
    choose(people["observer"], "state", True)  # not a choice an observer has

    send_digests(today=TODAY)

    cambodia = [to for to, scope in received() if scope == "Cambodia"]
    assert cambodia == ["kh.co@example.org", "kh.fp@example.org"]
    assert ("obs@example.org", "Cambodia") not in received()


def test_a_digest_has_plain_text_and_html_with_links_to_the_summary(small, people):
    send_digests(today=TODAY)

    message = next(m for m in mail.outbox if m.to == ["rev@example.org"])
    summary = ProgressSummary.objects.get(period_start=FINISHED.start, member_state=None)
    link = f"http://testserver/summaries/{summary.pk}/"
    assert message.subject == f"RPA Tracker: ASEAN region, RPA 2021–2025, {summary.period_label}"
    assert link in message.body
    assert "Average progress: 45 %" in message.body
    assert "http://testserver/summaries/preferences/" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'href="{link}"' in html
    assert "<table>" in html


def test_only_the_final_summaries_of_the_period_just_ended_are_sent(small, people):
    ProgressSummary.objects.filter(period_start=FINISHED.start, member_state=None).update(
        final=False
    )

    send_digests(today=TODAY)
    later = send_digests(today=TODAY + datetime.timedelta(weeks=2))  # those summaries are old

    assert [scope for _, scope in received()] == ["Cambodia", "Cambodia", "Malaysia"]
    assert later == 0


def test_a_failed_e_mail_does_not_stop_the_others_and_is_sent_by_the_retry(
    small, people, monkeypatch
):
    real = EmailMultiAlternatives.send
    attempts = []

    def send_failing_third(message, *args, **kwargs):
        attempts.append(message.to[0])
        if len(attempts) == 3:
            raise ConnectionRefusedError("SMTP server down")
        return real(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send_failing_third)
    assert send_digests(today=TODAY) == 5
    assert len(mail.outbox) == 4
    assert send_digests(today=TODAY) == 0  # a second run queues nothing again

    make_due(*OutboxMessage.objects.pending())
    with TestCase.captureOnCommitCallbacks(execute=True):
        relay_pending()

    assert len(mail.outbox) == 5
    assert len({m.to[0] for m in mail.outbox}) == 5


def test_the_command_sends_the_digests_now(small, people):
    out = io.StringIO()

    call_command("send_digests", stdout=out)
    call_command("send_digests", stdout=out)

    # The command uses today's date: the small plan's summaries of the week just ended.
    assert out.getvalue().splitlines() == [
        "Queued 5 digest e-mail(s).",
        "Queued 0 digest e-mail(s).",
    ]


def test_the_digest_task_makes_missing_summaries_first(people):
    ProgressSummary.objects.all().delete()

    result = tasks.send_digests.apply()

    assert result.result == {"queued": 5}
