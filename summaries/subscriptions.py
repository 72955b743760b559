"""What the progress summaries do when national data changes (connected in SummariesConfig)."""

from outbox.services import enqueue_coalesced

from .tasks import refresh_current_summaries

# Seconds over which a state's saves on a plan share their summary refreshes.
REFRESH_WINDOW = 30


def queue_summary_refresh(sender, national_status, **kwargs):
    """Refresh the current summaries of the changed status's state and plan.

    Coalesced: the first change of a state and plan in each REFRESH_WINDOW seconds queues a
    refresh at once (published after the commit); any further change in that window queues one
    more refresh, due at the window's end, which covers them all. So a burst of 100 saves in a
    minute costs a few refreshes, not 100, and none is missed.
    """
    state, plan = national_status.member_state_id, national_status.action_item.plan_id
    enqueue_coalesced(
        f"summaries.refresh:{state}:{plan}", REFRESH_WINDOW, refresh_current_summaries, state, plan
    )
