"""What the progress summaries do when national data changes (connected in SummariesConfig)."""

from outbox.services import enqueue

from .tasks import refresh_current_summaries


def queue_summary_refresh(sender, national_status, **kwargs):
    """Refresh the current summaries of the changed status's state and plan, after commit."""
    enqueue(
        refresh_current_summaries,
        national_status.member_state_id,
        national_status.action_item.plan_id,
    )
