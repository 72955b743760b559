"""Jobs of the review workflow: thin, taking ids, queued through the outbox (done once)."""

from outbox.jobs import job

from . import notifications


@job
def notify_transition(transition_id):
    return notifications.queue_transition_emails(transition_id)


@job
def notify_comment(comment_id):
    return notifications.queue_comment_emails(comment_id)
