"""load_reference_data on an empty database: a dry run, every kind of bad file, files as
spreadsheets save them. What the first load of the shipped files makes is tested in
test_reference_data_reload.py, which loads them once for the module."""

import csv
import io

import pytest

from tests.actions.reference_files import (
    load,
    load_error,
    read_rows,
    row_counts,
    set_cell,
    write_rows,
)

# Idempotence and updates.


def test_dry_run_reports_changes_and_writes_nothing(db, data_dir):
    output = load(data_dir, "--dry-run")

    assert "Dry run, nothing written" in output
    assert "action items: 52 would be created" in output
    assert set(row_counts().values()) == {0}


# Bad input: every problem named, nothing written.

STATES, BODIES, PLANS = "member_states.csv", "bodies.csv", "plans.csv"
AREAS, ITEMS, LINKS = "focus_areas.csv", "action_items.csv", "continuity_links.csv"
ITEM_12 = {"plan": "rpa-2021-2025", "code": "1.2"}
ITEM_2026 = {"plan": "rpa-2026-2030", "code": "1.2"}
TL, KH = {"code": "TL"}, {"code": "KH"}
PLAN_1, PLAN_2 = {"code": "rpa-2021-2025"}, {"code": "rpa-2026-2030"}
AREA_3 = {"plan": "rpa-2021-2025", "number": "3"}
BAD_CELLS = [
    # file, row, column, bad value, the problem reported (after "file, line N, ")
    (
        STATES,
        TL,
        "member_since",
        "2025-02-30",
        "column member_since: 2025-02-30 is not a real date",
    ),
    (STATES, KH, "code", "kh", "column code: must be two capital letters"),
    (STATES, TL, "reports_from", "2025-01-01", "column reports_from: is before member_since"),
    (
        STATES,
        {"code": "MM"},
        "time_zone",
        "Asia/Nowhere",
        "column time_zone: 'Asia/Nowhere' is not an IANA",
    ),
    (
        BODIES,
        {"code": "ECPAT"},
        "kind",
        "ngo",
        "column kind: must be one of asean, partner, not 'ngo'",
    ),
    (PLANS, PLAN_2, "status", "adopted", "column status: must be one of draft"),
    (PLANS, PLAN_2, "end_year", "2025", "column end_year: is before start_year"),
    (PLANS, PLAN_1, "start_year", "1999", "column start_year: must be between 2000 and 2100"),
    (PLANS, PLAN_2, "predecessor", "rpa-2016", "column predecessor: there is no plan rpa-2016"),
    (AREAS, AREA_3, "title", "", "column title: is required"),
    (AREAS, AREA_3, "number", "0", "column number: must be between 1"),
    (
        ITEMS,
        ITEM_12,
        "focus_area",
        "8",
        "column focus_area: plan rpa-2021-2025 has no focus area 8",
    ),
    (
        ITEMS,
        ITEM_12,
        "start_year",
        "2019",
        "column start_year: the timeframe 2019–2023 lies outside",
    ),
    (ITEMS, ITEM_2026, "end_year", "2031", "column end_year: the timeframe"),
    (ITEMS, ITEM_12, "end_year", "", "column end_year: give both years or neither"),
    (ITEMS, ITEM_12, "end_year", "2021", "column end_year: is before start_year"),
    (ITEMS, ITEM_12, "lead_bodies", "ACWC;NOPE", "column lead_bodies: there is no body NOPE"),
    (
        ITEMS,
        ITEM_12,
        "supporting_bodies",
        "ACWC",
        "column supporting_bodies: ACWC cannot both lead",
    ),
    (ITEMS, ITEM_12, "position", "two", "column position: must be a whole number"),
    (ITEMS, ITEM_12, "plan", "rpa-2031", "column plan: there is no plan rpa-2031"),
    (ITEMS, ITEM_12, "code", "1/2", "column code: must be an item code"),
    (ITEMS, ITEM_12, "title", "x" * 301, "column title: is longer than 300 characters"),
    (LINKS, {"from_item": "6.1"}, "to_item", "6.1", "column to_item: must be empty for a dropped"),
    (LINKS, {"from_item": "2.2"}, "kind", "dropped", "column to_item: must be empty for a dropped"),
    (LINKS, {"to_item": "7.5"}, "from_item", "7.4", "column from_item: must be empty for a new"),
    (LINKS, {"from_item": "2.1"}, "kind", "moved", "column kind: must be one of"),
    (
        LINKS,
        {"from_item": "2.1"},
        "to_item",
        "9.9",
        "column to_item: plan rpa-2026-2030 has no item 9.9",
    ),
    (
        LINKS,
        {"from_item": "2.1"},
        "to_plan",
        "rpa-2021-2025",
        "column to_plan: rpa-2021-2025 does not follow",
    ),
]


@pytest.mark.parametrize(("file", "match", "column", "value", "problem"), BAD_CELLS)
def test_bad_cell_is_named_by_file_line_and_column_and_nothing_is_written(
    db, data_dir, file, match, column, value, problem
):
    line = set_cell(data_dir / file, match, column, value)

    message = load_error(data_dir)

    assert "nothing was written" in message
    assert f"\n  {file}, line {line}, {problem}" in message
    assert set(row_counts().values()) == {0}


def test_several_bad_rows_are_all_reported(db, data_dir):
    lines = [
        set_cell(data_dir / "member_states.csv", {"code": "VN"}, "member_since", "1995-13-01"),
        set_cell(
            data_dir / "action_items.csv", {"plan": "rpa-2021-2025", "code": "3.1"}, "level", ""
        ),
        set_cell(
            data_dir / "action_items.csv", {"plan": "rpa-2021-2025", "code": "7.2"}, "level", "x"
        ),
        set_cell(data_dir / "continuity_links.csv", {"from_item": "4.3"}, "provenance", ""),
    ]

    message = load_error(data_dir)

    assert "4 problems found" in message
    assert f"member_states.csv, line {lines[0]}, column member_since" in message
    assert f"action_items.csv, line {lines[1]}, column level: is required" in message
    assert f"action_items.csv, line {lines[2]}, column level: must be one of" in message
    assert f"continuity_links.csv, line {lines[3]}, column provenance: is required" in message


def test_duplicate_row_is_reported_with_the_line_it_repeats(db, data_dir):
    rows = read_rows(data_dir / "bodies.csv")
    write_rows(data_dir / "bodies.csv", [*rows, rows[0]])

    message = load_error(data_dir)

    assert f"bodies.csv, line {len(rows) + 2}, column code: repeats line 2" in message


def test_missing_and_unknown_columns_are_reported(db, data_dir):
    rows = read_rows(data_dir / "plans.csv")
    for row in rows:
        row["stauts"] = row.pop("status")
    write_rows(data_dir / "plans.csv", rows)

    message = load_error(data_dir)

    assert "plans.csv, line 1, column status: column is missing from the header row" in message
    assert "plans.csv, line 1, column stauts: is not a column of this file" in message


def test_row_with_too_few_cells_is_reported(db, data_dir):
    path = data_dir / "bodies.csv"
    path.write_text(path.read_text(encoding="utf-8") + "NEW,Name\n", encoding="utf-8")

    message = load_error(data_dir)

    assert "bodies.csv, line 13: has 2 cells; the header has 4" in message


def test_nul_byte_is_rejected_with_a_clear_error(db, data_dir):
    path = data_dir / "focus_areas.csv"
    path.write_bytes(path.read_bytes().replace(b"Data, research", b"Data\x00 research"))

    message = load_error(data_dir)

    assert "focus_areas.csv, line 7: contains a NUL byte" in message
    assert set(row_counts().values()) == {0}


def test_file_that_is_not_utf8_is_rejected(db, data_dir):
    path = data_dir / "member_states.csv"
    path.write_bytes(path.read_bytes().replace(b"Viet Nam", "Viêt Nam".encode("latin-1")))

    assert "member_states.csv, line 12: is not valid UTF-8" in load_error(data_dir)


def test_directory_without_reference_files_is_an_error(db, tmp_path):
    assert "holds none of member_states.csv" in load_error(tmp_path)
    assert "is not a directory" in load_error(tmp_path / "missing")


# Encodings and line ends as spreadsheets save them.


def test_bom_crlf_and_padded_cells_load_like_the_shipped_files(db, data_dir):
    for path in data_dir.glob("*.csv"):
        rows = read_rows(path)
        for row in rows:
            row.update({column: f"  {value} " for column, value in row.items() if value})
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))

    load(data_dir)

    assert row_counts()["ActionItem"] == 52
    assert load().startswith("No changes")


# Deletion of rows a file no longer lists.
