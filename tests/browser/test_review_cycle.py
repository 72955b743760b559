"""One full review cycle in real browsers: the coordinator submits, a reviewer returns the
report with a comment, the coordinator fixes a status and resubmits, the reviewer accepts."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reviews.models import CountryReport
from tests import factories
from tests.conftest import PASSWORD
from tests.reviews.conftest import make_round

pytestmark = pytest.mark.browser

ITEM_TITLE = "Review national laws against online child abuse"


@pytest.fixture
def item(plan_2026):
    area = factories.make_focus_area(plan_2026, title="National legal frameworks")
    return factories.make_item(area, code="1.1", title=ITEM_TITLE)


def log_in(page, live_server, email):
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def report_state(page):
    return page.get_by_role("definition").filter(has=page.locator(".badge")).first


def test_a_report_is_submitted_returned_fixed_resubmitted_and_accepted(
    new_context, live_server, coordinator, reviewer, cambodia, item, plan_2026
):
    make_round(plan_2026, "2026 annual")
    dara, maria = new_context().new_page(), new_context().new_page()

    # Dara, Cambodia's coordinator, finds the open round on her workspace and submits.
    log_in(dara, live_server, coordinator.email)
    dara.goto(live_server.url + reverse("national:workspace"))
    banner = dara.get_by_role("region", name="Reporting round open: 2026 annual")
    expect(banner).to_contain_text("Not started")
    banner.get_by_role("link", name="Open the report to submit it").click()
    expect(dara.get_by_role("heading", level=1)).to_contain_text("Cambodia: report for 2026 annual")
    dara.get_by_role("link", name="check the report").click()
    dara.get_by_label("Cover note (optional)").fill("All actions reviewed by the CNCC.")
    dara.get_by_label("I have read the check and submit the report with").check()
    dara.get_by_role("button", name="Submit report").click()
    expect(dara.get_by_role("status")).to_have_text(
        "Report submitted. The reviewers have been told."
    )
    expect(report_state(dara)).to_contain_text("Submitted")
    report_url = dara.url

    # Maria, an ACWC reviewer, returns it with a comment.
    log_in(maria, live_server, reviewer.email)
    maria.goto(report_url)
    expect(
        maria.get_by_role(
            "table", name="Cambodia's status of every action in submission #1 (1 action)"
        )
    ).to_contain_text("Not started")
    maria.get_by_label("Comment for the member state").fill("Action 1.1: what has been done?")
    maria.get_by_role("button", name="Return report").click()
    expect(maria.get_by_role("status")).to_have_text(
        "Report returned to the member state with your comment."
    )

    # Dara sees the comment, fixes the status and submits again.
    dara.reload()
    expect(report_state(dara)).to_contain_text("Returned")
    expect(dara.locator("#thread-report")).to_contain_text("Action 1.1: what has been done?")
    dara.goto(live_server.url + reverse("national:status_edit", args=[item.pk]))
    dara.get_by_label("In progress", exact=True).check()
    dara.get_by_label("Progress (%)").fill("50")
    dara.get_by_label("Narrative").fill("Draft law sent to parliament.")
    dara.get_by_role("button", name="Save").click()
    expect(dara.get_by_role("status")).to_have_text("Saved 1.1: In progress, 50 %.")
    dara.goto(report_url)
    # The returned report opens at what the reviewer asked, which links the check.
    asked = dara.locator("#asked")
    expect(asked).to_contain_text("What the reviewer asked")
    asked.get_by_role("link", name="check the report").click()
    dara.get_by_label("Cover note (optional)").fill("1.1 updated.")
    dara.get_by_label("I have read the check and submit the report with").check()
    dara.get_by_role("button", name="Submit report").click()
    expect(report_state(dara)).to_contain_text("Submitted")

    # Maria finds the fix in the second submission and accepts it.
    maria.reload()
    second = maria.get_by_role(
        "table", name="Cambodia's status of every action in submission #2 (1 action)"
    )
    expect(second).to_contain_text("In progress")
    expect(second).to_contain_text("50 %")
    maria.get_by_role("button", name="Accept report").click()
    expect(maria.get_by_role("status")).to_have_text("Report accepted: the submission is locked.")
    expect(report_state(maria)).to_contain_text("Accepted")

    dara.reload()
    expect(report_state(dara)).to_contain_text("Accepted")
    report = CountryReport.objects.get()
    assert (report.state, report.accepted_submission.number) == ("accepted", 2)
    assert list(report.transitions.values_list("to_state", flat=True)) == [
        "submitted",
        "returned",
        "submitted",
        "accepted",
    ]
