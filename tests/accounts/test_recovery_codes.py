"""Recovery codes (shown once, stored hashed, each usable once, regenerable) and the enrolment
page's QR code, made on the server."""

import logging
import re

import pytest
from django.test import Client

from accounts import two_factor
from accounts.models import LoginAttempt, RecoveryCode

from .conftest import log_in, logged_in_user_id
from .test_two_factor import (
    DISABLE_URL,
    MARIA,
    SECURITY_LOGGER,
    TWO_FACTOR_URL,
    code_for,
    verify,
)

NEW_CODES_URL = "/accounts/two-factor/recovery-codes/"
CODE = re.compile(r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>")
WRONG = "not the password"


def codes_on(response):
    return CODE.findall(response.content.decode())


@pytest.fixture
def enrolment(client, reviewer, clock):
    """Maria turns two-factor login on through the page; the page that answered."""
    client.force_login(reviewer)
    client.get(TWO_FACTOR_URL)
    secret = client.session[two_factor.NEW_SECRET_KEY]
    response = client.post(TWO_FACTOR_URL, {"code": code_for(secret, clock)})
    clock.advance(30)
    return response


def sign_in_with(code):
    client = Client()
    log_in(client, MARIA)
    return client, verify(client, code)


def test_the_enrolment_page_shows_the_key_as_a_qr_code_made_here(client, reviewer):
    client.force_login(reviewer)

    response = client.get(TWO_FACTOR_URL)

    figure = re.search(r'<figure class="qr-code">(.*?)</figure>', response.content.decode(), re.S)
    assert figure is not None
    svg = figure.group(1)
    assert svg.startswith("<svg") and 'class="qr"' in svg and "<path" in svg
    assert "<script" not in svg and "http" not in svg  # nothing fetched from elsewhere
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_enrolment_shows_ten_recovery_codes_once_and_stores_only_their_hashes(
    client, reviewer, enrolment
):
    codes = codes_on(enrolment)

    assert len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user=reviewer).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not any(code in stored_hash for code in codes for stored_hash in stored)
    later = client.get(TWO_FACTOR_URL)
    assert codes_on(later) == []
    assert "You have 10 unused." in later.content.decode()


def test_a_recovery_code_signs_in_once(reviewer, enrolment, caplog):
    code = codes_on(enrolment)[0]

    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        first_client, first = sign_in_with(code.upper().replace("-", " "))
    _, second = sign_in_with(code)

    assert first.status_code == 302
    assert logged_in_user_id(first_client) == str(reviewer.pk)
    assert "recovery code used email='maria@example.org' ip=127.0.0.1 unused_left=9" in caplog.text
    assert second.status_code == 200
    assert "That code is not correct, or was used already." in second.content.decode()
    assert LoginAttempt.objects.filter(outcome="bad_code").count() == 1


def test_a_made_up_recovery_code_is_a_wrong_code(reviewer, enrolment):
    _, response = sign_in_with("abcd-efgh-ijkl-mnop")

    assert response.status_code == 200
    assert LoginAttempt.objects.filter(outcome="bad_code").count() == 1


def test_new_recovery_codes_replace_the_old_ones(client, reviewer, enrolment):
    old = codes_on(enrolment)

    response = client.post(NEW_CODES_URL, {"password": "correct horse 42"})

    new = codes_on(response)
    assert response.status_code == 200 and len(new) == 10
    assert set(new).isdisjoint(old)
    assert sign_in_with(old[1])[1].status_code == 200
    assert sign_in_with(new[0])[1].status_code == 302


def test_new_recovery_codes_need_the_password_which_counts_against_the_throttle(
    client, reviewer, enrolment
):
    old = codes_on(enrolment)

    response = client.post(NEW_CODES_URL, {"password": WRONG})

    assert response.status_code == 200
    assert codes_on(response) == []
    assert "Your password is not correct." in response.content.decode()
    assert LoginAttempt.objects.filter(outcome="failed").count() == 1
    assert sign_in_with(old[0])[1].status_code == 302


def test_new_recovery_codes_are_post_only(client, reviewer, enrolment):
    assert client.get(NEW_CODES_URL).status_code == 405


def test_a_lost_phone_turns_two_factor_off_with_a_recovery_code(client, reviewer, enrolment):
    code = codes_on(enrolment)[0]

    response = client.post(DISABLE_URL, {"password": "correct horse 42", "code": code})

    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert not reviewer.has_two_factor
    assert not RecoveryCode.objects.filter(user=reviewer).exists()
