"""Settings come from the environment, refuse bad values and pass Django's deploy checks."""

import datetime
import json
import os
import re
import runpy
import secrets
import subprocess
import sys
import time
import zoneinfo

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.models import Role
from rpa_tracker.middleware import LOGIN_TIME_SESSION_KEY, UserTimezoneMiddleware

from . import factories
from .conftest import PASSWORD

SETTINGS_FILE = settings.BASE_DIR / "rpa_tracker" / "settings.py"
# Every variable settings.py reads, e.g. env_bool("DEBUG", False) -> DEBUG.
ENV_READ = re.compile(r"\benv(?:_bool|_int|_list)?\(\s*\"([A-Z][A-Z0-9_]*)\"")


def names_read_by_settings():
    return set(ENV_READ.findall(SETTINGS_FILE.read_text()))


def clean_environ():
    """The process environment without any variable the settings read."""
    # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for this process only.
    names = names_read_by_settings() | {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {key: value for key, value in os.environ.items() if key not in names}


def production_environ(tmp_path, **overrides):
    environ = clean_environ()
    environ.update(
        DJANGO_SETTINGS_MODULE="rpa_tracker.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="rpa.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        SITE_URL="https://rpa.example.org",
    )
    environ.update(overrides)
    return environ


def load_settings(monkeypatch, **environ):
    """Run settings.py afresh with exactly these variables; return its globals."""
    for name in names_read_by_settings():
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


# `manage.py check --deploy` under the production environment, and under it with one variable
# changed; each case's outcome is asserted by its own test below.
DEPLOY_CASES = {
    "production": {},
    "no https site url": {"SITE_URL": ""},
    "session cookie not secure": {"SESSION_COOKIE_SECURE": "0"},
}


@pytest.fixture(scope="module")
def deploy_checks(tmp_path_factory):
    """{case: (exit status, stdout, stderr)} of each case's check, all run by one process that
    starts Django with the production environment (tests.deploy_checks)."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.deploy_checks"],
        cwd=settings.BASE_DIR,
        env=production_environ(tmp_path_factory.mktemp("deploy")),
        input=json.dumps(DEPLOY_CASES),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_deploy_checks_pass_with_production_settings(deploy_checks):
    returncode, stdout, stderr = deploy_checks["production"]

    assert returncode == 0, stdout + stderr
    assert "no issues" in stdout


def test_deploy_checks_fail_without_an_https_site_url(deploy_checks):
    returncode, stdout, stderr = deploy_checks["no https site url"]

    assert returncode != 0
    assert "rpa_tracker.W001" in stdout + stderr


def test_deploy_checks_fail_when_session_cookie_is_not_secure(deploy_checks):
    returncode, stdout, stderr = deploy_checks["session cookie not secure"]

    assert returncode != 0
    assert "security.W012" in stdout + stderr


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_settings(monkeypatch, DEBUG="0", DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")


def test_embedded_default_runs_without_secret_key_when_debug_is_on(monkeypatch):
    loaded = load_settings(monkeypatch, DEBUG="1")

    assert loaded["SECRET_KEY"]
    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["DATABASES"]["default"]["NAME"] == str(settings.BASE_DIR / "var" / "db.sqlite3")


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEBUG", "maybe"), ("SESSION_COOKIE_SECURE", "2"), ("SECURE_SSL_REDIRECT", "yes please")],
)
def test_settings_refuse_a_malformed_boolean_naming_the_variable(monkeypatch, name, value):
    environ = {"DEBUG": "1", name: value}

    with pytest.raises(ImproperlyConfigured, match=rf"{name} must be true or false.*{value}"):
        load_settings(monkeypatch, **environ)


def test_settings_refuse_a_malformed_number(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SESSION_ABSOLUTE_TIMEOUT"):
        load_settings(monkeypatch, DEBUG="1", SESSION_ABSOLUTE_TIMEOUT="12h")


def test_database_url_is_honoured(monkeypatch):
    loaded = load_settings(
        monkeypatch,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL="postgres://rpa:s3cret@db.example.org:6543/rpa_tracker",
    )

    database = loaded["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == (
        "rpa_tracker",
        "rpa",
        "s3cret",
    )
    assert (database["HOST"], database["PORT"]) == ("db.example.org", 6543)


def test_production_settings_make_cookies_secure_and_redirect_to_https(monkeypatch):
    loaded = load_settings(monkeypatch, DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50))

    assert loaded["SESSION_COOKIE_SECURE"] and loaded["CSRF_COOKIE_SECURE"]
    assert loaded["SESSION_COOKIE_HTTPONLY"]
    assert loaded["SECURE_SSL_REDIRECT"]
    assert loaded["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert "SECURE_PROXY_SSL_HEADER" not in loaded


def test_proxy_ssl_header_is_trusted_only_when_asked(monkeypatch):
    loaded = load_settings(
        monkeypatch, DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), SECURE_PROXY_SSL_HEADER="1"
    )

    assert loaded["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def assert_strict_policy(response):
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/login/", "/no-such-page/"])
def test_every_page_carries_a_strict_content_security_policy(client, db, path):
    assert_strict_policy(client.get(path))


def test_a_refused_post_carries_the_content_security_policy(db):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x"})

    assert response.status_code == 403
    assert_strict_policy(response)


def test_times_are_stored_in_utc(db):
    assert settings.USE_TZ
    user = factories.make_user(Role.OBSERVER)
    yangon_noon = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Yangon"))
    user.date_joined = yangon_noon
    user.save(update_fields=["date_joined"])

    with connection.cursor() as cursor:
        cursor.execute("SELECT date_joined FROM accounts_user WHERE id = %s", [user.pk])
        (stored,) = cursor.fetchone()

    assert str(stored).startswith("2026-03-01 05:30:00")


@pytest.fixture
def reset_timezone():
    yield
    timezone.deactivate()


def localtime_during_request(user):
    """The wall-clock time a request by `user` shows for 2026-03-01 00:00 UTC."""
    shown = {}
    instant = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)

    def view(request):
        shown["time"] = timezone.localtime(instant).isoformat()
        return HttpResponse()

    request = RequestFactory().get("/")
    request.user = user
    UserTimezoneMiddleware(view)(request)
    return shown["time"]


def test_user_sees_times_in_their_own_zone(db, reset_timezone):
    user = factories.make_user(Role.REVIEWER, time_zone="Asia/Yangon")

    assert localtime_during_request(user) == "2026-03-01T06:30:00+06:30"


def test_user_without_a_zone_sees_the_site_zone(db, reset_timezone):
    timezone.activate(zoneinfo.ZoneInfo("Asia/Yangon"))  # left over from an earlier request
    user = factories.make_user(Role.REVIEWER)

    site_zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    expected = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC).astimezone(site_zone)
    assert localtime_during_request(user) == expected.isoformat()


def test_unknown_zone_falls_back_to_the_site_zone(db, reset_timezone):
    user = factories.make_user(Role.REVIEWER, time_zone="Mars/Olympus_Mons")

    site_zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    expected = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC).astimezone(site_zone)
    assert localtime_during_request(user) == expected.isoformat()


def signed_in(client):
    return "_auth_user_id" in client.session


def test_login_records_when_the_session_started(client, reviewer):
    before = int(time.time())

    assert client.login(email=reviewer.email, password=PASSWORD)

    assert before <= client.session[LOGIN_TIME_SESSION_KEY] <= int(time.time())


def age_session(client, seconds):
    """Pretend the session's login happened `seconds` earlier."""
    session = client.session
    session[LOGIN_TIME_SESSION_KEY] -= seconds
    session.save()


def test_session_ends_after_the_absolute_timeout_however_active(client, reviewer):
    client.force_login(reviewer)
    client.get("/")
    assert signed_in(client)

    age_session(client, settings.SESSION_ABSOLUTE_TIMEOUT + 1)
    response = client.get("/")

    assert response.status_code == 200
    assert not signed_in(client)
    assert not response.wsgi_request.user.is_authenticated


def test_session_continues_within_the_absolute_timeout(client, reviewer):
    client.force_login(reviewer)
    client.get("/")

    age_session(client, settings.SESSION_ABSOLUTE_TIMEOUT - 60)
    response = client.get("/")

    assert signed_in(client)
    assert response.wsgi_request.user == reviewer


def test_a_fresh_login_restarts_the_absolute_timeout(client, reviewer):
    client.login(email=reviewer.email, password=PASSWORD)
    age_session(client, settings.SESSION_ABSOLUTE_TIMEOUT - 60)

    client.login(email=reviewer.email, password=PASSWORD)
    age_session(client, 120)
    client.get("/")

    assert signed_in(client)
