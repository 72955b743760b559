"""Excel downloads: read back with openpyxl, each compared cell by cell with its CSV."""

# ruff: noqa: F811 - the CSV tests' fixtures are imported and used as arguments

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl.utils.escape import unescape

from actions.models import ActionItem, Provenance
from core.csv import restored
from core.xlsx import write_workbook
from tests.factories import logged_in

from .test_csv import (  # noqa: F401 - fixtures
    PAYLOADS,
    SCRIPTS,
    _shared,
    body,
    cambodia,
    coordinator,
    focal_point,
    history_and_evidence,
    malaysia,
    observer,
    other_focal_point,
    parsed,
    payload_statuses,
    plan_2021,
    reviewer,
    round_report,
    secretariat,
    small,
    timor_leste,
)


def workbook_of(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".xlsx" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(body(response)))


def same_cell(csv_text, value):
    """Whether an Excel cell holds what the CSV cell says, as its own type."""
    if value is None:
        return csv_text == ""
    if isinstance(value, bool):
        return False  # the downloads write yes/no as text
    if isinstance(value, int | float):
        return csv_text != "" and float(csv_text) == value
    if isinstance(value, datetime.datetime):
        if "T" not in csv_text:
            return datetime.date.fromisoformat(csv_text) == value.date()
        moment = datetime.datetime.fromisoformat(csv_text)
        return moment.replace(tzinfo=None) == value
    assert isinstance(value, str), type(value)
    value = unescape(value)  # control characters are stored as _x000D_; Excel shows them
    # The CSV guards formula-like text with apostrophes; the Excel cell is text anyway.
    return restored(csv_text) == value


def compare_with_csv(user, csv_name, xlsx_name, *args, params=None):
    client = logged_in(user)
    csv_rows = parsed(client.get(reverse(csv_name, args=args), params or {}))
    response = client.get(reverse(xlsx_name, args=args), params or {})
    assert response.status_code == 200
    workbook = workbook_of(response)
    sheet = workbook["Data"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(csv_rows[0]) if csv_rows else None
    if header:
        assert list(rows[0]) == header
    assert len(rows) - 1 == len(csv_rows)
    for csv_row, values in zip(csv_rows, rows[1:], strict=True):
        for name, value in zip(header, values, strict=True):
            assert same_cell(csv_row[name], value), (name, csv_row[name], value)
    return workbook, rows


@pytest.mark.parametrize(
    ("csv_name", "xlsx_name"),
    [
        ("reports:statuses_csv", "reports:statuses_xlsx"),
        ("reports:history_csv", "reports:history_xlsx"),
        ("reports:evidence_csv", "reports:evidence_xlsx"),
    ],
)
def test_each_table_download_matches_its_csv(history_and_evidence, reviewer, csv_name, xlsx_name):
    compare_with_csv(reviewer, csv_name, xlsx_name, params={"plan": "rpa-2021-2025"})


def test_the_matrix_download_matches_its_csv(small, reviewer, focal_point):
    for user in (reviewer, focal_point):
        compare_with_csv(
            user, "reports:plan_matrix_csv", "reports:plan_matrix_xlsx", "rpa-2021-2025"
        )


def test_a_round_report_download_matches_its_csv(round_report, reviewer):
    compare_with_csv(
        reviewer, "reports:round_report_csv", "reports:round_report_xlsx", round_report.pk, "KH"
    )


def test_cells_are_typed_and_formula_text_is_never_a_formula(payload_statuses, reviewer):
    workbook, rows = compare_with_csv(
        reviewer, "reports:statuses_csv", "reports:statuses_xlsx", params={"state": "KH"}
    )
    header = rows[0]
    narratives = [unescape(row[header.index("narrative")] or "") for row in rows[1:]]
    for text in PAYLOADS + list(SCRIPTS.values()):
        assert text in narratives  # exactly as typed: no apostrophe, every script kept
    sheet = workbook["Data"]
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    progress = [row[header.index("progress")] for row in rows[1:]]
    assert all(isinstance(value, int | float) for value in progress if value is not None)
    updated = [row[header.index("updated_at")] for row in rows[1:] if row[header.index("version")]]
    assert updated and all(isinstance(value, datetime.datetime) for value in updated)


def test_header_is_frozen_filtered_sized_and_provisional_rows_are_marked(small, reviewer):
    ActionItem.objects.filter(code="1.1").update(provenance=Provenance.CONFIRMED)
    response = logged_in(reviewer).get(reverse("reports:statuses_xlsx"), {"plan": "rpa-2021-2025"})
    sheet = workbook_of(response)["Data"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    header = [cell.value for cell in sheet[1]]
    widths = {
        name: sheet.column_dimensions[cell.column_letter].width
        for name, cell in zip(header, sheet[1], strict=True)
    }
    assert widths["narrative"] > widths["status"] >= 8
    code = header.index("item_code")
    marks = {
        row[code].value: (row[0].font.i, row[0].fill.fgColor.rgb)
        for row in sheet.iter_rows(min_row=2)
    }
    assert marks["1.1"][0] is not True
    provisional = [mark for item, mark in marks.items() if item != "1.1"]
    assert provisional and all(italic and fill.endswith("FFF4C2") for italic, fill in provisional)
    about = (
        response.wsgi_request
        and workbook_of(logged_in(reviewer).get(reverse("reports:statuses_xlsx")))["About"]
    )
    assert "provisional" in " ".join(str(c.value) for c in about["A"])


def test_moments_are_written_in_the_users_time_zone():
    moment = datetime.datetime(2026, 11, 28, 7, 5, tzinfo=datetime.UTC)
    out = io.BytesIO()
    with timezone.override("Asia/Bangkok"):
        write_workbook(out, ["when", "day"], [[moment, datetime.date(2026, 2, 1)]])
    sheet = openpyxl.load_workbook(out)["Data"]
    assert sheet["A2"].value == datetime.datetime(2026, 11, 28, 14, 5)
    assert sheet["B2"].value == datetime.datetime(2026, 2, 1)
    assert sheet["B2"].number_format == "yyyy-mm-dd"


def test_rows_beyond_a_sheets_limit_go_on_on_the_next_sheet(monkeypatch):
    monkeypatch.setattr("core.xlsx.ROWS_PER_SHEET", 3)
    out = io.BytesIO()
    write_workbook(out, ["n"], [[n] for n in range(7)])
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Data", "Data 2", "Data 3", "About"]
    values = [
        [row[0] for row in workbook[name].iter_rows(values_only=True)]
        for name in ("Data", "Data 2", "Data 3")
    ]
    assert values == [["n", 0, 1, 2], ["n", 3, 4, 5], ["n", 6]]
    assert workbook["Data 2"].freeze_panes == "A2"


def test_a_text_that_looks_like_rich_text_markup_is_written_as_typed():
    """XlsxWriter's constant_memory mode writes a text between <r> and </r> unescaped, as its
    own rich-text markup: such a text could smuggle a formula cell into the sheet."""
    smuggling = '<r><t>a</t></r></is></c><c r="Z9" t="str"><f>1+1</f><v>2</v></c><c><is><r>'
    texts = ["<r>bold?</r>", smuggling + "<t>b</t></r>"]
    out = io.BytesIO()
    write_workbook(out, ["text"], [[text] for text in texts])
    sheet = openpyxl.load_workbook(out)["Data"]
    assert [sheet.cell(row, 1).value for row in (2, 3)] == texts
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.max_column == 1


def test_an_excel_file_is_not_gzipped_again_but_a_csv_is(small, reviewer):
    client = logged_in(reviewer)
    gzip_ok = {"HTTP_ACCEPT_ENCODING": "gzip"}
    xlsx = client.get(reverse("reports:statuses_xlsx"), {"plan": "rpa-2021-2025"}, **gzip_ok)
    csv_file = client.get(reverse("reports:statuses_csv"), {"plan": "rpa-2021-2025"}, **gzip_ok)
    assert not xlsx.has_header("Content-Encoding")
    assert openpyxl.load_workbook(io.BytesIO(body(xlsx)))["Data"].max_row > 1
    assert csv_file["Content-Encoding"] == "gzip"
