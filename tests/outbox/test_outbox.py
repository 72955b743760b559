"""The outbox: work queued in the caller's transaction, published after commit or by the relay."""

import datetime
import io
import threading
import uuid
from unittest import mock

import pytest
from celery import current_app
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from outbox import services
from outbox.models import OutboxMessage
from outbox.services import enqueue, relay_pending

from .conftest import record_call


def make_due(*messages):
    """Time travel: the messages' wait after a failure is over."""
    past = timezone.now() - datetime.timedelta(seconds=1)
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(next_attempt_at=past)


def test_enqueue_writes_the_message_in_the_callers_transaction(db):
    with transaction.atomic():
        message = enqueue(record_call, 7, note="x")
        assert OutboxMessage.objects.filter(pk=message.pk).exists()

    message.refresh_from_db()
    assert (message.task_name, message.args, message.kwargs) == (
        "tests.outbox.record_call",
        [7],
        {"note": "x"},
    )
    assert message.sent_at is None


def test_work_queued_by_a_rolled_back_change_is_never_published(db, calls):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(record_call, 1)
        raise RuntimeError("the caller's change failed")

    assert not OutboxMessage.objects.exists()
    assert calls == []


def test_a_queued_task_runs_once_after_commit_and_is_marked_sent(
    db, calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        message = enqueue(record_call, 3)
    assert calls == []  # nothing before the commit

    for callback in callbacks:
        callback()

    assert calls == [((3,), {})]
    message.refresh_from_db()
    assert message.sent_at is not None
    assert (message.attempts, message.claim, message.last_error) == (1, None, "")
    assert relay_pending() == (0, 0)
    assert calls == [((3,), {})]


def test_arguments_that_are_not_json_are_refused_when_queued(db):
    with pytest.raises(TypeError):
        enqueue(record_call, object())


def test_broker_down_leaves_the_message_pending_and_the_caller_unharmed(
    db, calls, refusing_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(record_call, 5)

    message.refresh_from_db()
    assert message.sent_at is None
    assert message.attempts == 1
    assert "refused" in message.last_error.lower()
    assert message.next_attempt_at > timezone.now()  # backs off before the relay retries
    assert calls == []


def test_publishing_waits_on_the_broker_only_briefly_and_never_retries(db, refusing_broker):
    message = enqueue(record_call, 1)
    with mock.patch.object(record_call, "apply_async", wraps=record_call.apply_async) as publish:
        services.publish_now(message)

    # One publish, not retried, over a connection that gives up within two seconds. (Celery
    # also makes its events dispatcher the first time a process sends a task; it does not
    # connect unless task events are on.)
    assert publish.call_count == 1
    assert publish.call_args.kwargs["retry"] is False
    connection = publish.call_args.kwargs["connection"]
    assert connection.connect_timeout <= 2
    assert connection.transport_options["socket_connect_timeout"] <= 2
    assert connection.transport_options["socket_timeout"] <= 2
    assert connection.transport_options["max_retries"] == 0


def test_a_broker_that_never_answers_times_out_and_leaves_the_message_pending(
    transactional_db, silent_broker
):
    message = enqueue(record_call, 1)

    def publish():
        try:
            services.publish_now(message)
        finally:
            # The thread's own connection: left to the garbage collector, it could outlive the
            # run and keep PostgreSQL from dropping the test database.
            connection.close()

    publisher = threading.Thread(target=publish)

    publisher.start()
    publisher.join(timeout=30)  # a guard against hanging for ever, not a timing test

    assert not publisher.is_alive()
    message.refresh_from_db()
    assert message.sent_at is None
    assert "timeout" in message.last_error.lower()


def test_relay_publishes_pending_messages_once_the_broker_is_back(
    db, calls, refusing_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue(record_call, 1)
        second = enqueue(record_call, 2)
    assert relay_pending() == (0, 2)  # not due yet: backing off
    refusing_broker_is_back()
    make_due(first, second)

    assert relay_pending() == (2, 0)
    assert relay_pending() == (0, 0)

    assert sorted(calls) == [((1,), {}), ((2,), {})]
    assert not OutboxMessage.objects.pending().exists()


def refusing_broker_is_back():
    current_app.conf.task_always_eager = True


def test_relay_stops_a_batch_at_the_first_unreachable_broker(db, refusing_broker):
    messages = [enqueue(record_call, n) for n in range(3)]
    attempts = []
    real = services._send

    def counting(message, connection):
        attempts.append(message.pk)
        return real(message, connection)

    with mock.patch.object(services, "_send", side_effect=counting):
        assert relay_pending() == (0, 3)

    assert len(attempts) == 1
    tried = OutboxMessage.objects.filter(pk__in=[m.pk for m in messages])
    assert set(tried.values_list("attempts", flat=True)) == {1}


def test_two_relays_never_publish_one_message_twice(db, calls):
    enqueue(record_call, 1)
    enqueue(record_call, 2)
    inner = []
    real = services._send

    def relay_meanwhile(message, connection):
        if not inner:  # another relay starts while this one is publishing
            inner.append(relay_pending())
        return real(message, connection)

    with mock.patch.object(services, "_send", side_effect=relay_meanwhile):
        outer = relay_pending()

    assert inner == [(0, 2)]  # it found nothing it could claim
    assert outer == (2, 0)
    assert sorted(calls) == [((1,), {}), ((2,), {})]


def test_a_message_claimed_by_a_publisher_that_died_is_sent_when_the_claim_runs_out(db, calls):
    message = enqueue(record_call, 1)
    OutboxMessage.objects.filter(pk=message.pk).update(
        claim=uuid.uuid4(),
        attempts=1,
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=services.CLAIM_SECONDS),
    )
    assert relay_pending() == (0, 1)

    make_due(message)

    assert relay_pending() == (1, 0)
    assert calls == [((1,), {})]


def test_the_wait_after_each_failure_grows_up_to_a_limit(db, refusing_broker):
    message = enqueue(record_call, 1)
    waits = []
    for _ in range(7):
        make_due(message)
        before = timezone.now()
        relay_pending()
        message.refresh_from_db()
        waits.append(round((message.next_attempt_at - before).total_seconds()))

    # Within a second or two: a busy machine takes time between `before` and the failure.
    assert waits == pytest.approx([30, 60, 120, 240, 480, 900, 900], abs=2)
    assert message.attempts == 7


def test_a_task_that_fails_when_run_in_place_does_not_stop_the_others(db, calls):
    failing = enqueue(record_call, 1)
    fine = enqueue(record_call, 2)

    real = services._send

    def send(message, connection):
        if message.pk == failing.pk:
            raise ValueError("bad arguments")
        real(message, connection)

    with mock.patch.object(services, "_send", side_effect=send):
        assert relay_pending() == (1, 1)

    failing.refresh_from_db()
    fine.refresh_from_db()
    assert failing.last_error == "ValueError: bad arguments"
    assert fine.sent_at is not None


def test_relay_deletes_jobs_done_long_ago_but_keeps_keys_longer(db):
    old = enqueue(record_call, 1)
    recent = enqueue(record_call, 2)
    keyed = services.enqueue_once("once", record_call, 3)
    long_ago = timezone.now() - datetime.timedelta(days=services.KEEP_SENT_DAYS + 1)
    OutboxMessage.objects.filter(pk__in=[old.pk, keyed.pk]).update(done_at=long_ago)
    OutboxMessage.objects.filter(pk=recent.pk).update(done_at=timezone.now())

    relay_pending()

    assert sorted(OutboxMessage.objects.values_list("pk", flat=True)) == [recent.pk, keyed.pk]
    assert services.enqueue_once("once", record_call, 3) is None


def test_relay_command_publishes_and_reports(db, calls):
    enqueue(record_call, 1)

    out = io.StringIO()
    call_command("relay_outbox", stdout=out)

    assert out.getvalue().strip() == "Published 1 queued task(s); 0 still pending."
    assert calls == [((1,), {})]


def test_beat_runs_the_relay_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-relay"]

    assert entry["task"] == "outbox.tasks.relay_outbox"
    assert services.registered_task(entry["task"]) is not None
    assert entry["schedule"].minute == set(range(60))
    assert entry["schedule"].hour == set(range(24))
