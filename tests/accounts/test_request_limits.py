"""Password reset links and invitations: limited per address and per account (429), the same
answers for addresses with and without accounts, and nothing disclosed about other states."""

import logging
import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Invitation, Role
from tests import factories

from .conftest import INVITATIONS_URL

RESET_URL = "/accounts/password/reset/"
SECURITY_LOGGER = "rpa_tracker.security"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def ask_reset(email, ip="203.0.113.5"):
    return Client(REMOTE_ADDR=ip).post(RESET_URL, {"email": email}, follow=True)


def page(response):
    """A page's HTML without its per-request CSRF token."""
    return CSRF_FIELD.sub("", response.content.decode())


# Password reset


def test_the_fourth_reset_link_for_an_address_in_an_hour_is_refused(reviewer, caplog):
    for _ in range(3):
        assert ask_reset("maria@example.org").redirect_chain

    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        refused = ask_reset("maria@example.org", ip="192.0.2.44")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 59 * 60
    assert "Too many reset links were asked for. Try again in 60 minutes." in page(refused)
    assert "password reset request throttled email='maria@example.org' ip=192.0.2.44" in (
        caplog.text
    )


def test_known_and_unknown_addresses_get_the_same_answers_up_to_and_past_the_limit(reviewer):
    known = [ask_reset("maria@example.org") for _ in range(4)]
    unknown = [ask_reset("nobody@example.org") for _ in range(4)]

    assert [r.status_code for r in known] == [200, 200, 200, 429]
    assert [(r.status_code, r.redirect_chain) for r in unknown] == [
        (r.status_code, r.redirect_chain) for r in known
    ]
    # The pages differ only in the address typed, shown back in the form.
    assert [page(r).replace("nobody@", "maria@") for r in unknown] == [page(r) for r in known]


def test_one_address_asking_for_many_accounts_is_refused_after_ten(db):
    for n in range(10):
        assert ask_reset(f"person{n}@example.org", ip="198.51.100.9").status_code == 200

    assert ask_reset("person10@example.org", ip="198.51.100.9").status_code == 429
    assert ask_reset("person10@example.org", ip="198.51.100.10").status_code == 200


# Invitations


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Post the invitation form as `user` from `ip`; queued e-mail is sent."""

    def post(user, ip="203.0.113.5", **data):
        client = Client(REMOTE_ADDR=ip)
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(INVITATIONS_URL, data, follow=True)

    return post


def answer(response):
    """What the inviter is shown: where they end up, and the page's message and errors."""
    html = page(response)
    messages = re.findall(r'<(?:li|p) class="(?:message|errorlist|success)[^"]*"[^>]*>(.*?)<', html)
    return response.status_code, response.redirect_chain, messages, "errorlist" in html


def listed(response):
    """The addresses in the invitation list of a page."""
    return re.findall(r'<th scope="row">([^<]+@[^<]+)</th>', page(response))


def test_a_coordinator_learns_nothing_of_an_account_in_another_state(
    invite, coordinator, other_focal_point
):
    elsewhere = invite(coordinator, email="aisyah@example.org", role="focal_point")
    fresh = invite(coordinator, email="Nobody.Yet@example.org", role="focal_point")

    assert elsewhere.status_code == 200 and elsewhere.redirect_chain
    assert "Invitation sent to aisyah@example.org." in page(elsewhere)
    assert "Invitation sent to nobody.yet@example.org." in page(fresh)
    assert "already" not in page(elsewhere)
    assert answer(elsewhere)[:2] == answer(fresh)[:2]
    # Listed like any invitation; the account holder gets a notice, not a link.
    assert set(listed(fresh)) == {"aisyah@example.org", "nobody.yet@example.org"}
    (notice,) = [m for m in mail.outbox if m.to == ["aisyah@example.org"]]
    assert "has an account there already" in notice.body
    assert "/accounts/invitations/" not in notice.body


def test_a_coordinator_learns_nothing_of_a_pending_invitation_of_another_state(
    invite, coordinator, malaysia
):
    farid = factories.make_user(Role.COORDINATOR, malaysia, email="farid@example.org")
    invite(farid, email="new.person@example.org", role="focal_point")

    response = invite(coordinator, email="new.person@example.org", role="focal_point")

    assert response.redirect_chain
    assert "Invitation sent to new.person@example.org." in page(response)
    assert "already" not in page(response)
    assert listed(response) == ["new.person@example.org"]
    states = set(Invitation.objects.values_list("member_state__code", flat=True))
    assert states == {"MY", "KH"}
    # Either link works until the address has an account.
    assert [m.to for m in mail.outbox] == [["new.person@example.org"]] * 2


def test_a_coordinator_is_told_of_their_own_states_accounts(invite, coordinator, focal_point):
    response = invite(coordinator, email="sophea@example.org", role="focal_point")

    assert "A user with this e-mail address already exists." in page(response)
    assert not Invitation.objects.exists()


def test_the_secretariat_is_told_of_any_account(invite, secretariat, other_focal_point):
    response = invite(secretariat, email="aisyah@example.org", role="observer")

    assert "A user with this e-mail address already exists." in page(response)


def test_invitations_are_limited_per_inviting_account(invite, coordinator, settings, caplog):
    settings.INVITATION_LIMIT = 3
    for n in range(3):
        invite(coordinator, email=f"person{n}@example.org", role="focal_point")

    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        refused = invite(
            coordinator, ip="192.0.2.8", email="person3@example.org", role="focal_point"
        )

    assert refused.status_code == 429
    assert "Too many invitations in the last hour. Try again in 60 minutes." in page(refused)
    assert "invitation throttled email='dara@example.org'" in caplog.text
    assert Invitation.objects.count() == 3


def test_invitations_are_limited_per_client_address(invite, coordinator, secretariat, settings):
    settings.INVITATION_LIMIT_PER_IP = 2
    invite(coordinator, email="person0@example.org", role="focal_point")
    invite(secretariat, email="person1@example.org", role="observer")

    refused = invite(secretariat, email="person2@example.org", role="observer")
    elsewhere = invite(secretariat, ip="192.0.2.9", email="person2@example.org", role="observer")

    assert refused.status_code == 429
    assert elsewhere.status_code == 200 and elsewhere.redirect_chain
