"""Celery tasks of the progress summaries: thin, safe to run twice.

Each takes ids (or nothing), loads its rows and calls a plain function. The periodic ones, sent
by beat, are acknowledged late and re-queued when a worker dies (settings), retried with
growing waits when the database is briefly away, and bounded by time limits; what they make
has a unique key (mailings.tasks: the e-mails they send are outbox jobs keyed per recipient). The
follow-up work of a save is an outbox job: done exactly once however often it is delivered.
"""

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

from actions.models import Plan
from countries.models import MemberState
from outbox.jobs import job

from . import summaries

TRANSIENT = (OperationalError, InterfaceError, SMTPException, ConnectionError, TimeoutError)
JOB = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
    "ignore_result": True,
}


@shared_task(**JOB)
def make_progress_summaries():
    period, final = summaries.make_progress_summaries()
    return {"period_start": period.start.isoformat(), "final_summaries": final}


@job(soft_time_limit=60, time_limit=90)
def refresh_current_summaries(member_state_id, plan_id):
    plan = Plan.objects.filter(pk=plan_id).first()
    if plan is None:
        return
    member_state = MemberState.objects.filter(pk=member_state_id).first()
    summaries.refresh_current_summaries(plan=plan, member_state=member_state)


@job(soft_time_limit=60, time_limit=90)
def recount_after_report_move(member_state_id, plan_id):
    plan = Plan.objects.filter(pk=plan_id).first()
    member_state = MemberState.objects.filter(pk=member_state_id).first()
    if plan is not None and member_state is not None:
        summaries.recount_after_report_move(plan=plan, member_state=member_state)
