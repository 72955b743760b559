"""Celery tasks of accounts: thin, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def prune_login_attempts():
    return services.login_attempts_prune()
