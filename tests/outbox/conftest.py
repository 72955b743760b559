import socket
import threading

import pytest
from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.models import Group

from outbox.jobs import job

CALLS = []


@job(name="tests.outbox.record_call")
def record_call(*args, **kwargs):
    """A task that only notes that it ran, and with what."""
    CALLS.append((args, kwargs))


@job(name="tests.outbox.add_group")
def add_group(name, fail_with=None):
    """A job with an effect in the database (a group), failing after it if told to."""
    Group.objects.create(name=name)
    if fail_with == "soft time limit":
        raise SoftTimeLimitExceeded()
    if fail_with:
        raise RuntimeError(fail_with)


@pytest.fixture
def calls():
    CALLS.clear()
    yield CALLS
    CALLS.clear()


def closed_port():
    """A local port nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def production_celery():
    """Celery as in production for one test: tasks go to the broker, not run in place."""
    conf = current_app.conf
    saved = conf.task_always_eager, conf.broker_url
    conf.task_always_eager = False
    yield conf
    conf.task_always_eager, conf.broker_url = saved


@pytest.fixture
def refusing_broker(production_celery):
    """A Redis broker URL at a closed port: Redis is down."""
    production_celery.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    return production_celery.broker_url


@pytest.fixture
def silent_broker(production_celery):
    """A broker that accepts connections and never answers: Redis hung, or a dead network."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    production_celery.broker_url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    yield production_celery.broker_url
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()
