"""The long downloads (history, evidence) come out of PostgreSQL's COPY as finished cells;
they equal what the Python path (`core.csv.cell` on each record) writes, byte for byte.

On PostgreSQL the database neutralises the texts, writes the times and the CSV
(`downloads.rows`); elsewhere every download takes the Python path, so this test needs
PostgreSQL.
"""

import datetime
import functools

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.utils import timezone
from psycopg.pq import TransactionStatus

from accounts.models import Role
from actions import queries
from actions.models import Evidence, StatusHistory
from core import copy
from downloads import rows as download_rows
from downloads.columns import (
    EVIDENCE_COLUMNS,
    EVIDENCE_VALUES,
    HISTORY_COLUMNS,
    HISTORY_VALUES,
    STATUS_COLUMNS,
    STATUS_VALUES,
    header,
)
from tests import factories
from tests.conftest import service_missing

pytestmark = pytest.mark.postgres

TRICKY = [
    '=HYPERLINK("http://x")',
    "plain text",
    "a,=1+2;b",
    " -3",
    "line\n@SUM(A1)",
    "\t=1",
    " \t\t=2",
    "\r=1;\t-3",
    "'quoted",
    "ការការពារកុមារ",
    "",
]


@pytest.fixture
def tricky_rows(db):
    if not copy.available():
        service_missing("SQL-made CSV cells need PostgreSQL (set DATABASE_URL=postgres://...)")
    state = factories.make_state("KH")
    plan = factories.make_plan(2026, 2030, status="in_force")
    item = factories.make_item(factories.make_focus_area(plan), title="=1+1")
    named = factories.make_user(Role.FOCAL_POINT, state, name="-Sophea")
    unnamed = factories.make_user(Role.FOCAL_POINT, state, name="")
    status = factories.make_status(state, item, version=len(TRICKY))
    moment = datetime.datetime(2026, 3, 1, 23, 30, 59, 999999, tzinfo=datetime.UTC)
    for version, text in enumerate(TRICKY, start=1):
        StatusHistory.objects.create(
            national_status=status,
            version=version,
            changed_at=moment + datetime.timedelta(days=version * 40),
            changed_by=[named, unnamed, None][version % 3],
            changes={
                "status": ["not_started", "in_progress"],
                "progress": [None if version == 1 else version, version * 10],
                "narrative": [text, text[::-1]],
                **({"zz_other": [1, 2]} if version % 2 else {}),
            },
        )
        Evidence.objects.create(
            national_status=status,
            kind="link",
            title=text or "t",
            url=f"https://example.org/{version}",
            added_at=moment - datetime.timedelta(days=version * 70),
            added_by=[named, unnamed, None][version % 3],
            review_comment=text,
        )


def _both_ways(columns, values, queryset):
    """The download made by COPY of SQL cells, and the one made by the Python columns."""
    from_sql = download_rows.csv_download("x", queryset, columns, values, 3)
    from_records = download_rows.csv_download("x", queryset, columns, (), 3)
    return tuple(b"".join(r.streaming_content).decode() for r in (from_sql, from_records))


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Kathmandu", "America/New_York"])
def test_history_and_evidence_cells_from_sql_equal_those_from_records(tricky_rows, zone):
    with timezone.override(zone):
        history = _both_ways(
            HISTORY_COLUMNS, HISTORY_VALUES, StatusHistory.objects.order_by("-changed_at", "-pk")
        )
        evidence = _both_ways(
            EVIDENCE_COLUMNS, EVIDENCE_VALUES, Evidence.objects.order_by("-added_at", "-pk")
        )

    for from_sql, from_records in (history, evidence):
        assert from_sql.count("\r\n") == len(TRICKY) + 1  # the header and a line per row
        assert from_sql == from_records


@pytest.mark.parametrize(
    ("columns", "values"), [(HISTORY_COLUMNS, HISTORY_VALUES), (EVIDENCE_COLUMNS, EVIDENCE_VALUES)]
)
def test_the_sql_columns_are_the_documented_columns(columns, values):
    assert header(values) == header(columns)


@pytest.mark.parametrize("zone", ["Asia/Kathmandu", "America/New_York"])
def test_status_cells_from_sql_equal_those_from_records(db, zone):
    """The national statuses too, never-updated pairs and not-applicable ones included."""
    if not copy.available():
        service_missing("SQL-made CSV cells need PostgreSQL (set DATABASE_URL=postgres://...)")
    states = [factories.make_state("KH"), factories.make_state("MY")]
    plan = factories.make_plan(2026, 2030, status="in_force")
    area = factories.make_focus_area(plan)
    items = [factories.make_item(area, title=text or "t") for text in TRICKY]
    named = factories.make_user(Role.FOCAL_POINT, states[0], name="")
    for index, (item, text) in enumerate(zip(items, TRICKY, strict=True)):
        if index % 3:
            factories.make_status(
                states[index % 2],
                item,
                status="not_applicable" if index % 3 == 2 else "in_progress",
                progress=None if index % 3 == 2 else index,
                narrative=text,
                next_steps=text[::-1],
                updated_by=named if index % 2 else None,
                version=index,
            )
    rows = queries.status_pairs(plan, states).order_by("state_name", "position")
    with timezone.override(zone):
        from_sql = download_rows.csv_download("x", rows, STATUS_COLUMNS, STATUS_VALUES, 3)
        from_records = download_rows.csv_download("x", rows, STATUS_COLUMNS, (), 3)
        from_sql, from_records = (
            b"".join(response.streaming_content).decode() for response in (from_sql, from_records)
        )

    assert from_sql.count("\r\n") >= len(TRICKY) * 2 + 1
    assert from_sql == from_records


@pytest.mark.parametrize("download", [download_rows.csv_download, "xlsx"])
def test_a_download_abandoned_mid_stream_leaves_the_connection_usable_in_its_zone(
    transactional_db, tricky_rows, download
):
    """A browser that goes away mid-download closes the response while COPY is still sending
    rows: the connection (kept open for the next request) must be ready, in Django's zone.
    Downloads stream in autocommit (no request-wide transaction), as here."""
    status = StatusHistory.objects.first().national_status
    StatusHistory.objects.bulk_create(
        StatusHistory(
            national_status=status, version=100 + n, changed_at=timezone.now(), changes={}
        )
        for n in range(3000)
    )
    if download == "xlsx":
        download = functools.partial(download_rows.xlsx_download, title="History")
    history = StatusHistory.objects.order_by("-changed_at", "-pk")
    with timezone.override("Asia/Kathmandu"):
        response = download("x", history, HISTORY_COLUMNS, HISTORY_VALUES, 3)
        chunks = iter(response.streaming_content)
        next(chunks), next(chunks)
        assert connection.connection.info.transaction_status == TransactionStatus.ACTIVE  # COPY
        # As the test client does: the end of the request must not close the test's connection.
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)

    assert connection.connection.info.transaction_status != TransactionStatus.ACTIVE
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone'), count(*) FROM actions_statushistory")
        assert cursor.fetchone() == ("UTC", len(TRICKY) + 3000)
