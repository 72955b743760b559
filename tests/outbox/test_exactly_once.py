"""A job's effect happens once however often it is delivered; a job that keeps failing ends as
a dead letter that an admin can retry; a soft time limit stops the relay (security.md, 13)."""

from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from outbox import services
from outbox.models import OutboxMessage
from outbox.services import NotAnOutboxJob, enqueue, enqueue_once, relay_pending
from tests import factories
from tests.factories import logged_in

from .conftest import add_group, record_call
from .test_outbox import make_due


def deliver(message):
    """The broker hands the job to a worker (here: run in place), as a copy would be."""
    task = services.registered_task(message.task_name)
    task.apply(message.args, message.kwargs, task_id=str(message.task_id))


def test_a_job_delivered_twice_has_its_effect_once(db, calls):
    message = enqueue(record_call, 1)
    relay_pending()

    deliver(message)  # e.g. acknowledged late after the broker's connection dropped
    deliver(message)

    assert calls == [((1,), {})]
    message.refresh_from_db()
    assert message.done_at is not None
    assert message.runs == 1


def test_the_effect_of_a_failed_run_is_rolled_back_and_the_retry_makes_it_once(db):
    message = enqueue(add_group, "reviewers", fail_with="database went away")

    relay_pending()

    assert not Group.objects.exists()
    message.refresh_from_db()
    assert (message.state, message.runs) == (OutboxMessage.State.PENDING, 1)
    assert message.last_error == "RuntimeError: database went away"
    assert message.next_attempt_at > timezone.now()  # backs off before the relay tries again

    OutboxMessage.objects.filter(pk=message.pk).update(kwargs={})  # the cause is gone
    make_due(message)
    relay_pending()
    deliver(message)

    assert list(Group.objects.values_list("name", flat=True)) == ["reviewers"]
    message.refresh_from_db()
    assert (message.state, message.runs, message.last_error) == (OutboxMessage.State.DONE, 2, "")


def test_a_job_the_broker_lost_is_handed_out_again_and_done_once(db, calls, settings):
    message = enqueue(record_call, 7)
    with mock.patch.object(services, "_send"):  # the broker took it, then lost it (restarted)
        assert relay_pending() == (1, 1)
    assert relay_pending() == (0, 1)  # not before OUTBOX_REDELIVER_SECONDS

    message.refresh_from_db()
    wait = (message.next_attempt_at - message.sent_at).total_seconds()
    assert wait == pytest.approx(settings.OUTBOX_REDELIVER_SECONDS, abs=5)
    make_due(message)
    assert relay_pending() == (1, 0)
    deliver(message)  # the first copy turns up after all

    assert calls == [((7,), {})]


def test_a_job_that_keeps_failing_is_dead_after_the_set_number_of_runs(db, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    message = enqueue(add_group, "x", fail_with="bad data")

    for _ in range(5):
        make_due(message)
        relay_pending()

    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DEAD
    assert message.runs == 3
    assert message.last_error == "RuntimeError: bad data"
    assert relay_pending() == (0, 0)  # no longer handed out, no longer pending


def test_a_job_whose_runs_never_finish_is_dead_instead_of_handed_out_again(db, calls, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    message = enqueue(record_call, 1)
    # Each run so far killed its worker: started, never finished, never recorded a failure.
    OutboxMessage.objects.filter(pk=message.pk).update(runs=2, sent_at=timezone.now())

    assert relay_pending() == (0, 0)

    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DEAD
    assert calls == []


def test_an_admin_sees_dead_jobs_and_retries_them(secretariat, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    dead = enqueue(add_group, "x", fail_with="bad data")
    relay_pending()
    done = enqueue(record_call, 2)
    relay_pending()
    secretariat.is_superuser = True
    secretariat.save()
    changelist = reverse("admin:outbox_outboxmessage_changelist")

    page = logged_in(secretariat).get(changelist, {"state": "dead"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [dead]
    assert "RuntimeError: bad data" in page.content.decode()
    assert dead_job_listed(page) and 'value="retry"' in page.content.decode()

    OutboxMessage.objects.filter(pk=dead.pk).update(kwargs={})  # the cause is fixed
    response = logged_in(secretariat).post(
        changelist,
        {"action": "retry", "_selected_action": [dead.pk, done.pk]},
        follow=True,
    )

    assert "1 task(s) handed out again." in response.content.decode()
    dead.refresh_from_db()
    assert (dead.state, dead.runs) == (OutboxMessage.State.DONE, 1)
    assert list(Group.objects.values_list("name", flat=True)) == ["x"]


def dead_job_listed(page):
    return "Failed (dead letter)" in page.content.decode()


def test_only_admins_who_may_change_queued_tasks_can_retry(db, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    enqueue(add_group, "x", fail_with="bad data")
    relay_pending()
    staff = factories.make_user(Role.SECRETARIAT, email="viewer@example.org", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    page = logged_in(staff).get(reverse("admin:outbox_outboxmessage_changelist"))

    assert page.status_code == 200
    assert dead_job_listed(page)
    assert 'value="retry"' not in page.content.decode()


def test_a_soft_time_limit_stops_the_relay_and_is_not_recorded_as_the_jobs_fault(db, calls):
    slow = enqueue(add_group, "x", fail_with="soft time limit")
    later = enqueue(record_call, 2)

    with pytest.raises(SoftTimeLimitExceeded):
        relay_pending()

    slow.refresh_from_db()
    later.refresh_from_db()
    assert (slow.state, slow.runs) == (OutboxMessage.State.PENDING, 1)
    assert "SoftTimeLimitExceeded" in slow.last_error
    assert not Group.objects.exists()
    assert calls == []
    assert later.claim is None and later.next_attempt_at <= timezone.now()  # due at once
    assert relay_pending() == (1, 1)  # the next relay carries on; the slow one backs off
    assert calls == [((2,), {})]


def test_only_outbox_jobs_can_be_queued(db):
    from outbox.tasks import relay_outbox

    with pytest.raises(NotAnOutboxJob):
        enqueue(relay_outbox)
    with pytest.raises(NotAnOutboxJob):
        enqueue("no.such.task")


def test_a_job_is_queued_once_per_key(db, calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue_once("report:1", record_call, 1)
        again = enqueue_once("report:1", record_call, 1)
        other = enqueue_once("report:2", record_call, 2)

    assert first is not None and other is not None
    assert again is None
    assert sorted(calls) == [((1,), {}), ((2,), {})]


def test_a_job_is_queued_by_name(db, calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue("tests.outbox.record_call", 3)

    assert calls == [((3,), {})]


def test_a_direct_call_of_a_job_just_runs_it(db, calls):
    record_call(4)

    assert calls == [((4,), {})]
    assert not OutboxMessage.objects.exists()
