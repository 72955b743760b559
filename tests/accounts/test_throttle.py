"""The login throttle behind a reverse proxy: the real client address, and limits that slow the
attacking address and the attacked account, never everyone."""

import logging

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import LoginAttempt
from tests.conftest import PASSWORD
from tests.test_settings_env import load_settings

from .conftest import log_in, logged_in_user_id

SECURITY_LOGGER = "rpa_tracker.security"
WRONG = "not the password"
PROXY = "10.0.0.5"  # the reverse proxy, as the app sees the connection
ATTACKER = "198.51.100.66"
MARIA_AT_WORK = "203.0.113.10"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.TRUSTED_PROXY_COUNT = 1


def via_proxy(client_address, **extra):
    """The request headers of a client at `client_address` that came through the proxy."""
    forwarded = extra.pop("spoofed", "")
    chain = f"{forwarded}, {client_address}" if forwarded else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain, **extra}


def recorded_addresses():
    return list(LoginAttempt.objects.order_by("pk").values_list("ip", flat=True))


# The client address


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, reviewer):
    log_in(client, "maria@example.org", WRONG, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert recorded_addresses() == [ATTACKER]


def test_behind_the_proxy_the_forwarded_client_address_is_recorded_and_logged(
    client, reviewer, behind_proxy, caplog
):
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        log_in(client, "maria@example.org", WRONG, **via_proxy(ATTACKER))

    assert recorded_addresses() == [ATTACKER]
    assert f"ip={ATTACKER}" in caplog.text
    assert PROXY not in caplog.text


def test_an_address_the_client_wrote_into_x_forwarded_for_is_ignored(
    client, reviewer, behind_proxy
):
    log_in(client, "maria@example.org", WRONG, **via_proxy(ATTACKER, spoofed="192.0.2.1"))

    assert recorded_addresses() == [ATTACKER]


def test_x_forwarded_for_from_an_untrusted_source_is_ignored(client, reviewer, behind_proxy):
    log_in(
        client, "maria@example.org", WRONG, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.1"
    )

    assert recorded_addresses() == [ATTACKER]


def test_a_proxy_connecting_over_ipv6_mapped_ipv4_is_trusted(client, reviewer, behind_proxy):
    log_in(
        client,
        "maria@example.org",
        WRONG,
        REMOTE_ADDR=f"::ffff:{PROXY}",
        HTTP_X_FORWARDED_FOR=ATTACKER,
    )

    assert recorded_addresses() == [ATTACKER]


def test_two_proxies_take_the_address_the_outer_one_received(client, reviewer, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.TRUSTED_PROXY_COUNT = 2

    log_in(
        client,
        "maria@example.org",
        WRONG,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"192.0.2.1, {ATTACKER}, 10.0.0.9",
    )

    assert recorded_addresses() == [ATTACKER]


def test_trusted_proxies_must_be_addresses_or_networks(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        load_settings(monkeypatch, DEBUG="1", TRUSTED_PROXIES="10.0.0.0/8,proxy.local")


def test_a_trusted_proxy_means_one_proxy_unless_told(monkeypatch):
    loaded = load_settings(monkeypatch, DEBUG="1", TRUSTED_PROXIES="172.16.0.0/12")

    assert loaded["TRUSTED_PROXY_COUNT"] == 1
    assert load_settings(monkeypatch, DEBUG="1")["TRUSTED_PROXY_COUNT"] == 0


# Nobody locks out everyone


def test_an_address_guessing_many_accounts_behind_the_proxy_does_not_lock_out_others(
    reviewer, behind_proxy
):
    attacker = Client()
    for n in range(20):
        log_in(attacker, f"guess{n}@example.org", WRONG, **via_proxy(ATTACKER))

    refused = log_in(attacker, "maria@example.org", PASSWORD, **via_proxy(ATTACKER))
    maria = Client()
    allowed = log_in(maria, "maria@example.org", PASSWORD, **via_proxy(MARIA_AT_WORK))

    assert refused.status_code == 429
    assert allowed.status_code == 302
    assert logged_in_user_id(maria) == str(reviewer.pk)


def test_guessing_one_account_slows_the_guessing_address_not_the_owner(reviewer, caplog):
    attacker = Client()
    for _ in range(5):
        log_in(attacker, "maria@example.org", WRONG, REMOTE_ADDR=ATTACKER)

    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        refused = log_in(attacker, "maria@example.org", PASSWORD, REMOTE_ADDR=ATTACKER)
    allowed = log_in(Client(), "maria@example.org", PASSWORD, REMOTE_ADDR=MARIA_AT_WORK)

    assert refused.status_code == 429
    assert "Try again in 15 minutes." in refused.content.decode()
    assert "login throttled" in caplog.text and f"ip={ATTACKER}" in caplog.text
    assert allowed.status_code == 302


def _guess_from_many_addresses(count=20):
    for n in range(count):
        log_in(Client(), "maria@example.org", WRONG, REMOTE_ADDR=f"198.51.100.{n + 1}")


def test_guessing_one_account_from_many_addresses_locks_the_account(reviewer):
    _guess_from_many_addresses()

    response = log_in(Client(), "maria@example.org", PASSWORD, REMOTE_ADDR="192.0.2.200")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 14 * 60


def test_nineteen_guesses_from_many_addresses_do_not_lock_the_account(reviewer):
    _guess_from_many_addresses(19)

    response = log_in(Client(), "maria@example.org", PASSWORD, REMOTE_ADDR="192.0.2.200")

    assert response.status_code == 302


def test_a_locked_account_still_signs_in_from_where_it_signed_in_before(reviewer):
    assert log_in(Client(), "maria@example.org", REMOTE_ADDR=MARIA_AT_WORK).status_code == 302
    _guess_from_many_addresses()

    response = log_in(Client(), "maria@example.org", PASSWORD, REMOTE_ADDR=MARIA_AT_WORK)

    assert response.status_code == 302


def _reset_password(user, new_password, ip):
    """Follow the e-mailed link (the token made here as Django makes it) and set a password."""
    client = Client(REMOTE_ADDR=ip)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    form_url = client.get(f"/accounts/password/reset/{uid}/{token}/")["Location"]
    return client.post(form_url, {"new_password1": new_password, "new_password2": new_password})


def test_a_password_reset_lifts_the_accounts_lock(reviewer, caplog):
    _guess_from_many_addresses()
    assert log_in(Client(), "maria@example.org", REMOTE_ADDR="192.0.2.200").status_code == 429

    with caplog.at_level(logging.INFO, logger=SECURITY_LOGGER):
        done = _reset_password(reviewer, "a brand new passphrase 7", ip="192.0.2.200")
    response = log_in(
        Client(), "maria@example.org", "a brand new passphrase 7", REMOTE_ADDR="192.0.2.200"
    )

    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/complete/"
    assert "password reset email='maria@example.org' ip=192.0.2.200" in caplog.text
    assert response.status_code == 302


def test_a_password_reset_does_not_lift_the_guessing_addresss_own_limit(reviewer):
    for n in range(20):
        log_in(Client(), f"guess{n}@example.org", WRONG, REMOTE_ADDR=ATTACKER)

    _reset_password(reviewer, "a brand new passphrase 7", ip=MARIA_AT_WORK)
    response = log_in(
        Client(), "maria@example.org", "a brand new passphrase 7", REMOTE_ADDR=ATTACKER
    )

    assert response.status_code == 429
