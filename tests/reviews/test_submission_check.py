"""The check before a submission: what it finds, the confirmation, and the round's blocks."""

import pytest
from django.urls import reverse

from actions import evidence as ev
from actions.models import NationalStatus
from reviews import services
from reviews.models import CountryReport, ReportingRound, Submission
from reviews.queries import submission_check
from tests import factories
from tests.query_counts import assert_flat
from tests.reviews.conftest import submit_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


Status = NationalStatus.Status


def check_url(reporting_round, code="KH"):
    return reverse("reviews:report_check", args=[reporting_round.pk, code])


def submit_url(reporting_round, code="KH"):
    return reverse("reviews:report_submit", args=[reporting_round.pk, code])


@pytest.fixture
def gaps(items, focal_point, reviewer, cambodia):
    """One gap of each kind: 1.1 never updated, 1.2 in progress without evidence, 2.1
    completed with evidence a reviewer asked more of, and a fourth item planned with an
    empty narrative (saved before narratives were required)."""
    never, no_evidence, asked_more = items
    factories.save_status(focal_point, no_evidence, status=Status.IN_PROGRESS, progress=40)
    factories.save_status(focal_point, asked_more, status=Status.COMPLETED, progress=100)
    link = ev.evidence_add_link(
        user=focal_point, item=asked_more, title="Decree", url="https://example.org/decree"
    )
    services.evidence_review(
        user=reviewer, evidence_id=link.pk, decision="needs_more", comment="Signed copy?"
    )
    silent = factories.make_item(never.focus_area, title="Draft a code of conduct")
    factories.make_status(cambodia, silent, status=Status.PLANNED, progress=10, narrative="")
    return {"never": never, "no_evidence": no_evidence, "asked_more": asked_more, "silent": silent}


def test_the_check_finds_each_kind_of_gap(open_round, cambodia, gaps):
    check = submission_check(open_round, cambodia)

    found = {finding.key: finding.rows for finding in check.findings}
    assert found["never_updated"] == [gaps["never"]]
    assert found["missing_narrative"] == [gaps["silent"]]
    assert found["missing_evidence"] == [gaps["no_evidence"]]
    assert [e.title for e in found["unanswered_evidence"]] == ["Decree"]
    assert check.counts == {
        "never_updated": 1,
        "missing_narrative": 1,
        "missing_evidence": 1,
        "unanswered_evidence": 1,
    }


def test_newer_evidence_answers_a_request_for_more(open_round, cambodia, gaps, focal_point):
    ev.evidence_add_link(
        user=focal_point,
        item=gaps["asked_more"],
        title="Signed decree",
        url="https://example.org/signed",
    )

    assert submission_check(open_round, cambodia).counts["unanswered_evidence"] == 0


def test_the_check_page_lists_the_gaps_with_links_to_the_actions(
    sign_in, open_round, coordinator, gaps, reviewer
):
    page = sign_in(coordinator).get(check_url(open_round)).content.decode()
    reviewers_page = sign_in(reviewer).get(check_url(open_round)).content.decode()

    for item in gaps.values():
        assert reverse("national:status_detail", args=[item.pk]) in page
        assert reverse("national:state_status_detail", args=["KH", item.pk]) in reviewers_page
    assert "Signed copy?" in page
    assert (
        "I have read the check and submit the report with: 1 never updated; 1 status needs a "
        "narrative and has none; 1 in progress or completed without evidence; 1 evidence the "
        "reviewer asked more of, not answered." in page
    )
    assert "Submit report" not in reviewers_page


def test_observers_and_other_states_cannot_see_the_check(
    sign_in, open_round, observer, other_coordinator, malaysia, gaps
):
    assert sign_in(observer).get(check_url(open_round)).status_code == 403
    assert sign_in(other_coordinator).get(check_url(open_round)).status_code == 404


def test_submitting_needs_the_confirmation(sign_in, open_round, cambodia, coordinator, gaps):
    draft = CountryReport(round=open_round, member_state=cambodia)
    data = submit_data(draft)
    del data["confirm"]

    response = sign_in(coordinator).post(submit_url(open_round), data)

    assert response.status_code == 400
    assert "Tick the confirmation" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_confirmation_of_counts_that_changed_meanwhile_is_refused(
    sign_in, open_round, cambodia, coordinator, focal_point, gaps
):
    data = submit_data(CountryReport(round=open_round, member_state=cambodia))
    ev.evidence_add_link(
        user=focal_point, item=gaps["no_evidence"], title="Plan", url="https://example.org/plan"
    )

    response = sign_in(coordinator).post(submit_url(open_round), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "The check changed since you read it" in page
    assert "0 in progress or completed without evidence" in page  # the new counts to confirm
    assert not Submission.objects.exists()


def test_the_submission_records_the_confirmed_counts_and_the_report_shows_them(
    sign_in, open_round, cambodia, coordinator, reviewer, gaps
):
    data = submit_data(CountryReport(round=open_round, member_state=cambodia))

    response = sign_in(coordinator).post(submit_url(open_round), data)

    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.check_counts["never_updated"] == 1
    page = sign_in(reviewer).get(response.url).content.decode()
    assert "Submitted with: 1 never updated;" in page


@pytest.mark.parametrize(
    "block",
    [
        "block_never_updated",
        "block_missing_narrative",
        "block_missing_evidence",
        "block_unanswered_evidence",
    ],
)
def test_a_round_can_make_a_gap_block_submission(
    sign_in, open_round, report, coordinator, gaps, block
):
    ReportingRound.objects.filter(pk=open_round.pk).update(**{block: True})
    report.refresh_from_db()

    with pytest.raises(services.SubmissionBlocked):
        services.report_submit(user=coordinator, report=report)
    page = sign_in(coordinator).get(check_url(open_round)).content.decode()

    assert "does not accept a report with" in page
    assert "Submit report" not in page
    assert not Submission.objects.exists()


def test_a_gap_the_round_does_not_block_on_lets_the_report_go(open_round, report, coordinator):
    ReportingRound.objects.filter(pk=open_round.pk).update(block_missing_evidence=True)
    report.refresh_from_db()

    submission = services.report_submit(user=coordinator, report=report)  # never updated only

    assert submission.check_counts == {
        "never_updated": 3,
        "missing_narrative": 0,
        "missing_evidence": 0,
        "unanswered_evidence": 0,
    }


def test_the_secretariat_sets_the_blocks_when_creating_a_round(sign_in, secretariat, plan_2026):
    data = {
        "plan": plan_2026.pk,
        "name": "2027 annual",
        "opens_on": "2027-01-01",
        "due_on": "2027-02-01",
        "closes_on": "2027-03-01",
        "block_never_updated": "on",
        "block_unanswered_evidence": "on",
    }

    response = sign_in(secretariat).post(reverse("reviews:round_create"), data)

    assert response.status_code == 302
    created = ReportingRound.objects.get(name="2027 annual")
    assert (created.block_never_updated, created.block_missing_narrative) == (True, False)
    assert (created.block_missing_evidence, created.block_unanswered_evidence) == (False, True)


def test_the_check_page_queries_do_not_grow_with_items_or_evidence(
    sign_in, open_round, report, coordinator, focal_point, reviewer, plan_2026
):
    area = factories.make_focus_area(plan_2026)

    def items_with_evidence_asked_more_of(count):
        for _ in range(count):
            item = factories.make_item(area)
            factories.save_status(focal_point, item, status=Status.COMPLETED, progress=100)
            link = ev.evidence_add_link(
                user=focal_point, item=item, title="Report", url="https://example.org/r"
            )
            services.evidence_review(
                user=reviewer, evidence_id=link.pk, decision="needs_more", comment="More?"
            )

    items_with_evidence_asked_more_of(1)
    client = sign_in(coordinator)

    assert_flat(
        client,
        "reviews:report_check",
        check_url(open_round),
        lambda: items_with_evidence_asked_more_of(10),
    )
