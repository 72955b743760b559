"""What the progress summaries do when national data changes (connected in SummariesConfig)."""

from outbox.services import enqueue_coalesced

from .tasks import recount_after_report_move, refresh_current_summaries

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


def queue_summary_recount(sender, report, **kwargs):
    """Recount the current summaries of the moved report's plan: the region's (its compliance
    and its figures from accepted reports) and the report's state's (its compliance).

    Coalesced per state and plan like a save's refresh; report moves are few (a handful per
    state and round), so the recount computes the region's figures afresh.
    """
    state, plan = report.member_state_id, report.round.plan_id
    enqueue_coalesced(
        f"summaries.report:{state}:{plan}",
        REFRESH_WINDOW,
        recount_after_report_move,
        state,
        plan,
    )
