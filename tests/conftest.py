import copy
import gc
import os
import socket
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from _pytest.nodeid import NodeId
from django.db import transaction

from . import factories

REQUIRE_SERVICES = os.environ.get("RPA_REQUIRE_SERVICES") == "1"


def service_missing(reason):
    """Skip a test whose service is absent, or fail it when CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (RPA_REQUIRE_SERVICES=1 turns this skip into a failure)")
    pytest.skip(reason)


def _skipped(config):
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return reporter.stats.get("skipped", []) if reporter else []


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Tests that share the Redis database (REDIS_URL) run in one xdist worker, one at a time.

    `--dist loadgroup` sends the tests of an xdist_group to one worker by a "@group" suffix on
    their node ids. pytest-xdist 3.8 writes it where pytest 9 no longer reads it (`_nodeid`), so
    each group's tests were spread over the workers; the suffix is written here instead.
    """
    for item in items:
        if item.get_closest_marker("redis"):
            item.add_marker(pytest.mark.xdist_group("redis"))
    if not getattr(config.option, "loadgroup", False):  # set in the workers of --dist loadgroup
        return
    for item in items:
        marks = item.iter_markers("xdist_group")
        groups = {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks}
        if groups and item.nodeid.rfind("@") <= item.nodeid.rfind("]"):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(sorted(groups))}")


def pytest_configure(config):
    """Collect garbage less often: every test makes many thousands of short-lived objects
    (querysets, template contexts, requests), and with Python's default thresholds the
    collector ran after every 700 of them. A thread that uses the database closes its own
    connection (a cycle may now wait longer to be collected)."""
    gc.set_threshold(50_000, 50, 100)


def pytest_collection_finish(session):
    """Leave what the collection made (modules, the app registry, the tests themselves) out of
    every later collection: it lives until the run ends."""
    gc.collect()
    gc.freeze()


def pytest_sessionfinish(session, exitstatus):
    """Under RPA_REQUIRE_SERVICES=1 a run with any skipped test fails, whatever skipped it."""
    if REQUIRE_SERVICES and _skipped(session.config) and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if REQUIRE_SERVICES and _skipped(config):
        terminalreporter.write_sep(
            "=", "RPA_REQUIRE_SERVICES=1: a skipped test fails the run", red=True
        )


@pytest.fixture(scope="session")
def django_db_use_migrations(request):
    """On SQLite the test database is made from the models; on PostgreSQL (CI) by applying
    every migration, as a deployment does.

    Applying the migrations is most of a SQLite test database's set-up (about 3 s against
    0.3 s), paid again by every test worker. `makemigrations --check` in CI keeps the models and
    the migrations the same schema, and the migrations hold no SQL of their own; their data
    steps only convert rows that a new database does not have.
    """
    from django.db import connection

    if request.config.getvalue("nomigrations"):
        return False
    return connection.vendor != "sqlite"


def port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def shared_data(django_db_blocker):
    """Rows built once for a module (or session) of tests, like TestCase.setUpTestData.

    Use it in a module- or session-scoped fixture that depends on `django_db_setup`, in a module
    marked `django_db`: the rows are made in an outer transaction that each test's own
    transaction nests in (as a savepoint), and all of it is rolled back at the end.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded evidence goes to this test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


PASSWORD = "correct horse 42"


@pytest.fixture
def cambodia(db):
    return factories.make_state("KH")


@pytest.fixture
def malaysia(db):
    return factories.make_state("MY")


@pytest.fixture
def timor_leste(db):
    return factories.make_state("TL")


@pytest.fixture
def plan_2021(db):
    return factories.make_plan(2021, 2025)


@pytest.fixture
def plan_2026(db, plan_2021):
    return factories.make_plan(2026, 2030, predecessor=plan_2021)


@pytest.fixture
def focal_point(cambodia):
    """Sophea, Cambodia's ministry focal point."""
    return factories.make_persona("focal_point", cambodia)


@pytest.fixture
def coordinator(cambodia):
    """Dara, Cambodia's national coordinator."""
    return factories.make_persona("coordinator", cambodia)


@pytest.fixture
def other_focal_point(malaysia):
    """Aisyah, Malaysia's focal point: must never see Cambodia's drafts."""
    return factories.make_persona("other_focal_point", malaysia)


@pytest.fixture
def other_coordinator(malaysia):
    """Farid, Malaysia's national coordinator."""
    return factories.make_persona("other_coordinator", malaysia)


@pytest.fixture
def items(plan_2026):
    """Three action items of the 2026–2030 plan over two focus areas."""
    return factories.make_items(plan_2026)


@pytest.fixture
def reviewer(db):
    """Maria, an ACWC reviewer."""
    return factories.make_persona("reviewer")


@pytest.fixture
def secretariat(db):
    """Budi, a secretariat admin."""
    return factories.make_persona("secretariat")


@pytest.fixture
def observer(db):
    """Lin, an observer from a partner organisation."""
    return factories.make_persona("observer")


# Rows shared by a module's tests: the module's `_shared` fixture makes them once, within
# shared_data(); each test gets its own copy of the objects (`shared`), so that a test may change
# an object as freely as its rows.

STATE_FIXTURES = {"KH": "cambodia", "MY": "malaysia", "TL": "timor_leste"}


def make_cast(*personas, states=("KH", "MY", "TL"), plans=(2021,)):
    """What the fixtures above make, made at once: `states`, `plans` (2021, and 2026 after it)
    and `personas`, as attributes named like their fixtures (cambodia, plan_2021, reviewer…)."""
    cast = SimpleNamespace()
    for code in states:
        setattr(cast, STATE_FIXTURES[code], factories.make_state(code))
    if 2021 in plans:
        cast.plan_2021 = factories.make_plan(2021, 2025)
    if 2026 in plans:
        cast.plan_2026 = factories.make_plan(2026, 2030, predecessor=cast.plan_2021)
    for name in personas:
        code = factories.PERSONAS[name][1]
        setattr(
            cast,
            name,
            factories.make_persona(name, getattr(cast, STATE_FIXTURES[code]) if code else None),
        )
    return cast


class _Copies:
    """Copies of the attributes of `original`, each made when first read; objects that two of
    them share stay shared between the copies."""

    def __init__(self, original):
        self._original, self._memo = original, {}

    def __getattr__(self, name):
        value = copy.deepcopy(getattr(self._original, name), self._memo)
        setattr(self, name, value)
        return value


@pytest.fixture
def shared(_shared, db):
    """This test's own copy of the objects of the module's `_shared` rows; what the test
    writes is rolled back (`db`), so the next test finds the rows as they were made."""
    return _Copies(_shared)


def shared_fixtures(*names):
    """Fixtures named `names`, each the attribute of that name of `shared`: a module's shared
    rows stand in for the conftest fixtures of the same names."""

    def one(name):
        @pytest.fixture(name=name)
        def fixture(shared):
            return getattr(shared, name)

        return fixture

    return [one(name) for name in names]
