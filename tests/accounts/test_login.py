import datetime
import io
import logging

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone

from accounts.models import LoginAttempt, Role
from accounts.services import login_attempts_prune
from accounts.views import landing_url
from outbox.services import registered_task
from tests import factories
from tests.conftest import PASSWORD
from tests.query_counts import assert_flat

from .conftest import LOGIN_URL, log_in, logged_in_user_id

SECURITY_LOGGER = "rpa_tracker.security"
WRONG = "not the password"


def test_login_with_mixed_case_email_works(client, reviewer):
    response = log_in(client, "MaRiA@Example.ORG")

    assert response.status_code == 302
    assert response.url == "/"
    assert logged_in_user_id(client) == str(reviewer.pk)
    attempt = LoginAttempt.objects.get()
    assert (attempt.email, attempt.outcome) == ("maria@example.org", "succeeded")


def test_login_page_labels_email_and_password(client, db):
    page = client.get(LOGIN_URL).content.decode()

    assert '<label for="id_username">E-mail address' in page
    assert '<label for="id_password">Password' in page
    assert 'type="email"' in page


def test_wrong_password_shows_error_and_records_failed_attempt(client, reviewer):
    response = log_in(client, "maria@example.org", WRONG)

    assert response.status_code == 200
    assert "The e-mail address or password is not correct." in response.content.decode()
    assert logged_in_user_id(client) is None
    attempt = LoginAttempt.objects.get()
    assert (attempt.email, attempt.ip, attempt.outcome) == (
        "maria@example.org",
        "127.0.0.1",
        "failed",
    )


def test_failed_login_is_logged_without_the_password(client, reviewer, caplog):
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        log_in(client, "maria@example.org", "s3cret-guess")

    (record,) = [r for r in caplog.records if r.name == SECURITY_LOGGER]
    assert "maria@example.org" in record.getMessage()
    assert "127.0.0.1" in record.getMessage()
    assert "s3cret-guess" not in caplog.text


def test_sixth_attempt_after_five_failures_is_refused_even_with_right_password(
    client, reviewer, caplog
):
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        for _ in range(5):
            assert log_in(client, "maria@example.org", WRONG).status_code == 200
        assert caplog.text.count("login failed") == 5
        caplog.clear()
        response = log_in(client, "maria@example.org", PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 14 * 60
    assert "Too many failed attempts. Try again in 15 minutes." in response.content.decode()
    assert logged_in_user_id(client) is None
    (record,) = [r for r in caplog.records if r.name == SECURITY_LOGGER]
    assert "throttled" in record.getMessage()
    assert "maria@example.org" in record.getMessage()
    assert "127.0.0.1" in record.getMessage()
    assert PASSWORD not in caplog.text
    assert LoginAttempt.objects.filter(outcome="throttled").count() == 1


def test_throttled_attempts_do_not_extend_the_block(client, reviewer):
    for _ in range(5):
        log_in(client, "maria@example.org", WRONG)
    for _ in range(3):
        assert log_in(client, "maria@example.org", PASSWORD).status_code == 429
    LoginAttempt.objects.filter(outcome="failed").update(
        at=timezone.now() - datetime.timedelta(minutes=16)
    )

    assert log_in(client, "maria@example.org", PASSWORD).status_code == 302


def test_login_works_again_once_the_window_has_passed(client, reviewer):
    for _ in range(5):
        log_in(client, "maria@example.org", WRONG)
    assert log_in(client, "maria@example.org", PASSWORD).status_code == 429

    # The oldest failure leaves the 15-minute window: four remain, below the limit.
    oldest = LoginAttempt.objects.filter(outcome="failed").order_by("at").first()
    oldest.at = timezone.now() - datetime.timedelta(minutes=15, seconds=1)
    oldest.save()

    assert log_in(client, "maria@example.org", PASSWORD).status_code == 302
    assert logged_in_user_id(client) == str(reviewer.pk)


def test_wait_shown_counts_down_with_the_window(client, reviewer):
    for _ in range(5):
        log_in(client, "maria@example.org", WRONG)
    LoginAttempt.objects.update(at=timezone.now() - datetime.timedelta(minutes=12, seconds=30))

    response = log_in(client, "maria@example.org", PASSWORD)

    assert response.status_code == 429
    assert "Try again in 3 minutes." in response.content.decode()


def test_unknown_address_is_throttled_like_a_real_one(client, db):
    for _ in range(5):
        log_in(client, "nobody@example.org", WRONG)

    assert log_in(client, "nobody@example.org", WRONG).status_code == 429


def test_successful_login_starts_the_count_afresh(client, reviewer):
    for _ in range(4):
        log_in(client, "maria@example.org", WRONG)
    log_in(client, "maria@example.org", PASSWORD)
    client.post("/accounts/logout/")
    log_in(client, "maria@example.org", WRONG)

    assert log_in(client, "maria@example.org", PASSWORD).status_code == 302


def test_many_failures_from_one_address_throttle_every_account_from_it(client, reviewer, caplog):
    LoginAttempt.objects.bulk_create(
        LoginAttempt(email=f"guess{n}@example.org", ip="127.0.0.1", outcome="failed")
        for n in range(20)
    )

    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        refused = log_in(client, "maria@example.org", PASSWORD)
    from_elsewhere = log_in(Client(), "maria@example.org", PASSWORD, REMOTE_ADDR="203.0.113.7")

    assert refused.status_code == 429
    assert "throttled" in caplog.text
    assert from_elsewhere.status_code == 302


def test_nineteen_failures_from_one_address_do_not_throttle(client, reviewer):
    LoginAttempt.objects.bulk_create(
        LoginAttempt(email=f"guess{n}@example.org", ip="127.0.0.1", outcome="failed")
        for n in range(19)
    )

    assert log_in(client, "maria@example.org", PASSWORD).status_code == 302


def test_last_minute_of_the_wait_is_singular(client, reviewer):
    for _ in range(5):
        log_in(client, "maria@example.org", WRONG)
    LoginAttempt.objects.update(at=timezone.now() - datetime.timedelta(minutes=14, seconds=30))

    response = log_in(client, "maria@example.org", PASSWORD)

    assert "Try again in 1 minute." in response.content.decode()


@override_settings(LOGIN_FAILURE_LIMIT=2, LOGIN_FAILURE_WINDOW_MINUTES=60)
def test_limit_and_window_come_from_settings(client, reviewer):
    log_in(client, "maria@example.org", WRONG)
    log_in(client, "maria@example.org", WRONG)

    response = log_in(client, "maria@example.org", PASSWORD)

    assert response.status_code == 429
    assert "Try again in 60 minutes." in response.content.decode()


def test_inactive_user_cannot_log_in(client, reviewer):
    reviewer.is_active = False
    reviewer.save()

    response = log_in(client, "maria@example.org", PASSWORD)

    assert response.status_code == 200
    assert logged_in_user_id(client) is None


def _old_and_recent_attempts():
    now = timezone.now()
    LoginAttempt.objects.bulk_create(
        [
            LoginAttempt(
                email="a@example.org", outcome="failed", at=now - datetime.timedelta(days=91)
            ),
            LoginAttempt(
                email="b@example.org", outcome="failed", at=now - datetime.timedelta(days=89)
            ),
            LoginAttempt(email="c@example.org", outcome="failed", at=now),
        ]
    )


def test_prune_deletes_only_old_attempts(db):
    _old_and_recent_attempts()

    assert login_attempts_prune() == 1
    assert set(LoginAttempt.objects.values_list("email", flat=True)) == {
        "b@example.org",
        "c@example.org",
    }


def test_the_scheduled_job_prunes_old_attempts_and_keeps_recent_ones(db, settings):
    _old_and_recent_attempts()
    entry = settings.CELERY_BEAT_SCHEDULE["login-attempts-prune"]

    registered_task(entry["task"]).delay()

    assert set(LoginAttempt.objects.values_list("email", flat=True)) == {
        "b@example.org",
        "c@example.org",
    }


@override_settings(LOGIN_ATTEMPT_RETENTION_DAYS=30)
def test_the_prune_command_keeps_the_retention_setting(db):
    _old_and_recent_attempts()
    out = io.StringIO()

    call_command("prune_login_attempts", stdout=out)

    assert "Deleted 2 sign-in attempt(s) older than 30 days." in out.getvalue()
    assert list(LoginAttempt.objects.values_list("email", flat=True)) == ["c@example.org"]


def test_login_redirects_to_a_safe_next(client, reviewer):
    response = client.post(
        LOGIN_URL, {"username": "maria@example.org", "password": PASSWORD, "next": "/plans/"}
    )

    assert response.url == "/plans/"


def test_login_ignores_a_next_on_another_site(client, reviewer):
    response = client.post(
        LOGIN_URL,
        {"username": "maria@example.org", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response.url == "/"


def _workspace(request):
    raise AssertionError("not called")


def _home(request):
    raise AssertionError("not called")


urlpatterns = [
    path("", _home, name="home"),
    path("national/", (([path("", _workspace, name="workspace")], "national", "national"))),
]


@override_settings(ROOT_URLCONF=__name__)
def test_state_users_land_on_their_workspace_once_it_exists(focal_point, coordinator, reviewer):
    assert landing_url(focal_point) == "/national/"
    assert landing_url(coordinator) == "/national/"
    assert landing_url(reviewer) == "/"


def test_everyone_lands_home_while_there_is_no_workspace(focal_point, settings):
    settings.ROOT_URLCONF = "tests.accounts.urls_without_workspace"

    assert landing_url(focal_point) == "/"


def test_logout_needs_post(client, reviewer):
    client.force_login(reviewer)

    assert client.get("/accounts/logout/").status_code == 405
    assert logged_in_user_id(client) == str(reviewer.pk)

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert logged_in_user_id(client) is None


def test_login_without_csrf_token_is_forbidden(reviewer):
    client = Client(enforce_csrf_checks=True)

    response = log_in(client, "maria@example.org", PASSWORD)

    assert response.status_code == 403
    assert logged_in_user_id(client) is None


def test_nul_byte_in_email_is_a_form_error(client, reviewer):
    response = log_in(client, "maria\x00@example.org", PASSWORD)

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert logged_in_user_id(client) is None


def test_a_megabyte_of_email_is_a_form_error(client, db):
    response = log_in(client, "a" * 1_000_000 + "@example.org", PASSWORD)

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not LoginAttempt.objects.exists()


# Demo accounts


def _make_demo_accounts(cambodia, count):
    for n in range(count):
        factories.make_user(Role.FOCAL_POINT, cambodia, email=f"focal{n}@demo.rpa-tracker.invalid")


DEMO_HEADING = "Demo accounts (embedded default only)"


@override_settings(DEBUG=True, DEMO_PASSWORD="demo-password-2026")
def test_demo_accounts_are_listed_with_debug_on(client, cambodia, reviewer):
    _make_demo_accounts(cambodia, 2)

    page = client.get(LOGIN_URL).content.decode()

    assert DEMO_HEADING in page
    assert "focal0@demo.rpa-tracker.invalid" in page
    assert "demo-password-2026" in page
    assert "maria@example.org" not in page


@override_settings(DEBUG=False)
def test_demo_accounts_are_never_listed_with_debug_off(client, cambodia):
    _make_demo_accounts(cambodia, 2)

    page = client.get(LOGIN_URL).content.decode()

    assert DEMO_HEADING not in page
    assert "demo.rpa-tracker.invalid" not in page


@override_settings(DEBUG=True, DEMO_PASSWORD="demo-password-2026")
def test_no_demo_box_without_demo_accounts(client, reviewer):
    page = client.get(LOGIN_URL).content.decode()

    assert DEMO_HEADING not in page


def test_login_page_makes_no_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(LOGIN_URL).status_code == 200


@override_settings(DEBUG=True, DEMO_PASSWORD="demo-password-2026")
def test_login_page_queries_do_not_grow_with_demo_accounts(client, cambodia):
    _make_demo_accounts(cambodia, 1)

    def more_demo_accounts():
        for n in range(1, 6):
            email = f"focal{n}@demo.rpa-tracker.invalid"
            factories.make_user(Role.FOCAL_POINT, cambodia, email=email)

    assert_flat(client, "accounts:login", LOGIN_URL, more_demo_accounts)

    page = client.get(LOGIN_URL).content.decode()
    assert page.count("@demo.rpa-tracker.invalid") == 6
    assert get_user_model().objects.count() == 6
