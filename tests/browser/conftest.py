"""Playwright drives Debian's Chromium: Playwright's own browser download is not reachable."""

import os
from pathlib import Path

import pytest

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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Mark the browser tests and run them last, after pytest-django's own ordering.

    Database work in the main thread after Playwright has started (it runs an event loop
    there) is slower and opened a second connection, which kept PostgreSQL from dropping
    the test database.
    """
    browser_tests = [item for item in items if HERE in Path(item.path).parents]
    for item in browser_tests:
        item.add_marker(pytest.mark.browser)
    others = [item for item in items if HERE not in Path(item.path).parents]
    items[:] = others + browser_tests


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.access(CHROMIUM, os.X_OK):
        service_missing(
            f"Chromium not installed at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
