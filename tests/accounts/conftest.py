import datetime
import re

import pytest
from django.utils import timezone

from tests import factories
from tests.conftest import PASSWORD

LOGIN_URL = "/accounts/login/"
INVITATIONS_URL = "/accounts/invitations/"


def log_in(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN_URL, {"username": email, "password": password}, **extra)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def link_in(message):
    """The one http(s) link in an e-mail body."""
    (link,) = re.findall(r"https?://\S+", message.body)
    return link


@pytest.fixture
def malaysia_coordinator(malaysia):
    """Farid, Malaysia's national coordinator."""
    return factories.make_user("coordinator", malaysia, email="farid@example.org", name="Farid")


class Clock:
    """timezone.now(), standing still until a test moves it."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    """Time stopped 5 seconds into a 30-second step, so that no code changes under a test."""
    real = timezone.now().replace(microsecond=0)
    clock = Clock(real - datetime.timedelta(seconds=real.second % 30 - 5))
    monkeypatch.setattr(timezone, "now", clock)
    return clock
