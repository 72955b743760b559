"""A real Celery worker on the real Redis, sharing the test database (PostgreSQL).

The worker is a separate process, so it must see the test's data: the tests commit it
(transactional_db) in PostgreSQL's test database, which the worker opens by name. pytest-django's
SQLite test database lives in this process's memory, out of any other process's reach.
"""

import email
import email.header
import email.policy
import os
import shutil
import socket
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


# Drills: a private Redis each, and worker and beat processes the test starts and kills.


class PrivateRedis:
    """A redis-server of the test's own, on `port`, that the test stops and starts."""

    def __init__(self, port, directory):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.directory = directory
        self.process = None

    def start(self):
        command = [
            shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.directory),
        ]  # fmt: skip
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self):
        """Redis goes away with what it held (no persistence): an outage, not a pause."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def client(self):
        return redis.Redis.from_url(self.url)


def drill_redis_port():
    """RPA_DRILL_REDIS_PORT, or a port free now."""
    if os.environ.get("RPA_DRILL_REDIS_PORT"):
        return int(os.environ["RPA_DRILL_REDIS_PORT"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def private_redis(tmp_path):
    """A private redis-server, and Celery in this process publishing to it."""
    if shutil.which("redis-server") is None:
        service_missing("the drills need redis-server (Debian package redis-server)")
    port = drill_redis_port()
    if port_open("127.0.0.1", port):
        pytest.fail(f"port {port} is taken; set RPA_DRILL_REDIS_PORT to a free port")
    server = PrivateRedis(port, tmp_path)
    server.start()
    conf = current_app.conf
    saved = conf.task_always_eager, conf.broker_url
    conf.task_always_eager, conf.broker_url = False, server.url
    yield server
    conf.task_always_eager, conf.broker_url = saved
    server.stop()


class Drill:
    """Worker and beat processes on a private Redis and the test database; e-mail in files."""

    def __init__(self, redis_server, database_url, directory):
        self.redis = redis_server
        self.database_url = database_url
        self.directory = directory
        self.mail_dir = directory / "mail"
        self.mail_dir.mkdir()
        self.processes = []

    def start(self, kind, name, extra_env=(), args=()):
        log = self.directory / f"{name}.log"
        environ = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.integration.drill_settings",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.redis.url,
            "DRILL_MAIL_DIR": str(self.mail_dir),
            **dict(extra_env),
        }
        if kind == "worker":
            args = [
                "worker", "--pool=solo", "--loglevel=INFO", "--without-gossip",
                "--without-mingle", "--without-heartbeat", f"--hostname={name}@%h", *args,
            ]  # fmt: skip
        else:
            args = [
                "beat", "--loglevel=INFO", f"--schedule={self.directory / name}.schedule",
                f"--pidfile={self.directory / name}.pid", *args,
            ]  # fmt: skip
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.drill_process", *args],
                cwd=settings.BASE_DIR,
                env=environ,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        running = Worker(process, log)
        self.processes.append(running)
        if kind == "worker":
            running.wait_for(lambda: "ready." in running.output(), f"ready {name}", 60)
        return running

    def stop_all(self):
        for running in self.processes:
            if running.process.poll() is None:
                running.process.kill()
                running.process.wait()

    def logs(self):
        return "\n".join(f"--- {p.log.name}\n{p.output()[-3000:]}" for p in self.processes)

    def emails(self, *, with_body=False):
        """[(to, subject)] (and the text, `with_body`) of every e-mail the workers sent."""
        sent = []
        for path in sorted(self.mail_dir.iterdir()):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    message = email.message_from_bytes(chunk, policy=email.policy.default)
                    subject = str(email.header.make_header(email.header.decode_header(
                        message["Subject"]
                    )))  # fmt: skip
                    if with_body:
                        body = message.get_body(("plain",)) if message.is_multipart() else message
                        text = body.get_payload(decode=True).decode()
                        sent.append((message["To"], subject, text))
                    else:
                        sent.append((message["To"], subject))
        return sent


@pytest.fixture
def drill(private_redis, shared_database, tmp_path):
    running = Drill(private_redis, shared_database, tmp_path)
    yield running
    running.stop_all()
