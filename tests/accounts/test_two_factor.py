"""Two-factor login: the TOTP codes, enrolment, the login's code step, and who must use it."""

import base64
import logging
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.test import Client

from accounts import otp, two_factor
from accounts.models import LoginAttempt, Role, User
from rpa_tracker import settings as project_settings
from tests.conftest import PASSWORD
from tests.query_counts import count_queries
from tests.test_settings_env import load_settings

from .conftest import LOGIN_URL, log_in, logged_in_user_id

SECURITY_LOGGER = "rpa_tracker.security"
VERIFY_URL = "/accounts/login/verify/"
TWO_FACTOR_URL = "/accounts/two-factor/"
DISABLE_URL = "/accounts/two-factor/disable/"
MARIA = "maria@example.org"


def code_for(secret, clock, steps=0):
    """The code an authenticator app with `secret` shows now (or `steps` steps later)."""
    return otp.code_at(secret, clock.now.timestamp() + steps * otp.STEP_SECONDS)


def enrol(user, clock):
    """Turn two-factor login on for `user`; returns the secret their app holds."""
    secret = otp.new_secret()
    two_factor.two_factor_enable(user=user, secret=secret, code=code_for(secret, clock))
    clock.advance(otp.STEP_SECONDS)  # the enrolment code is used up
    return secret


@pytest.fixture
def maria_secret(reviewer, clock):
    """Maria, the reviewer, has two-factor login on; her app's secret."""
    return enrol(reviewer, clock)


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = [Role.REVIEWER, Role.SECRETARIAT]


def verify(client, code):
    return client.post(VERIFY_URL, {"code": code})


def signed_in_with_code(client, user):
    """A session that passed the code step, without going through it."""
    client.force_login(user)
    session = client.session
    session[two_factor.VERIFIED_KEY] = True
    session.save()


# The codes (RFC 6238, computed by pyotp)

RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of the RFC's "12345678901234567890"


@pytest.mark.parametrize(
    ("at", "code"),
    [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ],
)
def test_the_rfc_6238_reference_codes_are_accepted_at_their_time(at, code):
    assert otp.code_at(RFC_SECRET, at) == code
    assert otp.matching_step(RFC_SECRET, code, at=at) == otp.time_step(at)


def test_new_secrets_are_random_160_bit_base32():
    first, second = otp.new_secret(), otp.new_secret()

    assert len(first) == 32
    assert len(base64.b32decode(first)) == 20
    assert first != second


def test_a_code_is_accepted_one_step_either_side_but_not_two():
    secret = otp.new_secret()
    at = 1_800_000_015
    step = otp.time_step(at)

    for offset in (-1, 0, 1):
        code = otp.code_at(secret, at + offset * 30)
        assert otp.matching_step(secret, code, at=at) == step + offset
    for offset in (-2, 2):
        assert otp.matching_step(secret, otp.code_at(secret, at + offset * 30), at=at) is None


def test_steps_up_to_the_last_used_one_never_match():
    secret = otp.new_secret()
    at = 1_800_000_015
    step = otp.time_step(at)
    previous = otp.code_at(secret, at - 30)

    assert otp.matching_step(secret, previous, at=at, after_step=step - 2) == step - 1
    assert otp.matching_step(secret, previous, at=at, after_step=step - 1) is None


def test_secret_is_shown_in_groups_of_four_and_as_an_otpauth_address():
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

    assert otp.grouped(secret) == "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
    uri = urlsplit(otp.provisioning_uri(secret, "maria@example.org"))
    assert (uri.scheme, uri.netloc, unquote(uri.path)) == (
        "otpauth",
        "totp",
        "/RPA Tracker:maria@example.org",
    )
    assert parse_qs(uri.query) == {"secret": [secret], "issuer": ["RPA Tracker"]}


def test_a_sealed_secret_reads_back_and_does_not_show_it(settings):
    secret = otp.new_secret()

    sealed = otp.seal(secret)

    assert secret not in sealed
    assert otp.seal(secret) != sealed  # a fresh nonce each time
    assert otp.unseal(sealed) == secret


@pytest.mark.parametrize(
    "tamper",
    [
        lambda sealed: sealed[:-4] + ("AAAA" if sealed[-4:] != "AAAA" else "BBBB"),
        lambda sealed: sealed[:10] + ("A" if sealed[10] != "A" else "B") + sealed[11:],
        lambda sealed: sealed[:20],
        lambda sealed: "v1$" + sealed[3:],
        lambda sealed: sealed[:3] + "!" + sealed[4:],
    ],
    ids=["tag", "nonce", "truncated", "version", "not base64"],
)
def test_an_altered_sealed_secret_is_unreadable(tamper):
    sealed = otp.seal(otp.new_secret())

    with pytest.raises(otp.SecretUnreadable):
        otp.unseal(tamper(sealed))


def test_a_sealed_secret_reads_under_the_old_key_only_while_it_is_a_fallback(settings):
    secret = otp.new_secret()
    sealed = otp.seal(secret)
    old_key = settings.SECRET_KEY

    settings.SECRET_KEY = "a-new-secret-key-for-this-test-only"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert otp.unseal(sealed) == secret

    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(otp.SecretUnreadable):
        otp.unseal(sealed)


# Enrolment


def test_user_turns_two_factor_login_on_with_the_code_from_their_app(
    client, reviewer, clock, caplog
):
    client.force_login(reviewer)
    page = client.get(TWO_FACTOR_URL).content.decode()
    secret = client.session[two_factor.NEW_SECRET_KEY]

    assert otp.grouped(secret) in page
    assert otp.provisioning_uri(secret, MARIA).replace("&", "&amp;") in page
    with caplog.at_level(logging.INFO, logger=SECURITY_LOGGER):
        response = client.post(TWO_FACTOR_URL, {"code": code_for(secret, clock)})

    assert response.status_code == 200
    assert "Your recovery codes" in response.content.decode()
    reviewer.refresh_from_db()
    assert reviewer.has_two_factor
    assert reviewer.two_factor_enabled_at == clock.now
    assert secret not in reviewer.two_factor_secret  # stored encrypted
    assert otp.unseal(reviewer.two_factor_secret) == secret
    assert "two-factor login enabled" in caplog.text
    # The secret is never shown again, and the session that enrolled stays signed in.
    after = client.get(TWO_FACTOR_URL).content.decode()
    assert otp.grouped(secret) not in after
    assert secret not in after
    assert "Two-factor login is on" in after
    assert logged_in_user_id(client) == str(reviewer.pk)
    assert two_factor.NEW_SECRET_KEY not in client.session


def test_the_secret_offered_stays_the_same_until_confirmed(client, reviewer, clock):
    client.force_login(reviewer)

    client.get(TWO_FACTOR_URL)
    first = client.session[two_factor.NEW_SECRET_KEY]
    page = client.get(TWO_FACTOR_URL).content.decode()

    assert client.session[two_factor.NEW_SECRET_KEY] == first
    assert otp.grouped(first) in page


def test_a_code_with_spaces_is_accepted(client, reviewer, clock):
    client.force_login(reviewer)
    client.get(TWO_FACTOR_URL)
    code = code_for(client.session[two_factor.NEW_SECRET_KEY], clock)

    client.post(TWO_FACTOR_URL, {"code": f" {code[:3]} {code[3:]} "})

    reviewer.refresh_from_db()
    assert reviewer.has_two_factor


def test_enrolment_refuses_a_code_that_is_not_the_apps(client, reviewer, clock):
    client.force_login(reviewer)
    client.get(TWO_FACTOR_URL)
    secret = client.session[two_factor.NEW_SECRET_KEY]

    response = client.post(TWO_FACTOR_URL, {"code": code_for(secret, clock, steps=3)})

    assert response.status_code == 200
    assert "not the one your app shows now" in response.content.decode()
    reviewer.refresh_from_db()
    assert not reviewer.has_two_factor
    assert client.session[two_factor.NEW_SECRET_KEY] == secret


@pytest.mark.parametrize(
    "code", ["12345", "1234567", "abcdef", "12345\x00", "١٢٣٤٥٦", "9" * 100_000]
)
def test_a_code_that_is_not_six_digits_is_a_form_error(client, reviewer, clock, code):
    client.force_login(reviewer)

    response = client.post(TWO_FACTOR_URL, {"code": code})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    reviewer.refresh_from_db()
    assert not reviewer.has_two_factor


def test_enrolment_needs_a_login(client, db):
    response = client.get(TWO_FACTOR_URL)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


def test_profile_links_to_two_factor_login(client, reviewer, clock):
    client.force_login(reviewer)

    page = client.get("/accounts/profile/").content.decode()

    assert 'href="/accounts/two-factor/"' in page
    assert "Set up two-factor login" in page


# Logging in with a code


def test_the_password_alone_does_not_log_in_a_user_with_two_factor(client, maria_secret):
    response = log_in(client, MARIA)

    assert response.status_code == 302
    assert response.url == VERIFY_URL
    assert logged_in_user_id(client) is None
    assert LoginAttempt.objects.get().outcome == LoginAttempt.Outcome.PASSWORD_OK
    assert "Enter your code" in client.get(VERIFY_URL).content.decode()


def test_password_and_current_code_log_in_with_a_new_session_key(
    client, reviewer, maria_secret, clock
):
    log_in(client, MARIA)
    key_before = client.session.session_key

    response = verify(client, code_for(maria_secret, clock))

    assert response.status_code == 302
    assert response.url == "/"
    assert logged_in_user_id(client) == str(reviewer.pk)
    assert client.session.session_key != key_before
    assert two_factor.PENDING_LOGIN_KEY not in client.session
    assert client.get("/accounts/profile/").status_code == 200  # stays signed in
    outcomes = list(LoginAttempt.objects.order_by("at", "pk").values_list("outcome", flat=True))
    assert outcomes == ["password", "succeeded"]


def test_a_session_signed_in_as_someone_else_switches_to_the_user_with_the_code(
    client, observer, reviewer, maria_secret, clock
):
    client.force_login(observer)
    log_in(client, MARIA)

    assert logged_in_user_id(client) == str(observer.pk)  # until the code
    verify(client, code_for(maria_secret, clock))
    assert logged_in_user_id(client) == str(reviewer.pk)
    assert client.get("/accounts/profile/").status_code == 200


def test_the_page_asked_for_before_logging_in_comes_after_the_code(client, maria_secret, clock):
    client.post(LOGIN_URL, {"username": MARIA, "password": PASSWORD, "next": "/plans/"})

    response = verify(client, code_for(maria_secret, clock))

    assert response.url == "/plans/"


def test_state_users_land_on_their_workspace_after_the_code(client, focal_point, clock):
    secret = enrol(focal_point, clock)
    log_in(client, focal_point.email)

    response = verify(client, code_for(secret, clock))

    assert response.url == "/national/"


def test_a_wrong_code_is_refused_recorded_and_logged(client, maria_secret, clock, caplog):
    log_in(client, MARIA)
    wrong = code_for(maria_secret, clock, steps=5)

    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        response = verify(client, wrong)

    assert response.status_code == 200
    assert "That code is not correct" in response.content.decode()
    assert f'value="{wrong}"' not in response.content.decode()
    assert logged_in_user_id(client) is None
    attempt = LoginAttempt.objects.filter(outcome=LoginAttempt.Outcome.BAD_CODE).get()
    assert (attempt.email, attempt.ip) == (MARIA, "127.0.0.1")
    (record,) = [r for r in caplog.records if r.name == SECURITY_LOGGER]
    assert "login code failed" in record.getMessage()
    assert MARIA in record.getMessage()
    assert wrong not in caplog.text


def test_wrong_codes_are_throttled_like_wrong_passwords(client, maria_secret, clock, caplog):
    log_in(client, MARIA)
    for _ in range(5):
        assert verify(client, "000000").status_code == 200

    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        refused = verify(client, code_for(maria_secret, clock))
    password_again = log_in(Client(), MARIA)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 14 * 60
    assert "Too many failed attempts. Try again in 15 minutes." in refused.content.decode()
    assert logged_in_user_id(client) is None
    assert "login code throttled" in caplog.text
    assert password_again.status_code == 429


def test_a_right_password_does_not_reset_the_count_of_wrong_codes(client, maria_secret, clock):
    log_in(client, MARIA)
    for _ in range(4):
        verify(client, "000000")

    log_in(client, MARIA)
    verify(client, "000000")

    assert verify(client, code_for(maria_secret, clock)).status_code == 429


def test_wrong_codes_count_towards_the_limit_per_ip_address(client, maria_secret, clock):
    LoginAttempt.objects.bulk_create(
        LoginAttempt(email=f"guess{n}@example.org", ip="127.0.0.1", outcome="bad_code")
        for n in range(20)
    )

    assert log_in(client, MARIA).status_code == 429


def test_a_code_cannot_be_used_twice(client, maria_secret, clock):
    code = code_for(maria_secret, clock)
    log_in(client, MARIA)
    verify(client, code)
    client.post("/accounts/logout/")

    log_in(client, MARIA)
    response = verify(client, code)

    assert response.status_code == 200
    assert "or was used already" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_an_earlier_code_is_refused_once_a_later_one_was_used(client, maria_secret, clock):
    earlier, later = code_for(maria_secret, clock), code_for(maria_secret, clock, steps=1)
    log_in(client, MARIA)
    verify(client, later)
    client.post("/accounts/logout/")

    log_in(client, MARIA)

    assert verify(client, earlier).status_code == 200
    assert logged_in_user_id(client) is None


def test_the_same_code_in_two_racing_requests_is_accepted_once(reviewer, maria_secret, clock):
    first, second = User.objects.get(pk=reviewer.pk), User.objects.get(pk=reviewer.pk)
    code = code_for(maria_secret, clock)

    assert two_factor.code_accept(user=first, code=code)
    assert not two_factor.code_accept(user=second, code=code)  # read before the first claimed


@pytest.mark.parametrize(("seconds", "signed_in"), [(299, True), (300, False)])
def test_the_code_must_come_within_five_minutes_of_the_password(
    client, reviewer, maria_secret, clock, seconds, signed_in
):
    log_in(client, MARIA)
    clock.advance(seconds)

    response = verify(client, code_for(maria_secret, clock))

    assert (logged_in_user_id(client) == str(reviewer.pk)) is signed_in
    if not signed_in:
        assert response.url == LOGIN_URL
        page = client.get(LOGIN_URL).content.decode()
        assert "The code was not entered within 5 minutes" in page
        assert verify(client, code_for(maria_secret, clock)).url == LOGIN_URL


def test_the_code_step_without_a_password_sends_to_log_in(client, maria_secret, clock):
    response = verify(client, code_for(maria_secret, clock))

    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert logged_in_user_id(client) is None
    assert not LoginAttempt.objects.exists()


def test_a_user_deactivated_after_the_password_cannot_finish(client, reviewer, maria_secret, clock):
    log_in(client, MARIA)
    User.objects.filter(pk=reviewer.pk).update(is_active=False)

    response = verify(client, code_for(maria_secret, clock))

    assert response.url == LOGIN_URL
    assert logged_in_user_id(client) is None


def test_the_code_step_without_csrf_token_is_forbidden(reviewer, maria_secret, clock):
    client = Client(enforce_csrf_checks=True)
    log_in(client, MARIA)  # refused too: no token

    response = verify(client, code_for(maria_secret, clock))

    assert response.status_code == 403
    assert logged_in_user_id(client) is None


def test_code_page_queries(client, maria_secret, clock, django_assert_num_queries):
    log_in(client, MARIA)

    # session, the pending user
    with django_assert_num_queries(2):
        assert client.get(VERIFY_URL).status_code == 200


# Who must use it


@pytest.mark.parametrize("path", ["/", "/plans/", "/reports/", "/accounts/profile/"])
def test_a_required_role_without_two_factor_is_sent_to_set_it_up(client, reviewer, required, path):
    client.force_login(reviewer)

    response = client.get(path)

    assert response.status_code == 302
    assert response.url == TWO_FACTOR_URL


def test_the_set_up_page_says_why(client, reviewer, required):
    client.force_login(reviewer)

    page = client.get(TWO_FACTOR_URL).content.decode()

    assert "Your role (ACWC reviewer) must use two-factor login." in page


def test_a_required_role_may_still_log_out_and_fetch_static_files(client, reviewer, required):
    client.force_login(reviewer)

    static = client.get("/static/css/site.css")
    logout = client.post("/accounts/logout/")

    assert static.status_code == 404  # not served by the test client, but not redirected
    assert logout.url == "/"
    assert logged_in_user_id(client) is None


def test_the_secretariat_must_set_it_up_before_the_admin_site(client, secretariat, required):
    client.force_login(secretariat)

    assert client.get("/admin/").url == TWO_FACTOR_URL


def test_a_required_role_goes_on_once_it_is_set_up(client, reviewer, required, clock):
    client.force_login(reviewer)
    client.get(TWO_FACTOR_URL)
    secret = client.session[two_factor.NEW_SECRET_KEY]

    response = client.post(TWO_FACTOR_URL, {"code": code_for(secret, clock)})

    assert '<a href="/">I have saved my codes: continue</a>' in response.content.decode()
    assert client.get("/reports/").status_code == 200


def test_roles_not_listed_are_not_sent_to_set_it_up(client, focal_point, observer, required):
    for user in (focal_point, observer):
        client.force_login(user)
        assert client.get("/accounts/profile/").status_code == 200


def test_nobody_must_set_it_up_when_no_role_is_listed(client, reviewer, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = []
    client.force_login(reviewer)

    assert client.get("/accounts/profile/").status_code == 200


def test_a_session_that_skipped_the_code_is_ended(client, reviewer, maria_secret):
    client.force_login(reviewer)  # e.g. opened before two-factor login was turned on elsewhere

    response = client.get("/accounts/profile/")

    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)
    assert logged_in_user_id(client) is None


def test_the_middleware_adds_no_query(client, reviewer, maria_secret, settings):
    signed_in_with_code(client, reviewer)
    with_it = count_queries(client, "/accounts/profile/")

    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("TwoFactorMiddleware")]
    without_it = Client()  # a new client loads the middleware anew
    signed_in_with_code(without_it, reviewer)

    assert count_queries(without_it, "/accounts/profile/") == with_it


def test_production_requires_it_of_reviewers_and_the_secretariat(monkeypatch):
    loaded = load_settings(monkeypatch, DEBUG="0", SECRET_KEY="x" * 50)

    assert loaded["TWO_FACTOR_REQUIRED_ROLES"] == ["reviewer", "secretariat"]


def test_the_embedded_default_requires_it_of_nobody(monkeypatch):
    loaded = load_settings(monkeypatch, DEBUG="1")

    assert loaded["TWO_FACTOR_REQUIRED_ROLES"] == []


@pytest.mark.parametrize(
    ("value", "roles"),
    [
        ("none", []),
        ("observer", ["observer"]),
        (" coordinator , focal_point ", ["coordinator", "focal_point"]),
    ],
)
def test_the_required_roles_come_from_the_environment(monkeypatch, value, roles):
    loaded = load_settings(
        monkeypatch, DEBUG="0", SECRET_KEY="x" * 50, TWO_FACTOR_REQUIRED_ROLES=value
    )

    assert loaded["TWO_FACTOR_REQUIRED_ROLES"] == roles


def test_an_unknown_role_stops_the_settings(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="TWO_FACTOR_REQUIRED_ROLES.*admin"):
        load_settings(monkeypatch, DEBUG="1", TWO_FACTOR_REQUIRED_ROLES="reviewer,admin")


def test_the_settings_know_every_role():
    assert set(project_settings.ROLE_NAMES) == set(Role.values)


# Turning it off, and resets


def test_user_turns_two_factor_off_with_password_and_code(client, reviewer, maria_secret, clock):
    signed_in_with_code(client, reviewer)

    response = client.post(
        DISABLE_URL, {"password": PASSWORD, "code": code_for(maria_secret, clock)}
    )

    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert not reviewer.has_two_factor
    assert reviewer.two_factor_enabled_at is None
    assert log_in(Client(), MARIA).url == "/"  # the password alone logs in again


@pytest.mark.parametrize("wrong", ["password", "code"])
def test_turning_it_off_needs_the_right_password_and_code(
    client, reviewer, maria_secret, clock, wrong
):
    signed_in_with_code(client, reviewer)
    form = {"password": PASSWORD, "code": code_for(maria_secret, clock)}
    form[wrong] = {"password": "not the password", "code": "000000"}[wrong]

    response = client.post(DISABLE_URL, form)

    assert response.status_code == 200
    assert "is not correct" in response.content.decode()
    reviewer.refresh_from_db()
    assert reviewer.has_two_factor
    bad_codes = LoginAttempt.objects.filter(outcome=LoginAttempt.Outcome.BAD_CODE).count()
    assert bad_codes == (1 if wrong == "code" else 0)


def test_wrong_codes_to_turn_it_off_are_throttled(client, reviewer, maria_secret, clock):
    signed_in_with_code(client, reviewer)
    for _ in range(5):
        client.post(DISABLE_URL, {"password": PASSWORD, "code": "000000"})

    response = client.post(
        DISABLE_URL, {"password": PASSWORD, "code": code_for(maria_secret, clock)}
    )

    assert response.status_code == 429
    reviewer.refresh_from_db()
    assert reviewer.has_two_factor


def test_wrong_passwords_to_turn_it_off_are_recorded_and_throttled(
    client, reviewer, maria_secret, clock
):
    signed_in_with_code(client, reviewer)
    for _ in range(5):
        client.post(DISABLE_URL, {"password": "a guess", "code": code_for(maria_secret, clock)})

    response = client.post(
        DISABLE_URL, {"password": PASSWORD, "code": code_for(maria_secret, clock)}
    )

    assert response.status_code == 429
    reviewer.refresh_from_db()
    assert reviewer.has_two_factor
    failed = LoginAttempt.objects.filter(email=MARIA, outcome=LoginAttempt.Outcome.FAILED)
    assert failed.count() == 5


def test_a_required_role_cannot_turn_it_off(client, reviewer, maria_secret, clock, required):
    signed_in_with_code(client, reviewer)

    page = client.get(TWO_FACTOR_URL).content.decode()
    response = client.post(
        DISABLE_URL, {"password": PASSWORD, "code": code_for(maria_secret, clock)}
    )

    assert "Turn two-factor login off" not in page
    assert "ask the ASEAN Secretariat to reset it" in page
    assert response.status_code == 403
    reviewer.refresh_from_db()
    assert reviewer.has_two_factor
    with pytest.raises(PermissionDenied):
        two_factor.two_factor_disable(user=reviewer)


def test_turning_it_off_needs_a_post(client, reviewer, maria_secret):
    signed_in_with_code(client, reviewer)

    assert client.get(DISABLE_URL).status_code == 405


def test_secretariat_resets_a_lost_phone_in_the_admin_site(
    client, reviewer, maria_secret, secretariat, caplog
):
    signed_in_with_code(client, secretariat)

    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        response = client.post(
            "/admin/accounts/user/",
            {"action": "reset_two_factor", "_selected_action": [reviewer.pk]},
        )

    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert not reviewer.has_two_factor
    assert (reviewer.two_factor_enabled_at, reviewer.two_factor_last_step) == (None, 0)
    assert "two-factor login reset email='maria@example.org' by='budi@example.org'" in caplog.text


def test_admin_user_page_shows_whether_two_factor_is_on(
    client, reviewer, maria_secret, secretariat
):
    signed_in_with_code(client, secretariat)

    page = client.get(f"/admin/accounts/user/{reviewer.pk}/change/").content.decode()

    assert "On since" in page
    assert maria_secret not in page
    assert reviewer.two_factor_secret not in page


def test_the_admin_site_logs_in_through_the_sites_login_with_the_code(client, secretariat, clock):
    secret = enrol(secretariat, clock)

    to_login = client.get("/admin/login/?next=/admin/")
    client.post(to_login.url, {"username": "budi@example.org", "password": PASSWORD})
    after_code = verify(client, code_for(secret, clock))

    assert to_login.url.startswith(LOGIN_URL + "?next=/admin/login/")
    assert after_code.url == "/admin/login/?next=/admin/"
    assert client.get(after_code.url).url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_page_takes_no_password(client, secretariat):
    response = client.post("/admin/login/", {"username": "budi@example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize("enrolled", [False, True])
def test_two_factor_page_queries(client, reviewer, clock, enrolled, django_assert_num_queries):
    if enrolled:
        enrol(reviewer, clock)
    signed_in_with_code(client, reviewer)

    # session, user, the header's unread count; enrolled: the count of unused recovery codes;
    # before enrolment, the secret offered is kept in the session: savepoint, update, release
    with django_assert_num_queries(4 if enrolled else 6):
        assert client.get(TWO_FACTOR_URL).status_code == 200
