"""The periodic jobs' schedule and options come from settings, overridable from the environment."""

import pytest
from celery import current_app
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError

from mailings import tasks as mailing_tasks
from outbox.services import registered_task
from summaries import summaries as summaries_module
from summaries import tasks
from tests.test_settings_env import load_settings

from .summary_helpers import FINISHED

JOBS = {
    "progress-summaries": "summaries.tasks.make_progress_summaries",
    "digests": "mailings.tasks.send_digests",
    "reminders": "mailings.tasks.send_reminders",
    "outbox-relay": "outbox.tasks.relay_outbox",
    "login-attempts-prune": "accounts.tasks.prune_login_attempts",
}


def test_every_job_is_scheduled_and_registered(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert {name: entry["task"] for name, entry in schedule.items()} == JOBS
    for entry in schedule.values():
        assert isinstance(entry["schedule"], crontab)
        assert registered_task(entry["task"]) is not None
        assert entry["options"]["expires"] > 0  # runs missed while workers were down expire


def test_default_schedules_run_the_jobs_daily_and_the_relay_every_minute(monkeypatch):
    loaded = load_settings(monkeypatch, DEBUG="1")
    schedule = loaded["CELERY_BEAT_SCHEDULE"]

    summaries = schedule["progress-summaries"]["schedule"]
    assert (summaries.minute, summaries.hour, summaries.day_of_week) == ({0}, {1}, set(range(7)))
    assert schedule["outbox-relay"]["schedule"].minute == set(range(60))
    assert loaded["CELERY_TIMEZONE"] == loaded["TIME_ZONE"]
    assert loaded["SUMMARY_PERIOD"] == "week"
    assert loaded["REMINDER_DAYS_BEFORE_DUE"] == [7, 1]


def test_a_schedule_is_overridden_by_a_cron_line(monkeypatch):
    loaded = load_settings(
        monkeypatch,
        DEBUG="1",
        SUMMARY_SCHEDULE="0 6 * * 1",
        REMINDER_SCHEDULE="30 7 1-5 * *",
        REMINDER_DAYS_BEFORE_DUE="1, 14,7",
        SUMMARY_PERIOD="month",
    )

    summaries = loaded["CELERY_BEAT_SCHEDULE"]["progress-summaries"]["schedule"]
    assert (summaries.minute, summaries.hour, summaries.day_of_week) == ({0}, {6}, {1})
    reminders = loaded["CELERY_BEAT_SCHEDULE"]["reminders"]["schedule"]
    assert (reminders.hour, reminders.day_of_month) == ({7}, {1, 2, 3, 4, 5})
    assert loaded["REMINDER_DAYS_BEFORE_DUE"] == [14, 7, 1]
    assert loaded["SUMMARY_PERIOD"] == "month"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SUMMARY_SCHEDULE", "0 6 * *"),  # four fields
        ("SUMMARY_SCHEDULE", "0 6 * * * *"),  # six
        ("DIGEST_SCHEDULE", "61 * * * *"),
        ("REMINDER_SCHEDULE", "0 25 * * *"),
        ("OUTBOX_RELAY_SCHEDULE", "*/0 * * * *"),
        ("SUMMARY_SCHEDULE", "0 6 * * funday"),
        ("REMINDER_DAYS_BEFORE_DUE", "7,one"),
        ("REMINDER_DAYS_BEFORE_DUE", "7,-1"),
        ("SUMMARY_PERIOD", "fortnight"),
    ],
)
def test_a_bad_value_is_refused_with_its_name(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        load_settings(monkeypatch, DEBUG="1", **{name: value})


@pytest.mark.parametrize(
    "task",
    [
        tasks.make_progress_summaries,
        mailing_tasks.send_digests,
        mailing_tasks.send_reminders,
    ],
)
def test_jobs_are_acknowledged_late_and_retried_with_backoff_on_transient_errors(task):
    assert task.acks_late and task.reject_on_worker_lost
    assert {"OperationalError", "SMTPException", "ConnectionError"} <= {
        error.__name__ for error in task.autoretry_for
    }
    assert (task.retry_backoff, task.max_retries) == (30, 5)


def test_the_whole_app_acknowledges_late_and_bounds_every_task_in_time():
    conf = current_app.conf

    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert tasks.refresh_current_summaries.time_limit == 90


def test_a_job_that_meets_a_transient_error_is_run_again(db, monkeypatch):
    outcomes = [OperationalError("database is locked"), (FINISHED, 3)]

    def make(**kwargs):
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(summaries_module, "make_progress_summaries", make)

    result = tasks.make_progress_summaries.apply(throw=False)

    assert result.successful()
    assert result.result == {"period_start": FINISHED.start.isoformat(), "final_summaries": 3}
    assert outcomes == []
