"""Benchmark, not a test (pytest collects it only when named): how long the password reset
form takes to answer for an address with an account and for one without, with the e-mail
queued to a real broker as in production (not run eagerly).

    REDIS_URL=redis://127.0.0.1:6379/1 .venv/bin/pytest tests/accounts/bench_password_reset.py -s
"""

import os
import statistics
import time

import pytest
from django.test import Client

from rpa_tracker.celery import app

ROUNDS = 60


@pytest.fixture
def real_broker(settings):
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("set REDIS_URL to a Redis database of your own")
    settings.PASSWORD_RESET_LIMIT = settings.PASSWORD_RESET_LIMIT_PER_IP = ROUNDS * 4
    before = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = url
    yield
    app.conf.task_always_eager, app.conf.broker_url = before


def timed_post(client, email):
    started = time.perf_counter()
    response = client.post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 302
    return (time.perf_counter() - started) * 1000


def test_reset_answers_known_and_unknown_addresses_in_similar_time(
    reviewer, real_broker, django_capture_on_commit_callbacks
):
    client = Client()
    timings = {"known": [], "unknown": []}
    for n in range(ROUNDS):  # interleaved, so that drift on a shared machine hits both
        with django_capture_on_commit_callbacks(execute=True):
            timings["known"].append(timed_post(client, "maria@example.org"))
        with django_capture_on_commit_callbacks(execute=True):
            timings["unknown"].append(timed_post(client, f"nobody{n}@example.org"))

    for kind, values in timings.items():
        values = sorted(values[5:])  # the first rounds warm caches up
        print(
            f"{kind:8} median {statistics.median(values):6.2f} ms  "
            f"p90 {values[int(len(values) * 0.9)]:6.2f} ms  (n={len(values)})"
        )
