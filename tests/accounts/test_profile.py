from django.test import Client

from accounts.models import Role
from tests import factories
from tests.query_counts import assert_flat

PROFILE_URL = "/accounts/profile/"


def test_profile_shows_role_and_state_read_only(client, focal_point):
    client.force_login(focal_point)

    page = client.get(PROFILE_URL).content.decode()

    assert "Focal point" in page
    assert "Cambodia" in page
    assert 'name="role"' not in page
    assert 'name="member_state"' not in page
    assert 'name="time_zone"' in page


def test_user_changes_time_zone_but_not_role_or_state(client, focal_point, malaysia):
    client.force_login(focal_point)

    response = client.post(
        PROFILE_URL,
        {
            "name": "Sophea K.",
            "time_zone": "Asia/Bangkok",
            "role": "secretariat",
            "member_state": malaysia.pk,
            "email": "taken-over@example.org",
            "is_staff": "on",
            "is_superuser": "on",
        },
    )

    assert response.status_code == 302
    focal_point.refresh_from_db()
    assert (focal_point.name, focal_point.time_zone) == ("Sophea K.", "Asia/Bangkok")
    assert focal_point.role == Role.FOCAL_POINT
    assert focal_point.member_state.code == "KH"
    assert focal_point.email == "sophea@example.org"
    assert not focal_point.is_staff
    assert not focal_point.is_superuser


def test_only_asean_time_zones_are_accepted(client, focal_point):
    client.force_login(focal_point)

    response = client.post(PROFILE_URL, {"name": "Sophea", "time_zone": "Europe/Paris"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    focal_point.refresh_from_db()
    assert focal_point.time_zone == ""


def test_a_megabyte_name_is_a_form_error_and_not_shown_as_the_users(client, focal_point):
    client.force_login(focal_point)

    response = client.post(PROFILE_URL, {"name": "N" * 1_000_000, "time_zone": "UTC"})

    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    # Echoed once, in the field to correct; the header still shows the saved name.
    assert response.content.decode().count("N" * 1_000_000) == 1
    assert "Sophea · Cambodia" in response.content.decode()
    focal_point.refresh_from_db()
    assert focal_point.name == "Sophea"


def test_nul_byte_in_name_is_a_form_error(client, focal_point):
    client.force_login(focal_point)

    response = client.post(PROFILE_URL, {"name": "So\x00phea", "time_zone": "UTC"})

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    focal_point.refresh_from_db()
    assert focal_point.name == "Sophea"


def test_profile_without_csrf_token_is_forbidden(focal_point):
    client = Client(enforce_csrf_checks=True)
    client.force_login(focal_point)

    response = client.post(PROFILE_URL, {"name": "X", "time_zone": "UTC"})

    assert response.status_code == 403
    focal_point.refresh_from_db()
    assert focal_point.name == "Sophea"


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_profile_page_queries_do_not_grow(client, focal_point):
    def more_people_and_states():
        for code in ("MY", "TH"):
            factories.make_state(code)
        for _ in range(3):
            factories.make_user(Role.FOCAL_POINT, focal_point.member_state)

    client.force_login(focal_point)

    assert_flat(client, "accounts:profile", PROFILE_URL, more_people_and_states)
