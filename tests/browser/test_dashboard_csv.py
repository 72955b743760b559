"""A reviewer drills down from a dashboard cell to the filtered table and downloads its CSV."""

import csv
import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests import small_plan
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

KHMER = "ក្រសួងសង្គមកិច្ច"


@pytest.fixture
def small(plan_2021, cambodia, malaysia, timor_leste):
    built = small_plan.build(plan_2021)
    status = built.statuses["KH", "1.2"]
    status.narrative = f"{KHMER}: =SUM(1)"
    status.save()
    return built


def log_in(page, live_server, email):
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def screen_rows(page):
    """(state, item number) of each row of the report table on screen."""
    rows = page.locator("#report-table tbody tr")
    return [
        (row.locator("th").inner_text().strip(), row.locator("td").first.inner_text().strip())
        for row in rows.all()
    ]


def test_a_reviewer_filters_the_table_from_a_matrix_cell_and_downloads_the_same_rows(
    page, live_server, small, reviewer
):
    log_in(page, live_server, reviewer.email)
    page.goto(live_server.url + reverse("reports:plan_dashboard", args=[small.plan.code]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("regional dashboard")
    matrix = page.locator("#matrix")
    expect(matrix.get_by_role("rowheader", name="Timor-Leste")).to_be_visible()
    expect(matrix).to_contain_text("Not a member then")

    # Cambodia × focus area 1: average progress 47 % of its three applicable actions.
    cell = matrix.locator('a[href*="state=KH"][href*="focus_area=1"][href*="status=applicable"]')
    expect(cell).to_have_text("47\u00a0%")
    cell.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("National statuses")
    filters = parse_qs(urlsplit(page.url).query)
    assert filters == {
        "plan": ["rpa-2021-2025"],
        "state": ["KH"],
        "focus_area": ["1"],
        "status": ["applicable"],
    }
    expect(page.get_by_label("Member state")).to_have_value("KH")
    on_screen = screen_rows(page)
    assert on_screen == [("Cambodia", "1.1"), ("Cambodia", "1.2"), ("Cambodia", "1.3")]

    with page.expect_download() as info:
        page.get_by_role("link", name="Download these rows (CSV)").click()
    download = info.value

    assert download.suggested_filename.startswith("rpa-statuses-")
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [(r["member_state"], r["item_code"]) for r in rows] == on_screen
    assert [r["progress"] for r in rows] == ["100", "40", "0"]
    assert rows[1]["narrative"] == f"{KHMER}: =SUM(1)"  # starts with Khmer: left as typed
