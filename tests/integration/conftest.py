"""A real Celery worker on the real Redis, sharing the test database (PostgreSQL).

The worker is a separate process, so it must see the test's data: the tests commit it
(transactional_db) in PostgreSQL's test database, which the worker opens by name. pytest-django's
SQLite test database lives in this process's memory, out of any other process's reach.
"""

import os
import subprocess
import sys
import time
import uuid
from urllib.parse import quote, urlsplit

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.db import connection

from tests.conftest import port_open, service_missing

# A Redis database of its own, emptied before and after each test (CI passes REDIS_URL).
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
WORKER_START_SECONDS = 30


@pytest.fixture
def redis_broker():
    """Celery as in production, on the real Redis: tasks go to the broker."""
    address = urlsplit(REDIS_URL)
    if not port_open(address.hostname, address.port or 6379):
        service_missing(f"needs Redis at {address.hostname}:{address.port or 6379} (REDIS_URL)")
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    conf = current_app.conf
    saved = conf.task_always_eager, conf.broker_url
    conf.task_always_eager, conf.broker_url = False, REDIS_URL
    yield client
    conf.task_always_eager, conf.broker_url = saved
    client.flushdb()
    client.close()


@pytest.fixture
def shared_database(transactional_db):
    """The test database's URL, for another process; its data is committed by each test."""
    if connection.vendor != "postgresql":
        service_missing(
            "the real-worker tests need PostgreSQL (DATABASE_URL=postgres://…): a worker "
            "process cannot open the in-memory SQLite test database"
        )
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}/{db['NAME']}"


class Worker:
    def __init__(self, process, log):
        self.process = process
        self.log = log

    def output(self):
        return self.log.read_text(errors="replace")

    def wait_for(self, condition, what, timeout=60):
        """Poll `condition` until it is true, failing with the worker's log after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                pytest.fail(f"the worker stopped while waiting for {what}:\n{self.output()}")
            time.sleep(0.2)
        pytest.fail(f"no {what} after {timeout} s; the worker's log:\n{self.output()}")


@pytest.fixture
def worker(redis_broker, shared_database, tmp_path):
    """`celery worker --pool=solo` in its own process, on Redis and the test database."""
    log = tmp_path / "worker.log"
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rpa_tracker.test_settings",
        "DATABASE_URL": shared_database,
        "CELERY_BROKER_URL": REDIS_URL,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "rpa_tracker", "worker",
        "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle",
        f"--hostname=integration-{uuid.uuid4().hex[:8]}@%h",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=environ, stdout=output, stderr=subprocess.STDOUT
        )
    running = Worker(process, log)
    try:
        running.wait_for(lambda: "ready." in running.output(), "ready worker", WORKER_START_SECONDS)
        yield running
    finally:
        process.terminate()  # a warm shutdown: the task in hand is finished first
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def publish(task, *args):
    """Send `task` to the broker now, over a connection of its own (not the app's pool, which
    may have been made for another broker earlier in the session)."""
    with current_app.connection_for_write() as connection:
        task.apply_async(args, connection=connection)
