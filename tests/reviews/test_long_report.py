"""A long report: its actions paged, its figures whole, its threads found on any page."""

import pytest
from django.http import HttpResponse
from django.urls import reverse

from reviews import documents, services
from reviews.models import CountryReport
from tests import factories
from tests.conftest import shared_data
from tests.reviews.conftest import make_round

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def report_url(reporting_round):
    return reverse("reviews:report_detail", args=[reporting_round.pk, "KH"])


def comment_url(reporting_round):
    return reverse("reviews:comment_add", args=[reporting_round.pk, "KH"])


@pytest.fixture(scope="module")
def long_report_id(shared_world, django_db_blocker):
    """Cambodia's report submitted with 3 + 117 = 120 actions, a thread on one of page 3's:
    made once for the module."""
    rows = shared_world[0]
    with shared_data(django_db_blocker):
        plan = rows["plan_2026"]
        report = CountryReport.objects.create(round=make_round(plan), member_state=rows["cambodia"])
        area = factories.make_focus_area(plan)
        for _ in range(117):
            factories.make_item(area)
        services.report_submit(user=rows["coordinator"], report=report)
        last = plan.action_items.order_by("-position").first()
        services.comment_add(
            user=rows["reviewer"], report=report, body="About the last one", action_item=last
        )
        yield report.pk


@pytest.fixture
def long_report(long_report_id):
    return CountryReport.objects.get(pk=long_report_id)


def test_a_long_report_lists_its_actions_fifty_a_page_with_every_figure(
    sign_in, long_report, reviewer
):
    client = sign_in(reviewer)

    first = client.get(report_url(long_report.round))
    third = client.get(report_url(long_report.round), {"submission": "1", "page": "3"})

    assert [len(r.context["rows"]) for r in (first, third)] == [50, 20]
    codes = [row.item.code for row in first.context["rows"] + third.context["rows"]]
    assert len(set(codes)) == 70
    assert first.context["item_count"] == 120
    assert first.context["status_counts"] == [("not_started", "Not started", 120)]
    page = first.content.decode()
    assert "120 actions: 120 not started." in page
    assert "(120 actions; 1–50 here)" in page
    assert "?submission=1&amp;page=2#snapshot-heading" in page
    # The thread on an action of page 3 is in the comments section of page 1, and at its row on
    # page 3; the new comment's select offers the actions of the page shown.
    last = long_report.comments.get().action_item
    assert [t.item for t in first.context["other_threads"]] == [last]
    assert [t.item for t in third.context["other_threads"]] == []
    assert "About the last one" in page
    offered = {pk for pk, _ in first.context["new_comment_form"].fields["item"].choices if pk}
    assert offered == {row.item.action_item_id for row in first.context["rows"]}


def test_the_pdf_of_a_long_report_lists_every_action(sign_in, long_report, reviewer, monkeypatch):
    seen = {}

    def capture(name, template, context, request):
        seen.update(context)
        return HttpResponse(b"%PDF")

    monkeypatch.setattr(documents, "pdf_response", capture)
    url = reverse("reviews:report_pdf", args=[long_report.round.pk, "KH"])

    assert sign_in(reviewer).get(url).status_code == 200
    assert len(seen["actions"]) == seen["figures"]["items"] == 120


def test_a_comment_on_an_action_of_another_page_is_still_taken(sign_in, long_report, reviewer):
    last = long_report.comments.get().action_item

    response = sign_in(reviewer).post(
        comment_url(long_report.round), {"item": last.pk, "body": "?"}
    )

    assert response.status_code == 302
    assert long_report.comments.filter(action_item=last).count() == 2
