"""A focal point keeps a status up to date in a real browser; two sessions meet a conflict."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from actions.models import NationalStatus, StatusHistory
from tests import factories
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

ITEM_TITLE = "Review national laws against online child abuse"


@pytest.fixture
def item(plan_2026):
    """An action of the plan open for updates (the 2026–2030 draft)."""
    area = factories.make_focus_area(plan_2026, title="National legal frameworks")
    return factories.make_item(area, code="1.1", title=ITEM_TITLE)


def log_in(page, live_server, email):
    """Log in through the real form; state users land on their country's workspace."""
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("My country: Cambodia")


def row(table, heading):
    """The table row whose header cell starts with `heading` (a badge may follow it)."""
    header = table.page.get_by_role("rowheader", name=re.compile(rf"^{heading}\b"))
    return table.get_by_role("row").filter(has=header)


def fill_status(page, status, progress, narrative):
    page.get_by_label(status, exact=True).check()
    page.get_by_label("Progress (%)").fill(progress)
    page.get_by_label("Narrative").fill(narrative)


def test_a_focal_point_updates_a_status_with_evidence_and_finds_it_in_the_history(
    page, live_server, focal_point, item, media
):
    log_in(page, live_server, focal_point.email)

    page.get_by_role("link", name=ITEM_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ITEM_TITLE)
    page.get_by_role("link", name="Update this status").click()
    fill_status(page, "In progress", "60", "Draft law sent to parliament.")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_have_text("Saved 1.1: In progress, 60 %.")
    status = page.get_by_role("region", name="Cambodia's status")
    expect(status).to_contain_text("In progress")
    expect(status).to_contain_text("60 %")
    expect(status).to_contain_text("Draft law sent to parliament.")

    link_form = page.get_by_role("form", name="Add a link")
    link_form.get_by_label("Title of the linked page").fill("Draft law")
    link_form.get_by_label("Web address").fill("https://example.org/draft-law")
    link_form.get_by_role("button", name="Add link").click()
    expect(page.get_by_role("status")).to_have_text("Link “Draft law” added.")

    upload_form = page.get_by_role("form", name="Upload files")
    upload_form.get_by_label("Files").set_input_files(
        files=[{"name": "chart.png", "mimeType": "image/png", "buffer": factories.png_bytes()}]
    )
    upload_form.get_by_label("Title (optional)").fill("Progress chart")
    upload_form.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_have_text("1 file added.")

    evidence = page.get_by_role("table", name="Evidence for action 1.1 (2)")
    expect(evidence.get_by_role("link", name="Draft law", exact=True)).to_have_attribute(
        "href", "https://example.org/draft-law"
    )
    expect(evidence.get_by_role("link", name="Progress chart", exact=True)).to_have_attribute(
        "href", re.compile(r"/national/evidence/\d+/download/$")
    )
    expect(evidence).to_contain_text("File: chart.png")

    page.get_by_role("link", name="History page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "History of Cambodia's status of action 1.1"
    )
    first = page.get_by_role("table", name="Changes in version 1")
    expect(row(first, "Status")).to_contain_text("In progress")
    expect(row(first, "Progress")).to_contain_text("60 %")
    expect(row(first, "Narrative")).to_contain_text("Draft law sent")
    expect(page.get_by_role("table", name="Changes in version 2")).to_contain_text("Draft law")
    expect(page.get_by_role("table", name="Changes in version 3")).to_contain_text("chart.png")


def test_the_second_of_two_simultaneous_saves_gets_the_conflict_page(
    new_context, live_server, focal_point, coordinator, item
):
    sophea, dara = new_context().new_page(), new_context().new_page()
    log_in(sophea, live_server, focal_point.email)
    log_in(dara, live_server, coordinator.email)
    edit_url = live_server.url + reverse("national:status_edit", args=[item.pk])
    sophea.goto(edit_url)
    dara.goto(edit_url)

    fill_status(sophea, "Completed", "100", "Law adopted in March.")
    sophea.get_by_role("button", name="Save").click()
    expect(sophea.get_by_role("status")).to_have_text("Saved 1.1: Completed, 100 %.")
    fill_status(dara, "Planned", "10", "Consultations planned.")
    dara.get_by_role("button", name="Save").click()

    expect(dara.get_by_role("heading", level=1)).to_have_text(
        "Not saved: someone else changed action 1.1 meanwhile"
    )
    expect(dara.get_by_role("alert")).to_contain_text("Sophea saved version 1")
    both = dara.get_by_role("table", name="Saved version 1 beside the values you submitted")
    expect(row(both, "Status")).to_contain_text("Completed")
    expect(row(both, "Status")).to_contain_text("Planned")
    expect(row(both, "Narrative")).to_contain_text("Law adopted in March.")
    expect(both.get_by_label("Your narrative")).to_have_value("Consultations planned.")

    saved = NationalStatus.objects.get(member_state=focal_point.member_state, action_item=item)
    assert (saved.status, saved.progress, saved.narrative, saved.version) == (
        NationalStatus.Status.COMPLETED,
        100,
        "Law adopted in March.",
        1,
    )
    assert StatusHistory.objects.filter(national_status=saved).count() == 1
