"""Digests: the period's final summaries by e-mail, to those who want them, each once."""

import datetime
import io
import threading

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.db import connection
from django.test import TestCase

from accounts.models import Role
from mailings import digests, tasks
from outbox.models import OutboxMessage
from outbox.services import relay_pending
from summaries.models import DigestPreference, ProgressSummary
from summaries.summaries import make_progress_summaries
from tests import factories, small_plan
from tests.conftest import service_missing
from tests.outbox.test_outbox import make_due

from .summary_helpers import FINISHED, TODAY, open_small_plan, run_twice_at_once, sending

send_digests = sending(digests.send_digests)


@pytest.fixture
def small(plan_2021):
    small = open_small_plan(plan_2021)
    make_progress_summaries(today=TODAY)
    return small


@pytest.fixture
def people(small):
    return {
        "reviewer": factories.make_user(Role.REVIEWER, email="rev@example.org"),
        "secretariat": factories.make_user(Role.SECRETARIAT, email="sec@example.org"),
        "kh_focal": factories.make_user(Role.FOCAL_POINT, small.kh, email="kh.fp@example.org"),
        "kh_coordinator": factories.make_user(
            Role.COORDINATOR, small.kh, email="kh.co@example.org"
        ),
        "my_focal": factories.make_user(Role.FOCAL_POINT, small.my, email="my.fp@example.org"),
        "observer": factories.make_user(Role.OBSERVER, email="obs@example.org"),
        "gone": factories.make_user(Role.REVIEWER, email="gone@example.org", is_active=False),
    }


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


@pytest.mark.postgres
def test_two_runs_at_once_send_each_digest_once(transactional_db, small, people, monkeypatch):
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (DATABASE_URL=postgres://…): SQLite runs one writer")
    barrier = threading.Barrier(2)
    real = digests.digest_mails

    def meet(*args, **kwargs):
        mails = real(*args, **kwargs)
        barrier.wait(timeout=10)  # both runs know whom to write to before either claims
        return mails

    monkeypatch.setattr(digests, "digest_mails", meet)
    errors = run_twice_at_once(lambda: send_digests(today=TODAY))

    assert errors == []
    assert len(mail.outbox) == 5
    assert len({m.to[0] for m in mail.outbox}) == 5


def test_an_observer_who_chose_the_regions_digest_gets_its_accepted_figures(plan_2021):
    small = open_small_plan(plan_2021)
    coordinator = factories.make_user(Role.COORDINATOR, small.kh, email="kh.co@example.org")
    reviewer = factories.make_user(Role.REVIEWER, email="rev@example.org")
    small_plan.accept_report(
        small_plan.make_round(small.plan), coordinator=coordinator, reviewer=reviewer
    )
    make_progress_summaries(today=TODAY)
    observer = factories.make_user(Role.OBSERVER, email="obs@example.org")
    choose(observer, "region", True)

    send_digests(today=TODAY)

    to_observer = next(m for m in mail.outbox if m.to == ["obs@example.org"])
    to_reviewer = next(m for m in mail.outbox if m.to == ["rev@example.org"])
    assert "Average progress: 37.5 %" in to_observer.body
    assert "latest accepted reports of 1 member state" in to_observer.body
    assert "Average progress: 45 %" in to_reviewer.body
