"""Celery tasks of accounts: thin, safe to run twice."""

from celery import shared_task

from outbox.jobs import job

from . import services


@shared_task(acks_late=True, ignore_result=True)
def prune_login_attempts():
    return services.login_attempts_prune()


@job(soft_time_limit=60, time_limit=90)
def send_password_reset(*, email):
    services.password_reset_send(email=email)
