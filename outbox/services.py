"""Queue background work so that a web request never waits on the broker (a transactional outbox).

`enqueue` writes the job as an OutboxMessage in the caller's transaction: it exists exactly
when the caller's own writes do. After the commit it is published at once, over a connection
that gives up after OUTBOX_PUBLISH_TIMEOUT seconds without retrying; a message that could not
be published stays pending, and `relay_pending` (a task beat sends every minute, and the
`relay_outbox` command) publishes it once the broker answers again.

A publisher claims messages with a conditional update before it publishes them, so two
relays (or a relay and the request that queued the message) never both send one. A process
can still die between publishing and recording that it did, so the tasks themselves are
idempotent.
"""

import datetime
import logging
import uuid
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Subquery
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# A claimed message whose publisher died is due again after this long.
CLAIM_SECONDS = 300
# After a failed attempt a message waits 30 s, 60 s, 120 s … up to this long.
MAX_BACKOFF_SECONDS = 900
RELAY_BATCH = 500
# Sent messages are kept this long (for the admin's view of recent work), then deleted.
KEEP_SENT_DAYS = 30
# Errors that mean the broker cannot be reached: the rest of a batch is not tried.
UNREACHABLE = (BrokerError, OSError)


def enqueue(task, *args, **kwargs):
    """Run Celery `task` with these JSON-serialisable arguments once the transaction commits.

    Returns the OutboxMessage, written in the caller's transaction.
    """
    message = OutboxMessage.objects.create(task_name=task.name, args=list(args), kwargs=kwargs)
    transaction.on_commit(partial(publish_now, message), robust=True)
    return message


def publish_now(message):
    """Publish a message just committed; whatever goes wrong, leave it to the relay."""
    try:
        token = uuid.uuid4()
        if _claim(OutboxMessage.objects.filter(pk=message.pk), token) != 1:
            return  # a relay claimed it first
        message.attempts += 1
        _publish([message], token)
    except Exception:  # noqa: BLE001 - the caller's request must never fail here
        logger.exception("Could not publish %s; the relay will", message)


def relay_pending(limit=RELAY_BATCH):
    """Publish the pending messages that are due; return (published, still pending)."""
    token = uuid.uuid4()
    due = OutboxMessage.objects.due(timezone.now()).order_by("next_attempt_at", "pk")
    _claim(OutboxMessage.objects.filter(pk__in=Subquery(due.values("pk")[:limit])), token)
    published = _publish(list(OutboxMessage.objects.filter(claim=token).order_by("pk")), token)
    cutoff = timezone.now() - datetime.timedelta(days=KEEP_SENT_DAYS)
    OutboxMessage.objects.filter(sent_at__lt=cutoff).delete()
    return published, OutboxMessage.objects.pending().count()


def _claim(messages, token):
    """Claim those of `messages` due now for `token`; returns how many it got."""
    now = timezone.now()
    return messages.due(now).update(
        claim=token,
        next_attempt_at=now + datetime.timedelta(seconds=CLAIM_SECONDS),
        attempts=F("attempts") + 1,
    )


def _publish(messages, token):
    """Publish messages claimed by `token` over one connection; record the outcome of each."""
    sent, failed = [], []
    with _connection() as connection:
        for index, message in enumerate(messages):
            try:
                _send(message, connection)
            except UNREACHABLE as error:
                failed += [(later, error) for later in messages[index:]]
                break
            except Exception as error:  # noqa: BLE001 - e.g. a task run eagerly that failed
                failed.append((message, error))
            else:
                sent.append(message.pk)
    mine = OutboxMessage.objects.filter(claim=token)
    mine.filter(pk__in=sent).update(sent_at=timezone.now(), claim=None, last_error="")
    if failed:
        _record_failures(mine, failed)
    return len(sent)


def _send(message, connection):
    options = {"task_id": str(message.task_id), "connection": connection, "retry": False}
    task = registered_task(message.task_name)
    if task is None:  # a task this process does not know; a worker may
        current_app.send_task(message.task_name, message.args, message.kwargs, **options)
    else:  # apply_async, so that CELERY_TASK_ALWAYS_EAGER runs it here
        task.apply_async(message.args, message.kwargs, **options)


def registered_task(name):
    """The task of this name, importing the apps' tasks modules the first time one is missing."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks.get(name)


def _connection():
    """A connection to the broker that fails within OUTBOX_PUBLISH_TIMEOUT, without retrying."""
    timeout = settings.OUTBOX_PUBLISH_TIMEOUT
    return current_app.connection_for_write(
        connect_timeout=timeout,
        transport_options={
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "max_retries": 0,
        },
    )


def _record_failures(mine, failed):
    now = timezone.now()
    for message, error in failed:
        logger.warning("Publishing %s failed (attempt %s): %s", message, message.attempts, error)
        delay = min(30 * 2 ** max(message.attempts - 1, 0), MAX_BACKOFF_SECONDS)
        message.next_attempt_at = now + datetime.timedelta(seconds=delay)
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        message.claim = None
    mine.bulk_update([message for message, _ in failed], ["next_attempt_at", "last_error", "claim"])
