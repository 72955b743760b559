"""Jobs of the review workflow: thin, taking ids, queued through the outbox (done once)."""

from outbox.jobs import job

from . import notifications


@job
def notify_transition(transition_id):
    return notifications.send_transition_notifications(transition_id)


@job
def notify_comment(comment_id):
    return notifications.send_comment_notifications(comment_id)
