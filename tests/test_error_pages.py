"""Error pages are pages of the site: its header, what happened, and what the user can do."""

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import Client
from django.urls import include, path

from accounts.models import Role
from tests import factories
from tests.conftest import PASSWORD

SITE_HEADER = '<header class="site-header">'
WHAT_TO_DO = "<h2>What you can do</h2>"


def assert_site_page(response, status, *texts):
    page = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert SITE_HEADER in page
    assert '<main id="main"' in page
    assert '<link rel="stylesheet" href="/static/css/site.css' in page
    for text in texts:
        assert text in page
    return page


def _malformed(request):
    raise SuspiciousOperation("a malformed request")


def _broken(request):
    raise RuntimeError("a bug")


class ErrorUrls:
    """The site's URLs, and two that fail."""

    urlpatterns = [
        path("malformed/", _malformed),
        path("broken/", _broken),
        path("", include("rpa_tracker.urls")),
    ]


@pytest.fixture
def error_urls(settings):
    settings.ROOT_URLCONF = ErrorUrls


def test_400_says_nothing_changed_and_to_check_the_address_or_form(db, error_urls):
    response = Client().get("/malformed/")

    assert_site_page(
        response, 400, "The request could not be understood", "nothing was changed", WHAT_TO_DO
    )


def test_400_for_a_host_the_site_does_not_serve_is_a_site_page(db):
    response = Client(HTTP_HOST="elsewhere.example").get("/")

    assert_site_page(response, 400, "The request could not be understood")


def test_403_names_the_roles_that_see_the_page_and_who_the_user_is(client, observer):
    client.force_login(observer)

    response = client.get("/national/")

    page = assert_site_page(response, 403, "You cannot open this page", WHAT_TO_DO)
    assert (
        "National statuses are shown to member states&#x27; focal points and national"
        " coordinators, ACWC reviewers and secretariat admins."
    ) in page
    assert "You are signed in as Lin, observer." in page
    assert "ask a secretariat admin" in page


@pytest.mark.parametrize(
    ("url", "roles"),
    [
        ("/review/rounds/new/", "Only the secretariat creates reporting rounds."),
        ("/accounts/invitations/", "Secretariat admins and national coordinators invite users."),
    ],
)
def test_403_of_each_refusal_says_which_roles_see_it(client, focal_point, url, roles):
    client.force_login(focal_point)

    response = client.get(url)

    assert_site_page(response, 403, roles, "You are signed in as Sophea, focal point for Cambodia.")


def test_403_for_a_form_that_failed_its_csrf_check_says_to_reload_and_send_again(db):
    response = Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"username": "x", "password": "y"}
    )

    assert_site_page(response, 403, "The form could not be sent", "nothing was saved", WHAT_TO_DO)


def test_404_says_what_may_have_happened_and_where_to_go(client, focal_point):
    client.force_login(focal_point)

    response = client.get("/no-such-page/")

    page = assert_site_page(response, 404, "Page not found", WHAT_TO_DO)
    assert 'href="/plans/"' in page
    assert "Log out" in page  # the signed-in header, as on every page


def test_404_asks_a_visitor_who_is_not_signed_in_to_log_in(db):
    response = Client().get("/no-such-page/")

    assert_site_page(response, 404, 'href="/accounts/login/">log in</a> first')


def test_429_of_the_login_throttle_says_when_to_try_again(client, db):
    factories.make_user(Role.REVIEWER, email="maria@example.org")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "maria@example.org", "password": "wrong"})

    response = client.post(
        "/accounts/login/", {"username": "maria@example.org", "password": PASSWORD}
    )

    assert_site_page(response, 429, "Too many failed attempts. Try again in 15 minutes.")
    assert int(response["Retry-After"]) > 14 * 60


def test_500_says_the_error_was_recorded_and_what_to_do(db, error_urls):
    response = Client(raise_request_exception=False).get("/broken/")

    page = assert_site_page(response, 500, "Something went wrong on the server", WHAT_TO_DO)
    assert "a bug" not in page
