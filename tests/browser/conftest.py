"""Playwright drives Debian's Chromium: Playwright's own browser download is not reachable."""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

from tests.conftest import service_missing

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HERE = Path(__file__).parent

# Playwright's sync API runs an event loop in the test thread; Django would then refuse the
# test's own database calls (fixtures, assertions) as if they came from async code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


# The longest tests of the suite (the two halves of the every-page sweep, 10 to 25 s each in a
# full run, against a second or two for most browser tests).
LONGEST = ("test_every_page.py::test_every_page_fits_a_phone",)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Mark the browser tests and run them first, the longest first, after pytest-django's own
    ordering.

    The test workers take tests from the front of the queue, a few at a time. Run last, the long
    browser tests left one worker running them while the other had finished (the last 14 s of a
    97 s run); run first, the short tests fill in behind them and the workers end together.
    """
    browser_tests = [item for item in items if HERE in Path(item.path).parents]
    for item in browser_tests:
        item.add_marker(pytest.mark.browser)
    browser_tests.sort(key=lambda item: not any(name in item.nodeid for name in LONGEST))
    others = [item for item in items if HERE not in Path(item.path).parents]
    items[:] = browser_tests + others


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.access(CHROMIUM, os.X_OK):
        service_missing(
            f"Chromium not installed at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="module")
def module_live_server(django_db_setup):
    """A live server for a module whose tests share rows made once (`committed_rows`).

    pytest-django's `live_server` makes each test that asks for it transactional: the database
    is emptied after every test, and the module's rows with it.
    """
    server = LiveServer("localhost")
    yield server
    server.stop()


def sign_in(context, live_server, client):
    """Give the browser context the session of the test client `client`, in place of any it had."""
    context.clear_cookies()
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@contextmanager
def committed_rows(django_db_blocker):
    """Rows made once for a module of browser tests, committed, so that the live server's own
    connection to PostgreSQL sees them (on SQLite in memory it shares the tests' connection);
    the database is emptied at the end, as after a transactional test.

    Use it in a module-scoped fixture; the module's tests use `db` (their own writes roll back)
    and `module_live_server`.
    """
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            call_command("flush", verbosity=0, interactive=False, skip_checks=True)
