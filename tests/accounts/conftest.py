import re

import pytest

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
