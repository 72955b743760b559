"""Celery tasks of the review workflow: thin, taking ids, safe to run twice."""

from celery import shared_task

from . import notifications


# SMTP errors are OSErrors: a mail server that is down is retried later.
@shared_task(autoretry_for=(OSError,), retry_backoff=60, max_retries=8)
def notify_transition(transition_id):
    return notifications.send_transition_notifications(transition_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=60, max_retries=8)
def notify_comment(comment_id):
    return notifications.send_comment_notifications(comment_id)
