"""Review what was submitted: the frozen evidence, live changes shown as such, comments at
their action, evidence reviewed from the report page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actions import evidence as ev
from reviews import services
from tests import factories
from tests.factories import png_bytes
from tests.reviews.conftest import bring_to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def report_url(report):
    return reverse("reviews:report_detail", args=[report.round_id, "KH"])


@pytest.fixture
def submitted(report, items, focal_point, coordinator, reviewer, media):
    """Cambodia's report submitted with a file and a link on its first action."""
    factories.save_status(focal_point, items[0])
    upload = SimpleUploadedFile("chart.png", png_bytes(), content_type="image/png")
    file = ev.evidence_add_file(user=focal_point, item=items[0], file=upload, title="Chart")
    link = ev.evidence_add_link(
        user=focal_point, item=items[0], title="Gazette", url="https://example.org/gazette"
    )
    bring_to(report, "submitted", coordinator=coordinator, reviewer=reviewer)
    return {"file": file, "link": link}


def test_the_snapshot_keeps_each_file_by_its_stored_identity(report, submitted):
    entry = {e["title"]: e for e in report.submissions.get().items.get(code="1.1").evidence}

    assert entry["Chart"]["id"] == submitted["file"].pk
    assert entry["Chart"]["stored"] == submitted["file"].file.name
    assert entry["Gazette"]["url"] == "https://example.org/gazette"


def test_the_reviewer_sees_what_was_submitted_and_what_changed_since(
    sign_in, report, items, submitted, focal_point, reviewer
):
    ev.evidence_withdraw(user=focal_point, evidence_id=submitted["file"].pk)
    ev.evidence_add_link(
        user=focal_point, item=items[0], title="Newer decree", url="https://example.org/new"
    )
    client = sign_in(reviewer)

    page = client.get(report_url(report)).content.decode()

    download = reverse("national:evidence_download", args=[submitted["file"].pk])
    assert download in page  # the submitted file, though withdrawn since
    assert "Withdrawn since submission" in page
    assert "Added since submission</span> Newer decree" in page
    assert "Changed since submission" in page
    assert b"".join(client.get(download).streaming_content) == png_bytes()


def test_evidence_added_since_is_listed_escaped_with_a_review_link_for_reviewers(
    sign_in, report, items, submitted, focal_point, reviewer
):
    added = ev.evidence_add_link(
        user=focal_point, item=items[0], title="Decree <b>2</b>", url="https://example.org/2"
    )
    review = reverse("reviews:evidence_review", args=[added.pk])
    badge = '<li><span class="badge live-change">Added since submission</span> '

    reviewers_page = sign_in(reviewer).get(report_url(report)).content.decode()
    focal_points_page = sign_in(focal_point).get(report_url(report)).content.decode()

    title = "Decree &lt;b&gt;2&lt;/b&gt;"
    assert (
        f'{badge}{title} · <a href="{review}">Review<span class="visually-hidden"> {title}</span>'
        "</a></li>"
    ) in reviewers_page
    assert f"{badge}{title}</li>" in focal_points_page


def test_evidence_is_reviewed_from_the_report_page(
    sign_in, report, submitted, reviewer, coordinator
):
    review = reverse("reviews:evidence_review", args=[submitted["link"].pk])

    reviewers_page = sign_in(reviewer).get(report_url(report)).content.decode()
    coordinators_page = sign_in(coordinator).get(report_url(report)).content.decode()

    assert review in reviewers_page
    assert review not in coordinators_page


def test_a_review_since_submission_is_shown_beside_the_submitted_evidence(
    sign_in, report, submitted, reviewer
):
    services.evidence_review(
        user=reviewer, evidence_id=submitted["link"].pk, decision="needs_more", comment="Date?"
    )

    page = sign_in(reviewer).get(report_url(report)).content.decode()

    assert "Now: Needs more" in page


def test_item_comments_are_shown_at_their_action(sign_in, report, items, submitted, reviewer):
    services.comment_add(user=reviewer, report=report, body="Which decree?", action_item=items[0])
    services.comment_add(user=reviewer, report=report, body="Overall fine.")

    page = sign_in(reviewer).get(report_url(report)).content.decode()

    table = page[page.index('<table class="items">') : page.index("</table>")]
    assert f'id="thread-item-{items[0].pk}"' in table and "Which decree?" in table
    assert "Overall fine." not in table and 'id="thread-report"' in page


def test_the_country_sees_the_submitted_state_of_a_returned_report(
    sign_in, report, items, submitted, coordinator, reviewer, focal_point
):
    services.report_return(user=reviewer, report=report, comment="Add the signed copy.")
    ev.evidence_withdraw(user=focal_point, evidence_id=submitted["link"].pk)

    page = sign_in(coordinator).get(report_url(report)).content.decode()

    assert "Gazette" in page and "Withdrawn since submission" in page


def test_the_evidence_review_says_whether_the_evidence_was_submitted(
    sign_in, report, items, submitted, reviewer, focal_point
):
    newer = ev.evidence_add_link(
        user=focal_point, item=items[0], title="Newer", url="https://example.org/new"
    )
    client = sign_in(reviewer)

    in_it = client.get(reverse("reviews:evidence_review", args=[submitted["link"].pk]))
    since = client.get(reverse("reviews:evidence_review", args=[newer.pk]))

    assert "Part of Cambodia's latest submission of this action (#1" in in_it.content.decode()
    assert "Added since submission" in since.content.decode()


def test_an_action_with_much_evidence_shows_the_first_five_of_each_kind_and_counts_the_rest(
    sign_in, report, items, focal_point, coordinator, reviewer
):
    def links(prefix, count):
        for n in range(count):
            ev.evidence_add_link(
                user=focal_point, item=items[0], title=f"{prefix} {n}", url=f"https://ex.org/{n}"
            )

    factories.save_status(focal_point, items[0])
    links("Decree", 7)
    bring_to(report, "submitted", coordinator=coordinator, reviewer=reviewer)
    links("Newer", 8)
    for viewer in (reviewer, focal_point):
        response = sign_in(viewer).get(report_url(report))
        (row,) = [r for r in response.context["rows"] if r.item.action_item_id == items[0].pk]
        page = response.content.decode()

        assert [e.entry["title"] for e in row.evidence] == [f"Decree {n}" for n in range(5)]
        assert [e.live.title for e in row.evidence] == [f"Decree {n}" for n in range(5)]
        assert [e.title for e in row.added_since] == [f"Newer {n}" for n in range(5)]
        assert (row.more_evidence, row.more_added) == (2, 3)
        assert "and 2 more submitted: <a" in page
        assert "and 3 more added since submission: <a" in page
