import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessageQuerySet(models.QuerySet):
    def pending(self):
        """Jobs whose effect has not happened yet and that are still tried (not dead)."""
        return self.filter(done_at__isnull=True, dead_at__isnull=True)

    def due(self, now):
        """Pending jobs to hand out now: never handed out, or their wait after a failed try or
        their last hand-out (which no worker finished) ran out."""
        return self.pending().filter(next_attempt_at__lte=now)

    def done(self):
        return self.filter(done_at__isnull=False)

    def dead(self):
        return self.filter(dead_at__isnull=False)


class OutboxMessage(models.Model):
    """A job (a Celery task) to run, written in the same transaction as the change that asks
    for it, and marked done in the same transaction as the job's effect."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        DEAD = "dead", "Failed (dead letter)"

    # The job's id, which it carries to the worker as its Celery task id: the worker finds the
    # message by it, and a copy delivered twice finds it done.
    task_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    # At most one job per key, e.g. one e-mail per recipient and event: queueing the same key
    # again queues nothing.
    key = models.CharField(max_length=300, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Not handed out before this moment: set on each hand-out (so a job lost by a dead
    # publisher, broker or worker is handed out again) and after each failure (backing off).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # How often a publisher claimed it (publishing fails while the broker is down).
    attempts = models.PositiveIntegerField(default=0)
    # How often a worker started it; after OUTBOX_MAX_ATTEMPTS failed runs it is dead.
    runs = models.PositiveIntegerField(default=0)
    # Who claimed the message last: the publisher that set it is the only one that may send it.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the broker.")
    done_at = models.DateTimeField(
        null=True, blank=True, help_text="Committed with the job's effect: it never runs again."
    )
    dead_at = models.DateTimeField(
        null=True, blank=True, help_text="Given up after too many failed runs, until retried."
    )
    last_error = models.TextField(blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        verbose_name = "queued task"
        indexes = [
            # The relay's question: pending messages due now, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(done_at__isnull=True, dead_at__isnull=True),
                name="outbox_due_idx",
            ),
            # A publisher loading the batch it has just claimed.
            models.Index(
                fields=["claim"], condition=Q(claim__isnull=False), name="outbox_claim_idx"
            ),
            # Pruning finished jobs by age.
            models.Index(
                fields=["done_at"], condition=Q(done_at__isnull=False), name="outbox_done_idx"
            ),
        ]

    def __str__(self):
        return f"{self.task_name} {self.task_id}"

    @property
    def state(self):
        if self.done_at is not None:
            return self.State.DONE
        if self.dead_at is not None:
            return self.State.DEAD
        return self.State.PENDING

    @property
    def is_pending(self):
        return self.state == self.State.PENDING
