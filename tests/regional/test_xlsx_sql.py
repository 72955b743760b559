"""The long Excel downloads (history, evidence) written by PostgreSQL (`core.xlsx_sql`): each
cell equals what the XlsxWriter path (`core.xlsx.write_workbook` of the Python columns)
writes, read back with openpyxl; the workbook keeps its header, marks and sheets.

PostgreSQL only: elsewhere every Excel download takes the XlsxWriter path.
"""

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from actions.models import ActionItem, Evidence, Provenance, StatusHistory
from core import copy
from downloads import rows as download_rows
from downloads.columns import EVIDENCE_COLUMNS, EVIDENCE_VALUES, HISTORY_COLUMNS, HISTORY_VALUES
from tests import factories
from tests.conftest import service_missing
from tests.factories import logged_in

pytestmark = pytest.mark.postgres

TRICKY = [
    '=HYPERLINK("http://x")',
    "<r>bold?</r>",
    "a & b < c > d",
    "  spaced  ",
    "tab\there, line\nbreak, back\\slash",
    "bell\x07, cr\r, vertical\x0b, _x0041_ typed",
    "ការការពារកុមារ",
    "",
    "'quoted",
    "del\x7f beside a space",  # the character between a row's texts in its escaping test
    "trailing ",
]


@pytest.fixture
def tricky_rows(db):
    if not copy.available():
        service_missing(
            "SQL-written Excel sheets need PostgreSQL (set DATABASE_URL=postgres://...)"
        )
    state = factories.make_state("KH")
    plan = factories.make_plan(2026, 2030, status="in_force")
    area = factories.make_focus_area(plan)
    items = [factories.make_item(area, title="=1+1"), factories.make_item(area, title="Plain")]
    ActionItem.objects.filter(pk=items[1].pk).update(provenance=Provenance.CONFIRMED)
    named = factories.make_user(Role.FOCAL_POINT, state, name="-Sophea")
    moment = datetime.datetime(2026, 3, 1, 23, 30, 59, 999999, tzinfo=datetime.UTC)
    statuses = [factories.make_status(state, item, version=len(TRICKY)) for item in items]
    for version, text in enumerate(TRICKY, start=1):
        status = statuses[version % 2]
        StatusHistory.objects.create(
            national_status=status,
            version=version,
            changed_at=moment + datetime.timedelta(days=version * 40),
            changed_by=[named, None][version % 2],
            changes={
                "status": ["not_started", "in_progress"],
                "progress": [None if version == 1 else version, version * 10],
                "narrative": [text, text[::-1]],
            },
        )
        Evidence.objects.create(
            national_status=status,
            kind="link",
            title=text or "t",
            url=f"https://example.org/{version}",
            added_at=moment - datetime.timedelta(days=version * 70),
            added_by=[named, None][version % 2],
            review_comment=text,
        )


def _workbook(response):
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _cells(sheet):
    """Each cell's value, type and marks (italic, fill) by position."""
    return [
        [(c.value, c.data_type, bool(c.font.i), c.fill.fgColor.rgb) for c in row]
        for row in sheet.iter_rows()
    ]


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Kathmandu", "America/New_York"])
@pytest.mark.parametrize(
    ("columns", "values", "queryset"),
    [
        (HISTORY_COLUMNS, HISTORY_VALUES, lambda: StatusHistory.objects.order_by("-changed_at")),
        (EVIDENCE_COLUMNS, EVIDENCE_VALUES, lambda: Evidence.objects.order_by("-added_at")),
    ],
)
def test_sql_written_cells_equal_the_xlsxwriter_ones(tricky_rows, zone, columns, values, queryset):
    with timezone.override(zone):
        from_sql = download_rows.xlsx_download("x", queryset(), columns, values, 3, title="T")
        from_python = download_rows.xlsx_download("x", queryset(), columns, (), 3, title="T")
        assert from_sql.streaming  # written as it comes, no temporary file
        raw = b"".join(from_sql.streaming_content)
        sql, python = openpyxl.load_workbook(io.BytesIO(raw)), _workbook(from_python)

    assert sql.sheetnames == python.sheetnames == ["Data", "About"]
    assert _cells(sql["Data"]) == _cells(python["Data"])
    assert len(_cells(sql["Data"])) == len(TRICKY) + 1
    for sheet in ("Data", "About"):
        assert [c.value for c in sql[sheet]["A"]][:2] == [c.value for c in python[sheet]["A"]][:2]
    data = sql["Data"]
    sheet_xml = zipfile.ZipFile(io.BytesIO(raw)).read("xl/worksheets/sheet1.xml").decode()
    assert '<t xml:space="preserve">  spaced  </t>' in sheet_xml  # spaces kept by Excel too
    assert '<t xml:space="preserve">trailing </t>' in sheet_xml
    assert "<t>a &amp; b &lt; c &gt; d</t>" in sheet_xml
    assert data.freeze_panes == "A2"
    assert data.auto_filter.ref == python["Data"].auto_filter.ref
    assert all(cell.data_type != "f" for row in data.iter_rows() for cell in row)
    widths = {key: dim.width for key, dim in python["Data"].column_dimensions.items()}
    assert {key: dim.width for key, dim in data.column_dimensions.items()} == widths


def test_the_download_is_read_in_constant_memory_mode_too(tricky_rows, reviewer):
    """openpyxl's read-only mode sizes a sheet from its dimension: the streamed sheet has
    none (its size is unknown until the end), so every row is read."""
    response = logged_in(reviewer).get(reverse("reports:history_xlsx"))
    data = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["Data"]
    assert len(list(sheet.iter_rows(values_only=True))) == len(TRICKY) + 1


def test_rows_beyond_a_sheets_limit_go_on_on_the_next_sheet(tricky_rows, monkeypatch):
    monkeypatch.setattr("core.xlsx.ROWS_PER_SHEET", 4)
    queryset = StatusHistory.objects.order_by("-changed_at")
    args = ("x", queryset, HISTORY_COLUMNS)
    sql = _workbook(download_rows.xlsx_download(*args, HISTORY_VALUES, 3, title="T"))
    python = _workbook(download_rows.xlsx_download(*args, (), 3, title="T"))

    assert sql.sheetnames == python.sheetnames == ["Data", "Data 2", "Data 3", "About"]
    for name in ("Data", "Data 2", "Data 3"):
        assert _cells(sql[name]) == _cells(python[name])
        assert sql[name].auto_filter.ref == python[name].auto_filter.ref
        assert sql[name].freeze_panes == "A2"
