"""The first load of the shipped reference data, and load_reference_data over it: updates,
deletions, dry runs, errors."""

import datetime

import pytest

from actions.models import (
    ActionItem,
    ContinuityLink,
    FocusArea,
    Plan,
    Provenance,
    ReferenceChange,
)
from countries.models import MemberState
from tests import factories
from tests.actions.reference_files import (
    SHIPPED_ROWS,
    drop_rows,
    load,
    load_error,
    row_counts,
    set_cell,
)
from tests.conftest import shared_data

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def loaded(django_db_setup, django_db_blocker):
    """The shipped reference data, loaded once for the module; each test's changes roll back."""
    with shared_data(django_db_blocker):
        load()
        yield


# The first load of the shipped data.


def test_shipped_data_loads_states_plans_and_focus_areas(loaded):
    assert MemberState.objects.count() == 11
    assert list(Plan.objects.values_list("code", flat=True)) == ["rpa-2021-2025", "rpa-2026-2030"]
    areas = FocusArea.objects.filter(plan__code="rpa-2021-2025")
    assert sorted(areas.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6, 7]
    confirmed = areas.filter(provenance=Provenance.CONFIRMED)
    assert sorted(confirmed.values_list("number", flat=True)) == [1, 2, 7]


def test_first_load_records_one_created_change_per_row(loaded):
    changes = ReferenceChange.objects.all()
    assert changes.count() == sum(SHIPPED_ROWS.values())
    assert set(changes.values_list("action", flat=True)) == {"created"}
    assert set(changes.values_list("source", flat=True)) == {"load_reference_data data"}
    item = changes.get(object_type="action item", object_key="rpa-2021-2025/1.2")
    assert item.changes["lead_bodies"] == [None, ["ACWC"]]


# The shipped data.


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


def test_dry_run_of_an_update_leaves_the_row_as_it_was(loaded, data_dir):
    set_cell(data_dir / "plans.csv", {"code": "rpa-2026-2030"}, "status", "in_force")
    before = row_counts()

    output = load(data_dir, "--dry-run", "--verbosity", "2")

    assert "plans: 0 would be created, 1 would be updated" in output
    assert "plan rpa-2026-2030 would be updated: status" in output
    assert Plan.objects.get(code="rpa-2026-2030").status == Plan.Status.DRAFT
    assert row_counts() == before


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


def test_misnamed_file_is_reported_as_ignored(loaded, data_dir):
    (data_dir / "action_items.csv").rename(data_dir / "action_item.csv")

    output = load(data_dir)

    assert "Ignored action_item.csv: not one of the reference data files." in output


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
