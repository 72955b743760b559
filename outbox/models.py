import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessageQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(sent_at__isnull=True)

    def due(self, now):
        """Pending messages that may be tried now: never claimed, or their claim or wait ran out."""
        return self.pending().filter(next_attempt_at__lte=now)


class OutboxMessage(models.Model):
    """A Celery task to run, written in the same transaction as the change that asks for it."""

    # Also the Celery task id, so a message published twice is recognisable in the worker's log.
    task_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Not tried before this moment: set on each claim (so a dead publisher's claim runs out)
    # and after each failure (backing off).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    # Who claimed the message last: the publisher that set it is the only one that may send it.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        verbose_name = "queued task"
        indexes = [
            # The relay's question: pending messages due now, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(sent_at__isnull=True),
                name="outbox_due_idx",
            ),
            # A publisher loading the batch it has just claimed.
            models.Index(
                fields=["claim"], condition=Q(claim__isnull=False), name="outbox_claim_idx"
            ),
            # Pruning sent messages by age.
            models.Index(
                fields=["sent_at"], condition=Q(sent_at__isnull=False), name="outbox_sent_idx"
            ),
        ]

    def __str__(self):
        return f"{self.task_name} {self.task_id}"

    @property
    def is_sent(self):
        return self.sent_at is not None
