"""Background work through a transactional outbox: queued with the change, done exactly once.

`enqueue` writes the job as an OutboxMessage in the caller's transaction: it exists exactly
when the caller's own writes do. After the commit it is published at once, over a connection
that gives up after OUTBOX_PUBLISH_TIMEOUT seconds without retrying; a message that could not
be published stays pending, and `relay_pending` (a task beat sends every minute, and the
`relay_outbox` command) publishes it once the broker answers again.

Delivery is at least once: a publisher claims messages with a conditional update before it
publishes them, so two relays never both send one, but a job the broker lost (Redis
restarted) or a worker never finished is handed out again OUTBOX_REDELIVER_SECONDS later,
and Redis hands a dead worker's job to another. The effect is exactly once: the job carries
its outbox id (its Celery task id), and `run_once` runs it in one transaction with the
message's done mark, holding the message's row; a copy delivered twice finds it done and
does nothing. A run that fails is retried, waiting longer each time, until it has failed
OUTBOX_MAX_ATTEMPTS times: then the message is dead, shown in the admin, where "Retry" hands
it out again.
"""

import datetime
import logging
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from celery import Task, current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Subquery
from django.utils import timezone
from kombu import Connection
from kombu.exceptions import OperationalError as BrokerError

from .models import OutboxMessage, OutboxMessageQuerySet

logger = logging.getLogger(__name__)

# A claimed message whose publisher died is due again after this long.
CLAIM_SECONDS = 300
# After a failed attempt a message waits 30 s, 60 s, 120 s … up to this long.
MAX_BACKOFF_SECONDS = 900
RELAY_BATCH = 500
# Finished jobs are kept this long (for the admin's view of recent work), then deleted.
KEEP_SENT_DAYS = 30
# A job with a key keeps it this long: queueing the same key again within it queues nothing.
# Longer than any job looks back (a monthly digest is sent during the following month).
KEEP_KEYED_DAYS = 400
# Errors that mean the broker cannot be reached: the rest of a batch is not tried.
UNREACHABLE = (BrokerError, OSError)

_T = TypeVar("_T")


class NotAnOutboxJob(TypeError):
    """Only tasks declared with outbox.jobs.job can be queued: they run exactly once."""


def enqueue(task: Task | str, *args: Any, **kwargs: Any) -> OutboxMessage:
    """Run job `task` (or its name) with these JSON-serialisable arguments once the transaction
    commits. Returns the OutboxMessage, written in the caller's transaction."""
    message = OutboxMessage(task_name=_job_name(task), args=list(args), kwargs=kwargs)
    message.save(force_insert=True)
    transaction.on_commit(partial(publish_now, message), robust=True)
    return message


def enqueue_once(key: str, task: Task | str, *args: Any, **kwargs: Any) -> OutboxMessage | None:
    """`enqueue`, unless a job with `key` was queued before (and is still kept): then None."""
    message = OutboxMessage(task_name=_job_name(task), args=list(args), kwargs=kwargs, key=key)
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        if not OutboxMessage.objects.filter(key=key).exists():
            raise
        return None
    transaction.on_commit(partial(publish_now, message), robust=True)
    return message


def enqueue_coalesced(key: str, seconds: int, task: Task | str, *args: Any) -> None:
    """`enqueue` for a job that many changes in a row ask for (the same `key`): the first call
    in each `seconds`-long window queues it, published after the commit; any later call in that
    window queues one more run, due at the window's end and left to the relay (which publishes
    due jobs every minute), that stands for them all. A burst of calls costs at most two runs
    per window. Two queries, whichever happens.
    """
    window = int(timezone.now().timestamp() // seconds)
    first = f"{key}:{window}"
    name = _job_name(task)
    if not OutboxMessage.objects.filter(key=first).exists():
        message = OutboxMessage(task_name=name, args=list(args), key=first)
        transaction.on_commit(partial(_publish_keyed, first), robust=True)
    else:
        due = timezone.now() + datetime.timedelta(seconds=seconds)
        message = OutboxMessage(
            task_name=name, args=list(args), key=f"{first}:trailing", next_attempt_at=due
        )
    # A concurrent call may have inserted the same key: then that one stands for this one.
    OutboxMessage.objects.bulk_create([message], ignore_conflicts=True)


def _publish_keyed(key: str) -> None:
    message = OutboxMessage.objects.filter(key=key).first()
    if message is not None:
        publish_now(message)


def _job_name(task: Task | str) -> str:
    from .jobs import OutboxTask  # the module defining the task class imports this one

    name = task if isinstance(task, str) else task.name
    if not isinstance(registered_task(name), OutboxTask):
        raise NotAnOutboxJob(f"{name} is not a task declared with outbox.jobs.job")
    return name


def publish_now(message: OutboxMessage) -> None:
    """Publish a message just committed; whatever goes wrong, leave it to the relay."""
    try:
        token = uuid.uuid4()
        if _claim(OutboxMessage.objects.filter(pk=message.pk), token) != 1:
            return  # a relay claimed it first
        message.attempts += 1
        _publish([message], token)
    except SoftTimeLimitExceeded:
        raise  # the job that queued this must stop; the relay publishes the message
    except Exception:  # noqa: BLE001 - the caller's request must never fail here
        logger.exception("Could not publish %s; the relay will", message)


def relay_pending(limit: int = RELAY_BATCH) -> tuple[int, int]:
    """Publish the pending messages that are due; return (published, still pending)."""
    now = timezone.now()
    _bury_unfinished(now)
    token = uuid.uuid4()
    due = OutboxMessage.objects.due(now).order_by("next_attempt_at", "pk")
    _claim(OutboxMessage.objects.filter(pk__in=Subquery(due.values("pk")[:limit])), token)
    published = _publish(list(OutboxMessage.objects.filter(claim=token).order_by("pk")), token)
    _prune(timezone.now())
    return published, OutboxMessage.objects.pending().count()


def retry(messages: QuerySet[OutboxMessage]) -> int:
    """Hand `messages` (dead or pending ones) out again now, with a fresh count of failed runs;
    returns how many were published."""
    token = uuid.uuid4()
    now = timezone.now()
    count = (
        messages.filter(done_at__isnull=True)
        .filter(Q(dead_at__isnull=False) | Q(claim__isnull=True))
        .update(
            dead_at=None,
            runs=0,
            claim=token,
            next_attempt_at=now + datetime.timedelta(seconds=CLAIM_SECONDS),
            attempts=F("attempts") + 1,
        )
    )
    if not count:
        return 0
    return _publish(list(OutboxMessage.objects.filter(claim=token).order_by("pk")), token)


def _claim(messages: OutboxMessageQuerySet, token: uuid.UUID) -> int:
    """Claim those of `messages` due now for `token`; returns how many it got.

    A claimed message is due again after OUTBOX_REDELIVER_SECONDS unless a worker finishes it:
    the broker or a worker may lose it after it was published."""
    now = timezone.now()
    wait = max(CLAIM_SECONDS, settings.OUTBOX_REDELIVER_SECONDS)
    return messages.due(now).update(
        claim=token,
        next_attempt_at=now + datetime.timedelta(seconds=wait),
        attempts=F("attempts") + 1,
    )


def _publish(messages: Sequence[OutboxMessage], token: uuid.UUID) -> int:
    """Publish messages claimed by `token` over one connection; record the outcome of each."""
    sent: list[int] = []
    failed: list[tuple[OutboxMessage, Exception]] = []
    untried = [message.pk for message in messages]
    try:
        with _connection() as connection:
            for index, message in enumerate(messages):
                untried.remove(message.pk)
                try:
                    _send(message, connection)
                except UNREACHABLE as error:
                    failed += [(later, error) for later in messages[index:]]
                    break
                except SoftTimeLimitExceeded:
                    raise
                except Exception as error:  # noqa: BLE001 - e.g. a task run eagerly that failed
                    failed.append((message, error))
                else:
                    sent.append(message.pk)
    finally:
        mine = OutboxMessage.objects.filter(claim=token)
        mine.filter(pk__in=sent).update(sent_at=timezone.now(), claim=None)
        if failed:
            _record_failures(mine, failed)
        # Stopped early (a time limit): what was not tried is due again at once.
        mine.filter(pk__in=untried).update(next_attempt_at=timezone.now())
        mine.update(claim=None)
    return len(sent)


def _send(message: OutboxMessage, connection: Connection) -> None:
    options = {"task_id": str(message.task_id), "connection": connection, "retry": False}
    task = registered_task(message.task_name)
    if task is None:  # a task this process does not know; a worker may
        current_app.send_task(message.task_name, message.args, message.kwargs, **options)
    else:  # apply_async, so that CELERY_TASK_ALWAYS_EAGER runs it here
        task.apply_async(message.args, message.kwargs, **options)


def registered_task(name: str) -> Task | None:
    """The task of this name, importing the apps' tasks modules the first time one is missing."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks.get(name)


def _connection() -> Connection:
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


def _backoff(count: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(30 * 2 ** max(count - 1, 0), MAX_BACKOFF_SECONDS))


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _record_failures(
    mine: QuerySet[OutboxMessage], failed: list[tuple[OutboxMessage, Exception]]
) -> None:
    now = timezone.now()
    for message, error in failed:
        logger.warning("Publishing %s failed (attempt %s): %s", message, message.attempts, error)
        message.next_attempt_at = now + _backoff(message.attempts)
        message.last_error = _error_text(error)
        message.claim = None
    mine.bulk_update([message for message, _ in failed], ["next_attempt_at", "last_error", "claim"])


def _bury_unfinished(now: datetime.datetime) -> None:
    """Messages handed out OUTBOX_MAX_ATTEMPTS times that no run finished (each killed its
    worker, say) are dead rather than handed out again."""
    OutboxMessage.objects.due(now).filter(runs__gte=settings.OUTBOX_MAX_ATTEMPTS).update(
        dead_at=now
    )


def _prune(now: datetime.datetime) -> None:
    kept = now - datetime.timedelta(days=KEEP_SENT_DAYS)
    keyed = now - datetime.timedelta(days=KEEP_KEYED_DAYS)
    OutboxMessage.objects.filter(
        Q(key__isnull=True, done_at__lt=kept) | Q(key__isnull=False, done_at__lt=keyed)
    ).delete()


# The worker's side


def run_once(job_id: str | uuid.UUID, run: Callable[[], _T]) -> _T | None:
    """Run `run()` as outbox job `job_id`, unless it is done (or dead, or unknown).

    The effect of `run()` and the job's done mark commit in one transaction, which holds the
    job's row: a copy of the job run at the same moment waits, then finds it done. A failure
    rolls the effect back and is recorded; the job is retried later or, after
    OUTBOX_MAX_ATTEMPTS failed runs, dead. Returns what `run()` returned, or None.
    """
    job = OutboxMessage.objects.filter(task_id=job_id)
    # Counted in a transaction of its own, so that a run that kills its worker counts too.
    if not job.pending().update(runs=F("runs") + 1):
        logger.info("Job %s is done, dead or not an outbox job: not run", job_id)
        return None
    try:
        with transaction.atomic():
            if not job.select_for_update().pending().exists():
                logger.info("Job %s was done by another copy meanwhile", job_id)
                return None
            result = run()
            job.update(done_at=timezone.now(), last_error="")
            return result
    except SoftTimeLimitExceeded as error:
        _run_failed(job, error)
        raise  # the worker must see that the job ran out of time
    except Exception as error:  # noqa: BLE001 - recorded, retried by the relay, never lost
        logger.exception("Job %s failed", job_id)
        _run_failed(job, error)
        return None


def _run_failed(job: OutboxMessageQuerySet, error: BaseException) -> None:
    message = job.pending().first()
    if message is None:
        return
    now = timezone.now()
    if message.runs >= settings.OUTBOX_MAX_ATTEMPTS:
        changes: dict[str, datetime.datetime] = {"dead_at": now}
        logger.error("Job %s failed %s times; it is dead: %s", message, message.runs, error)
    else:
        changes = {"next_attempt_at": now + _backoff(message.runs)}
    job.pending().update(last_error=_error_text(error), **changes)
