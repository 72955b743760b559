import csv
import datetime
import io
import shutil

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from actions.models import (
    ActionItem,
    Body,
    ContinuityLink,
    FocusArea,
    Plan,
    Provenance,
    ReferenceChange,
)
from countries.models import MemberState
from tests import factories

SHIPPED_ROWS = {  # rows in the shipped files
    "member_states.csv": 11,
    "bodies.csv": 11,
    "plans.csv": 2,
    "focus_areas.csv": 14,
    "action_items.csv": 52,
    "continuity_links.csv": 31,
}


def load(path=None, *options):
    out = io.StringIO()
    call_command("load_reference_data", *([str(path)] if path else []), *options, stdout=out)
    return out.getvalue()


def load_error(path, *options):
    with pytest.raises(CommandError) as error:
        load(path, *options)
    return str(error.value)


def row_counts():
    models = (MemberState, Body, Plan, FocusArea, ActionItem, ContinuityLink, ReferenceChange)
    return {model.__name__: model.objects.count() for model in models}


def read_rows(path):
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def write_rows(path, rows):
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def set_cell(path, match, column, value):
    """Change `column` of the one row matching `match`; return that row's line number."""
    rows = read_rows(path)
    found = [i for i, row in enumerate(rows) if all(row[k] == v for k, v in match.items())]
    assert len(found) == 1, match
    rows[found[0]][column] = value
    write_rows(path, rows)
    return found[0] + 2  # the header is line 1


def drop_rows(path, keep):
    rows = read_rows(path)
    kept = [row for row in rows if keep(row)]
    assert len(kept) < len(rows)
    write_rows(path, kept)


@pytest.fixture
def data_dir(tmp_path):
    """A copy of the shipped data/ that a test may break."""
    return shutil.copytree(settings.REFERENCE_DATA_DIR, tmp_path / "data")


@pytest.fixture
def loaded(db):
    load()


# The shipped data.


def test_shipped_data_loads_states_plans_and_focus_areas(db):
    load()

    assert MemberState.objects.count() == 11
    assert list(Plan.objects.values_list("code", flat=True)) == ["rpa-2021-2025", "rpa-2026-2030"]
    areas = FocusArea.objects.filter(plan__code="rpa-2021-2025")
    assert sorted(areas.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6, 7]
    confirmed = areas.filter(provenance=Provenance.CONFIRMED)
    assert sorted(confirmed.values_list("number", flat=True)) == [1, 2, 7]


def test_shipped_plans_are_a_closed_plan_and_its_draft_successor(loaded):
    old, new = Plan.objects.order_by("start_year")

    assert (old.status, old.provenance) == (Plan.Status.CLOSED, Provenance.CONFIRMED)
    assert (new.status, new.provenance) == (Plan.Status.DRAFT, Provenance.PROVISIONAL)
    assert new.predecessor == old


def test_every_shipped_action_item_is_provisional_with_a_source_note(loaded):
    items = ActionItem.objects.all()

    assert items.filter(plan__code="rpa-2021-2025").count() == 25
    assert items.filter(plan__code="rpa-2026-2030").count() == 27
    assert not items.exclude(provenance=Provenance.PROVISIONAL).exists()
    assert not items.filter(source_note="").exists()
    assert not FocusArea.objects.filter(plan__code="rpa-2026-2030", provenance="confirmed").exists()


def test_timor_leste_reports_from_the_2026_plan(loaded):
    timor_leste = MemberState.objects.get(code="TL")
    old, new = Plan.objects.order_by("start_year")

    assert timor_leste.reports_from == datetime.date(2026, 1, 1)
    assert timor_leste not in MemberState.objects.reporting_in(old)
    assert timor_leste in MemberState.objects.reporting_in(new)
    assert MemberState.objects.reporting_in(old).count() == 10


def test_every_2021_item_links_forward_and_every_2026_item_links_back(loaded):
    old = set(ActionItem.objects.filter(plan__code="rpa-2021-2025").values_list("pk", flat=True))
    new = set(ActionItem.objects.filter(plan__code="rpa-2026-2030").values_list("pk", flat=True))
    links = ContinuityLink.objects.all()

    assert set(links.exclude(from_item=None).values_list("from_item", flat=True)) == old
    assert set(links.exclude(to_item=None).values_list("to_item", flat=True)) == new
    kinds = set(links.values_list("kind", flat=True))
    assert kinds == {"continued", "merged", "split", "dropped", "new"}


def test_first_load_records_one_created_change_per_row(db):
    load()

    changes = ReferenceChange.objects.all()
    assert changes.count() == sum(SHIPPED_ROWS.values())
    assert set(changes.values_list("action", flat=True)) == {"created"}
    assert set(changes.values_list("source", flat=True)) == {"load_reference_data data"}
    item = changes.get(object_type="action item", object_key="rpa-2021-2025/1.2")
    assert item.changes["lead_bodies"] == [None, ["ACWC"]]


# Idempotence and updates.


def test_second_load_changes_nothing_and_records_nothing(loaded):
    before = row_counts()

    output = load()

    assert output.startswith("No changes")
    assert row_counts() == before


def test_second_load_reads_a_fixed_number_of_queries(loaded, django_assert_num_queries):
    # savepoint, states, bodies, plans, focus areas, items + 2 prefetches, links, release
    with django_assert_num_queries(10):
        load()


def test_changed_title_updates_in_place_and_records_old_and_new(loaded, data_dir):
    item = ActionItem.objects.get(plan__code="rpa-2021-2025", code="5.2")
    old_title = item.title
    set_cell(
        data_dir / "action_items.csv", {"plan": "rpa-2021-2025", "code": "5.2"}, "title", "New"
    )

    output = load(data_dir)

    assert "action items: 0 created, 1 updated, 51 unchanged, 0 deleted" in output
    updated = ActionItem.objects.get(plan__code="rpa-2021-2025", code="5.2")
    assert (updated.pk, updated.title) == (item.pk, "New")
    change = ReferenceChange.objects.get(action="updated")
    assert (change.object_type, change.object_key) == ("action item", "rpa-2021-2025/5.2")
    assert change.changes == {"title": [old_title, "New"]}
    assert change.source == "load_reference_data data"


def test_changed_bodies_and_focus_area_update_the_item(loaded, data_dir):
    match = {"plan": "rpa-2026-2030", "code": "2.4"}
    set_cell(data_dir / "action_items.csv", match, "lead_bodies", "ACWC;SOMTC")
    set_cell(data_dir / "action_items.csv", match, "focus_area", "3")

    load(data_dir)

    item = ActionItem.objects.get(plan__code="rpa-2026-2030", code="2.4")
    assert sorted(item.lead_bodies.values_list("code", flat=True)) == ["ACWC", "SOMTC"]
    assert item.focus_area.number == 3
    change = ReferenceChange.objects.get(action="updated")
    assert change.changes == {"focus_area": [2, 3], "lead_bodies": [["SOMTC"], ["ACWC", "SOMTC"]]}


def test_dry_run_reports_changes_and_writes_nothing(db, data_dir):
    output = load(data_dir, "--dry-run")

    assert "Dry run, nothing written" in output
    assert "action items: 52 would be created" in output
    assert set(row_counts().values()) == {0}


def test_dry_run_of_an_update_leaves_the_row_as_it_was(loaded, data_dir):
    set_cell(data_dir / "plans.csv", {"code": "rpa-2026-2030"}, "status", "in_force")
    before = row_counts()

    output = load(data_dir, "--dry-run", "--verbosity", "2")

    assert "plans: 0 would be created, 1 would be updated" in output
    assert "plan rpa-2026-2030 would be updated: status" in output
    assert Plan.objects.get(code="rpa-2026-2030").status == Plan.Status.DRAFT
    assert row_counts() == before


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


def test_bad_row_in_the_last_file_leaves_earlier_files_unwritten(loaded, data_dir):
    set_cell(data_dir / "member_states.csv", {"code": "LA"}, "name", "Laos")
    set_cell(data_dir / "action_items.csv", {"plan": "rpa-2026-2030", "code": "5.1"}, "title", "X")
    line = set_cell(data_dir / "continuity_links.csv", {"from_item": "5.1"}, "kind", "kept")
    before = row_counts()

    message = load_error(data_dir)

    assert f"continuity_links.csv, line {line}, column kind" in message
    assert row_counts() == before
    assert MemberState.objects.get(code="LA").name == "Lao PDR"
    assert ActionItem.objects.get(plan__code="rpa-2026-2030", code="5.1").title != "X"


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


def test_misnamed_file_is_reported_as_ignored(loaded, data_dir):
    (data_dir / "action_items.csv").rename(data_dir / "action_item.csv")

    output = load(data_dir)

    assert "Ignored action_item.csv: not one of the reference data files." in output


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


def test_item_missing_from_the_file_is_deleted_with_its_links(loaded, data_dir):
    (data_dir / "continuity_links.csv").unlink()
    drop_rows(
        data_dir / "action_items.csv", lambda r: (r["plan"], r["code"]) != ("rpa-2026-2030", "7.5")
    )

    output = load(data_dir)

    assert "action items: 0 created, 0 updated, 51 unchanged, 1 deleted" in output
    assert "continuity links: 0 created, 0 updated, 0 unchanged, 1 deleted" in output
    assert not ActionItem.objects.filter(plan__code="rpa-2026-2030", code="7.5").exists()
    assert ContinuityLink.objects.count() == 30
    deleted = ReferenceChange.objects.filter(action="deleted")
    assert set(deleted.values_list("object_type", "object_key")) == {
        ("action item", "rpa-2026-2030/7.5"),
        ("continuity link", "rpa-2021-2025/— → rpa-2026-2030/7.5"),
    }
    item_change = deleted.get(object_type="action item")
    assert item_change.changes["title"][1] is None


def test_item_with_national_data_missing_from_the_file_is_kept_and_reported(loaded, data_dir):
    item = ActionItem.objects.get(plan__code="rpa-2021-2025", code="6.1")
    factories.make_status(MemberState.objects.get(code="KH"), item)
    drop_rows(
        data_dir / "action_items.csv", lambda r: (r["plan"], r["code"]) != (item.plan.code, "6.1")
    )
    drop_rows(data_dir / "continuity_links.csv", lambda r: r["from_item"] != "6.1")

    output = load(data_dir)

    assert ActionItem.objects.filter(pk=item.pk).exists()
    assert f"Kept action item rpa-2021-2025/6.1 ({item})" in output
    assert "still referenced by 1 national status" in output
    assert "action items: 0 created, 0 updated, 51 unchanged, 0 deleted" in output
    assert not ReferenceChange.objects.filter(object_type="action item", action="deleted").exists()


def test_focus_area_missing_from_the_file_is_kept_while_it_holds_items(loaded, data_dir):
    keep = lambda r: (r["plan"], r["number"]) != ("rpa-2026-2030", "7")  # noqa: E731
    drop_rows(data_dir / "focus_areas.csv", keep)
    for name in ("action_items.csv", "continuity_links.csv"):
        (data_dir / name).unlink()

    output = load(data_dir)

    assert "Kept focus area rpa-2026-2030/7" in output
    assert "still referenced by 5 action items" in output
    assert FocusArea.objects.filter(plan__code="rpa-2026-2030").count() == 7


def test_focus_area_and_its_items_missing_from_the_files_are_deleted(loaded, data_dir):
    drop_rows(
        data_dir / "focus_areas.csv", lambda r: r["plan"] != "rpa-2026-2030" or r["number"] != "7"
    )
    drop_rows(
        data_dir / "action_items.csv",
        lambda r: r["plan"] != "rpa-2026-2030" or r["focus_area"] != "7",
    )
    drop_rows(data_dir / "continuity_links.csv", lambda r: not r["to_item"].startswith("7."))

    output = load(data_dir)

    assert "focus areas: 0 created, 0 updated, 13 unchanged, 1 deleted" in output
    assert "action items: 0 created, 0 updated, 47 unchanged, 5 deleted" in output
    assert "continuity links: 0 created, 0 updated, 26 unchanged, 5 deleted" in output
    assert not FocusArea.objects.filter(plan__code="rpa-2026-2030", number=7).exists()
    assert ReferenceChange.objects.filter(action="deleted").count() == 11


def test_link_missing_from_the_file_is_deleted(loaded, data_dir):
    drop_rows(data_dir / "continuity_links.csv", lambda r: r["to_item"] != "7.5")

    output = load(data_dir)

    assert "continuity links: 0 created, 0 updated, 30 unchanged, 1 deleted" in output
    assert not ContinuityLink.objects.filter(to_item__code="7.5").exists()


def test_absent_files_leave_their_kind_untouched(loaded, data_dir):
    for name in ("member_states.csv", "bodies.csv", "plans.csv", "continuity_links.csv"):
        (data_dir / name).unlink()
    drop_rows(data_dir / "focus_areas.csv", lambda r: r["plan"] == "rpa-2026-2030")
    drop_rows(data_dir / "action_items.csv", lambda r: r["plan"] == "rpa-2026-2030")
    set_cell(data_dir / "action_items.csv", {"code": "1.1"}, "provenance", "confirmed")

    output = load(data_dir)

    assert output.splitlines()[0] == "Loaded focus_areas.csv, action_items.csv from data:"
    assert "action items: 0 created, 1 updated, 26 unchanged, 0 deleted" in output
    assert ActionItem.objects.filter(plan__code="rpa-2021-2025").count() == 25
    assert FocusArea.objects.filter(plan__code="rpa-2021-2025").count() == 7
    assert ContinuityLink.objects.count() == 31


def test_loading_a_new_plan_on_top_of_the_database(loaded, tmp_path):
    directory = tmp_path / "next"
    directory.mkdir()
    (directory / "plans.csv").write_text(
        "code,short_title,title,start_year,end_year,status,predecessor,provenance,"
        "source_note,description\n"
        "rpa-2031-2035,RPA 2031–2035,Plan 2031–2035,2031,2035,draft,rpa-2026-2030,"
        "provisional,,\n",
        encoding="utf-8",
    )
    (directory / "focus_areas.csv").write_text(
        "plan,number,title,description,provenance,source_note\n"
        "rpa-2031-2035,1,Laws,,provisional,\n",
        encoding="utf-8",
    )

    output = load(directory)

    assert "plans: 1 created, 0 updated, 0 unchanged, 0 deleted" in output
    assert Plan.objects.get(code="rpa-2031-2035").predecessor.code == "rpa-2026-2030"
    assert FocusArea.objects.filter(plan__code="rpa-2031-2035").count() == 1
