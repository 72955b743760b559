"""Celery tasks of the digests and reminders, sent by beat (see summaries.tasks for how the
periodic jobs are made safe to run twice: the same options apply here)."""

from celery import shared_task

from summaries import summaries
from summaries.tasks import JOB

from . import digests, reminders


@shared_task(**JOB, soft_time_limit=600, time_limit=660)
def send_digests():
    # The summaries first (nothing happens if they are made): digests never wait a day for them.
    summaries.make_progress_summaries()
    return {"queued": digests.send_digests()}


@shared_task(**JOB, soft_time_limit=600, time_limit=660)
def send_reminders():
    return {"queued": reminders.send_reminders()}
