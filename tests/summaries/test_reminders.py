"""Reminders: reports due soon or overdue, and items not updated; each at most once per
(recipient, kind, period)."""

import copy
import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role
from actions.models import NationalStatus
from mailings import reminders
from outbox.models import OutboxMessage
from tests import factories
from tests.conftest import shared_data

from .summary_helpers import TODAY, events, make_round, open_small_plan, sending, submit

send_reminders = sending(reminders.send_reminders)

DUE = datetime.date(2026, 12, 10)
CLOSES = datetime.date(2026, 12, 31)


def day(offset):
    """A day relative to the round's due day."""
    return DUE + datetime.timedelta(days=offset)


pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The small plan and the people of `people`, built once for the module (each test's
    writes are rolled back)."""
    with shared_data(django_db_blocker):
        small = open_small_plan(factories.make_plan(2021, 2025))
        yield (
            small,
            {
                "kh_focal": factories.make_user(
                    Role.FOCAL_POINT, small.kh, email="kh.fp@example.org"
                ),
                "my_focal": factories.make_user(
                    Role.FOCAL_POINT, small.my, email="my.fp@example.org"
                ),
                "my_coordinator": factories.make_user(
                    Role.COORDINATOR, small.my, email="my.co@example.org"
                ),
                "my_gone": factories.make_user(
                    Role.FOCAL_POINT, small.my, email="my.gone@example.org", is_active=False
                ),
                "reviewer": factories.make_user(Role.REVIEWER, email="rev@example.org"),
                "observer": factories.make_user(Role.OBSERVER, email="obs@example.org"),
            },
        )


@pytest.fixture
def small(world):
    """The module's small plan (a copy of its objects for each test)."""
    return copy.deepcopy(world[0])


@pytest.fixture
def fresh(small):
    """No status is stale: only the round's reminders are due."""
    NationalStatus.objects.update(updated_at=timezone.now())
    return small


@pytest.fixture
def round_(small):
    """A round due on 10 December; Cambodia has submitted, Malaysia has not."""
    reporting_round = make_round(
        small.plan, opens_on=datetime.date(2026, 11, 1), due_on=DUE, closes_on=CLOSES
    )
    submit(reporting_round, small.kh)
    return reporting_round


@pytest.fixture
def people(world):
    return world[1]


def sent(kind=None):
    """[(recipient, kind)] of the reminders sent so far, sorted."""
    done = OutboxMessage.objects.done().filter(key__startswith=f"email:{kind or ''}")
    return sorted((m.kwargs["to"], m.key.split(":")[1]) for m in done)


def test_states_whose_report_is_not_in_are_reminded_a_week_before_it_is_due(fresh, round_, people):
    assert send_reminders(today=day(-7)) == 2

    assert sent() == [("my.co@example.org", "due_soon"), ("my.fp@example.org", "due_soon")]
    message = mail.outbox[0]
    assert "is due on 10 December 2026" in message.subject
    assert "(in 7 days)" in message.body
    assert "http://testserver/national/" in message.body
    assert message.alternatives[0][1] == "text/html"


def test_each_reminder_is_also_an_in_app_notification_once(fresh, round_, people):
    from reviews.models import Notification

    send_reminders(today=day(-7))
    send_reminders(today=day(-7))

    notified = Notification.objects.order_by("recipient__email")
    assert [(n.recipient.email, n.link) for n in notified] == [
        ("my.co@example.org", "/national/"),
        ("my.fp@example.org", "/national/"),
    ]
    assert "is due on 10 December 2026" in notified[0].subject


def test_each_due_day_count_is_reminded_once(fresh, round_, people):
    counts = [send_reminders(today=day(offset)) for offset in (-8, -7, -7, -3, -1, -1, 0)]

    # Nothing 8 days before; the 7-day reminder; nothing until the 1-day reminder.
    assert counts == [0, 2, 0, 0, 2, 0, 0]
    assert len(events("due_soon")) == 2


def test_a_first_run_close_to_the_due_day_sends_only_the_nearest_reminder(fresh, round_, people):
    assert send_reminders(today=day(-1)) == 2
    assert send_reminders(today=day(-1)) == 0

    assert events("") == {f"due_soon:round:{round_.pk}:due:1"}


def test_the_days_before_the_due_day_are_configurable(fresh, round_, people, settings):
    settings.REMINDER_DAYS_BEFORE_DUE = [3]

    assert [send_reminders(today=day(offset)) for offset in (-7, -3, -2)] == [0, 2, 0]


def test_overdue_reports_are_reminded_once_a_week_until_the_round_closes(fresh, round_, people):
    counts = [
        send_reminders(today=day(offset))
        for offset in (1, 2, 6)  # 11, 12 and 16 December: Friday to Wednesday
    ]
    next_week = send_reminders(today=day(11))  # 21 December
    after_close = send_reminders(today=CLOSES + datetime.timedelta(days=1))

    # 11–13 December fall in one ISO week, 16 in the next, 21 in the one after.
    assert counts == [2, 0, 2]
    assert next_week == 2
    assert after_close == 0
    assert {to for to, _ in sent("overdue")} == {"my.co@example.org", "my.fp@example.org"}
    assert "is overdue" in mail.outbox[0].subject


def test_a_report_submitted_meanwhile_stops_the_reminders(fresh, round_, people, small):
    send_reminders(today=day(1))
    submit(round_, small.my)

    assert send_reminders(today=day(8)) == 0


def test_states_are_reminded_of_their_stale_items_once_a_period(small, people):
    # Cambodia's 1.2 and Malaysia's 1.2 and 1.3 were last changed 400 days ago.
    first = send_reminders(today=TODAY)
    again = send_reminders(today=TODAY + datetime.timedelta(days=2))
    next_week = send_reminders(today=TODAY + datetime.timedelta(days=7))

    assert (first, again, next_week) == (3, 0, 3)
    by_person = {m.to[0]: m for m in mail.outbox[:3]}
    assert set(by_person) == {"kh.fp@example.org", "my.fp@example.org", "my.co@example.org"}
    assert by_person["my.fp@example.org"].subject == (
        "RPA Tracker: 2 of Malaysia's items need an update"
    )
    body = by_person["kh.fp@example.org"].body
    assert "RPA 2021–2025 1.2 Action 1.2" in body
    assert "1.3" not in body


def test_stale_items_of_closed_plans_are_not_reminded(small, people):
    factories.make_plan(2026, 2030, predecessor=small.plan)
    small.plan.status = "closed"
    small.plan.save()

    assert send_reminders(today=TODAY) == 0


def test_regional_roles_observers_and_inactive_accounts_get_no_reminders(small, round_, people):
    send_reminders(today=day(-7))
    send_reminders(today=day(1))

    recipients = {to for to, _ in sent()}
    assert recipients <= {"kh.fp@example.org", "my.fp@example.org", "my.co@example.org"}
    assert len(mail.outbox) == len(sent())


def test_the_command_sends_the_reminders_due_today(small, people):
    out = io.StringIO()

    call_command("send_reminders", stdout=out)
    call_command("send_reminders", stdout=out)

    assert out.getvalue().splitlines() == [
        "Queued 3 reminder e-mail(s).",
        "Queued 0 reminder e-mail(s).",
    ]
