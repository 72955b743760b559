"""Sessions: the idle timeout holds without a session write on every request."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from rpa_tracker.middleware import LAST_SEEN_REFRESH_SECONDS, LAST_SEEN_SESSION_KEY

PROFILE_URL = "/accounts/profile/"


def session_writes(queries):
    """The INSERTs and UPDATEs of django_session among `queries`."""
    return [
        query["sql"]
        for query in queries
        if "django_session" in query["sql"]
        and query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]


def signed_in(client):
    return "_auth_user_id" in client.session


def last_seen_ago(client, seconds):
    """Pretend the session's last recorded activity was `seconds` ago."""
    session = client.session
    session[LAST_SEEN_SESSION_KEY] -= seconds
    session.save()


def test_a_plain_get_by_a_signed_in_user_does_not_write_the_session(client, reviewer):
    client.force_login(reviewer)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(PROFILE_URL)

    assert response.status_code == 200
    assert session_writes(queries.captured_queries) == []
    assert "sessionid" not in response.cookies


def test_a_post_that_changes_data_does_not_write_the_session(client, reviewer):
    client.force_login(reviewer)
    last_seen_ago(client, LAST_SEEN_REFRESH_SECONDS + 5)

    with CaptureQueriesContext(connection) as queries:
        response = client.post(PROFILE_URL, {"name": "Maria S.", "time_zone": "Asia/Manila"})

    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.name == "Maria S."
    assert session_writes(queries.captured_queries) == []


def test_activity_is_recorded_again_once_a_minute_has_passed(client, reviewer):
    client.force_login(reviewer)
    last_seen_ago(client, LAST_SEEN_REFRESH_SECONDS + 5)

    with CaptureQueriesContext(connection) as queries:
        client.get(PROFILE_URL)
    with CaptureQueriesContext(connection) as next_queries:
        client.get(PROFILE_URL)

    assert len(session_writes(queries.captured_queries)) == 1
    assert session_writes(next_queries.captured_queries) == []


def test_idle_timeout_logs_out(client, reviewer, settings):
    client.force_login(reviewer)
    last_seen_ago(client, settings.SESSION_IDLE_TIMEOUT + 1)

    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not signed_in(client)


def test_a_session_used_within_the_idle_timeout_stays(client, reviewer, settings):
    client.force_login(reviewer)
    last_seen_ago(client, settings.SESSION_IDLE_TIMEOUT - 30)

    assert client.get(PROFILE_URL).status_code == 200
    # That request recorded the activity, so the clock starts again from now.
    last_seen_ago(client, settings.SESSION_IDLE_TIMEOUT - 30)
    assert client.get(PROFILE_URL).status_code == 200
    assert signed_in(client)
