"""The status table's pages found by arithmetic (regional.status_grid) are the pages that
paging the pairs gives: same rows, same order, same count."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regional.status_grid import GridOrder, grid_order
from tests import factories, small_plan
from tests.conftest import make_cast, shared_data, shared_fixtures
from tests.factories import logged_in

pytestmark = pytest.mark.django_db

PLAN = "rpa-2021-2025"
FIELDS = ("state_code", "code", "status", "progress", "updated_at", "narrative", "title")


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    """12 items (5 in focus area 1, 7 in focus area 2) × 4 reporting states (Timor-Leste is
    not a member for this plan), and a reviewer, made once for the module."""
    with shared_data(django_db_blocker):
        cast = make_cast("reviewer")
        cast.grid = built = small_plan.build(cast.plan_2021)
        for n in range(4, 6):
            factories.make_item(built.fa1, f"1.{n}", position=10 + n)
        for n in range(3, 8):
            factories.make_item(built.fa2, f"2.{n}", position=20 + n)
        factories.make_state("ID")
        factories.make_state("TH")
        yield cast


grid, reviewer = shared_fixtures("grid", "reviewer")


def table_of(user, **params):
    response = logged_in(user).get(reverse("reports:statuses"), {"plan": PLAN, **params})
    assert response.status_code == 200
    return response.context["table"]


def paged_pairs(table):
    """The page as paging the pairs gives it (OFFSET/LIMIT on the cross join)."""
    return [tuple(getattr(row.record, name) for name in FIELDS) for row in table.page.object_list]


def shown(table):
    return [tuple(getattr(row, name) for name in FIELDS) for row in table.page_records()]


@pytest.mark.parametrize(
    "params",
    [
        {},  # state, then focus area and position
        {"per_page": 5, "page": 3},  # rows 10–14: the end of one state, the start of the next
        {"per_page": 5, "page": 10},  # the last page, 3 rows
        {"per_page": 7, "page": 4, "sort": "-state"},
        {"per_page": 5, "page": 5, "sort": "state"},
        {"per_page": 5, "page": 3, "sort": "code"},  # items first, each with every state
        {"per_page": 5, "page": 6, "sort": "-code"},
        {"per_page": 9, "page": 2, "sort": "-state,code"},
        {"per_page": 5, "page": 2, "focus_area": "2"},
        {"per_page": 5, "page": 4, "focus_area": "1", "sort": "-code"},
        {"per_page": 4, "page": 2, "q": "1."},  # 5 items: a page across two states
        {"per_page": 3, "page": 1, "q": "2.2"},  # 1 item: a page of three states
        {"per_page": 10, "page": 2, "focus_area": "1"},  # two states' 5 items
        {"per_page": 5, "page": 2, "state": "MY"},
        {"per_page": 5, "page": 3, "state": "ID", "sort": "-code"},
        {"per_page": 100},
    ],
)
def test_a_grid_page_is_the_page_of_the_pairs(grid, reviewer, params):
    table = table_of(reviewer, **params)

    assert table.grid_order is not None
    assert shown(table) == paged_pairs(table)
    assert shown(table)
    assert table.paginator.count == table.data.data.count()


def test_a_grid_page_reads_items_not_the_pairs_before_it(grid, reviewer):
    client = logged_in(reviewer)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("reports:statuses"), {"plan": PLAN, "page": 2})

    assert response.status_code == 200
    pairs = [q["sql"] for q in captured if "CROSS JOIN" in q["sql"]]
    assert len(pairs) == 1  # only the page's pairs with their statuses, by item and state
    assert "OFFSET" not in pairs[0] and "LIMIT" not in pairs[0]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "not_started"},
        {"progress_min": "0"},
        {"stale": "never"},
        {"sort": "title"},
        {"sort": "focus_area"},
        {"sort": "-progress"},
    ],
)
def test_an_order_or_filter_on_statuses_pages_the_pairs(grid, reviewer, params):
    table = table_of(reviewer, per_page=5, page=2, **params)

    assert table.grid_order is None
    assert shown(table) == paged_pairs(table)


def test_the_download_holds_the_grid_pages_in_order(grid, reviewer):
    params = {"sort": "-code", "focus_area": "2"}
    pages = [table_of(reviewer, per_page=5, page=n, **params) for n in range(1, 7)]
    on_pages = [(row[0], row[1]) for table in pages for row in shown(table)]

    response = logged_in(reviewer).get(reverse("reports:statuses_csv"), {"plan": PLAN, **params})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))

    assert len(on_pages) == 7 * 4
    assert [(r["member_state_code"], r["item_code"]) for r in rows] == on_pages


def test_items_at_one_position_come_in_code_order(grid, reviewer):
    factories.make_item(grid.fa1, "1.9", position=1)  # beside 1.2
    table = table_of(reviewer, per_page=100, state="KH", sort="state")

    assert [row.code for row in table.page_records()][:4] == ["1.1", "1.2", "1.9", "1.3"]


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (
            ("state_name", "focus_area_number", "position", "focus_area_number", "code"),
            GridOrder(True, False, ("focus_area_number", "position", "code")),
        ),
        (
            ("-state_name", "-focus_area_number", "-position"),
            GridOrder(True, True, ("-focus_area_number", "-position", "code")),
        ),
        (
            ("-focus_area_number", "-position", "-code", "-state_name"),
            GridOrder(False, True, ("-focus_area_number", "-position", "-code")),
        ),
        (("focus_area_number", "state_name", "position"), None),  # items tie before the state
        (("title", "state_name"), None),
        (("state_name", "status"), None),
        (("status", "state_name", "position"), None),
        (("position", "code"), None),
        ((), None),
    ],
)
def test_grid_orders(order_by, expected):
    assert grid_order(order_by) == expected
