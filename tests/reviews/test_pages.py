"""The review pages: rounds, a state's report, compliance, evidence review; by role and state."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from actions import evidence as ev
from actions.models import Evidence, NationalStatus
from reviews import services
from reviews.models import Comment, CountryReport, ReportingRound, Submission
from tests import factories
from tests.query_counts import assert_flat
from tests.reviews.conftest import (
    bring_to,
    everything,
    make_round,
    submit_data,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def report_url(reporting_round, code="KH", action=None):
    if action is None:
        return reverse("reviews:report_detail", args=[reporting_round.pk, code])
    return reverse(f"reviews:report_{action}", args=[reporting_round.pk, code])


# --- Rounds --------------------------------------------------------------------------------------


def test_the_rounds_page_shows_the_open_round_time_left_and_past_rounds(
    sign_in, plan_2026, coordinator
):
    make_round(plan_2026, "2026 annual", opens=-3, due=12, closes=30)
    make_round(plan_2026, "2025 pilot", opens=-100, due=-90, closes=-80)
    make_round(plan_2026, "2027 annual", opens=60, due=80, closes=90)
    client = sign_in(coordinator)

    response = client.get(reverse("reviews:round_list"))

    page = response.content.decode()
    assert [r.name for r in response.context["open_rounds"]] == ["2026 annual"]
    assert [r.name for r in response.context["past_rounds"]] == ["2025 pilot"]
    assert [r.name for r in response.context["upcoming_rounds"]] == ["2027 annual"]
    assert "12 days left" in page
    assert "Cambodia's report" in page
    assert "Create a round" not in page


def test_the_rounds_page_queries_do_not_grow_with_rounds(sign_in, plan_2026, coordinator):
    make_round(plan_2026, "2026 annual", opens=-3, due=12, closes=30)
    make_round(plan_2026, "2025 pilot", opens=-100, due=-90, closes=-80)
    make_round(plan_2026, "2027 annual", opens=60, due=80, closes=90)

    def past_rounds():
        for year in range(2015, 2025):
            days = (year - 2026) * 365
            make_round(plan_2026, f"{year} annual", opens=days, due=days + 10, closes=days + 20)

    client = sign_in(coordinator)

    assert_flat(client, "reviews:round_list", reverse("reviews:round_list"), past_rounds)


def test_the_secretariat_creates_a_round(sign_in, plan_2026, secretariat):
    client = sign_in(secretariat)
    data = {
        "plan": plan_2026.pk,
        "name": "  2026   annual ",
        "opens_on": "2026-02-01",
        "due_on": "2026-03-31",
        "closes_on": "2026-04-30",
    }

    response = client.post(reverse("reviews:round_create"), data)

    assert response.status_code == 302
    created = ReportingRound.objects.get()
    assert (created.name, created.created_by, created.due_on) == (
        "2026 annual",
        secretariat,
        datetime.date(2026, 3, 31),
    )


@pytest.mark.parametrize(
    "dates, message",
    [
        ({"opens_on": "0001-01-01"}, "Give a date from 01 January 2000 on."),
        ({"closes_on": "9999-12-31"}, "Give a date up to 31 December 2100."),
        ({"due_on": "2025-02-30"}, "Enter a real date"),
        ({"due_on": "2026-01-15"}, "the due date cannot be before the opening date"),
        ({"closes_on": "2026-03-01"}, "nor the closing date before the due date"),
        ({"opens_on": "abc"}, "Enter a real date"),
        ({"opens_on": "2024-02-01"}, "opens between 2026 and 2031"),
        ({"name": ""}, "This field is required."),
        ({"name": "NUL\x00"}, "NUL character"),
    ],
)
def test_bad_round_input_gets_a_form_error_and_creates_nothing(
    sign_in, plan_2026, secretariat, dates, message
):
    data = {
        "plan": plan_2026.pk,
        "name": "2026 annual",
        "opens_on": "2026-02-01",
        "due_on": "2026-03-31",
        "closes_on": "2026-04-30",
        **dates,
    }

    response = sign_in(secretariat).post(reverse("reviews:round_create"), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert ReportingRound.objects.count() == 0


def test_a_second_round_with_the_same_name_or_overlapping_dates_is_refused(
    sign_in, plan_2026, secretariat
):
    make_round(
        plan_2026,
        "2026 annual",
        opens_on=datetime.date(2026, 2, 1),
        due_on=datetime.date(2026, 3, 1),
        closes_on=datetime.date(2026, 4, 1),
    )
    client = sign_in(secretariat)
    base = {"plan": plan_2026.pk, "due_on": "2026-03-15", "closes_on": "2026-03-20"}

    same_name = client.post(
        reverse("reviews:round_create"),
        {
            **base,
            "name": "2026 annual",
            "opens_on": "2026-06-01",
            "due_on": "2026-06-02",
            "closes_on": "2026-06-03",
        },
    )
    overlap = client.post(
        reverse("reviews:round_create"), {**base, "name": "Extra", "opens_on": "2026-03-10"}
    )

    assert same_name.status_code == overlap.status_code == 400
    assert "already has a round of that name" in same_name.content.decode()
    assert "overlap the round “2026 annual”" in overlap.content.decode()
    assert ReportingRound.objects.count() == 1


def test_a_closed_plan_is_not_offered_for_new_rounds(sign_in, plan_2021, plan_2026, secretariat):
    response = sign_in(secretariat).get(reverse("reviews:round_create"))

    assert list(response.context["form"].fields["plan"].queryset) == [plan_2026]


# --- A state's report ----------------------------------------------------------------------------


def test_reading_the_report_page_writes_nothing_and_the_first_submit_starts_the_report(
    sign_in, open_round, cambodia, malaysia, focal_point, coordinator, reviewer, items
):
    sign_in(reviewer).get(report_url(open_round, "MY"))
    response = sign_in(focal_point).get(report_url(open_round))
    sign_in(coordinator).get(reverse("reviews:report_check", args=[open_round.pk, "KH"]))

    assert response.status_code == 200
    assert CountryReport.objects.count() == 0

    draft = CountryReport(round=open_round, member_state=cambodia)
    response = sign_in(coordinator).post(
        report_url(open_round, action="submit"), submit_data(draft)
    )

    assert response.status_code == 302
    report = CountryReport.objects.get()
    assert (report.member_state, report.state) == (cambodia, "submitted")


@pytest.mark.parametrize("action", [None, "submit", "return", "accept", "reopen"])
def test_another_states_report_answers_404_and_changes_nothing(
    sign_in, open_round, malaysia, cambodia, other_coordinator, coordinator, reviewer, items, action
):
    report = services.report_for(reporting_round=open_round, member_state=cambodia)
    bring_to(report, "submitted", coordinator=coordinator, reviewer=reviewer)
    before = everything()
    client = sign_in(other_coordinator)
    data = {"cover_note": "x", "comment": "x", "reason": "x", "body": "x"}

    if action is None:
        response = client.get(report_url(open_round, "KH"))
    else:
        response = client.post(report_url(open_round, "KH", action), data)
    comment = client.post(reverse("reviews:comment_add", args=[open_round.pk, "KH"]), data)

    assert (response.status_code, comment.status_code) == (404, 404)
    assert everything() == before


def test_a_state_that_does_not_report_on_the_plan_has_no_report(
    sign_in, plan_2021, timor_leste, reviewer
):
    old_round = make_round(plan_2021, "2025 final", opens=-5, due=5, closes=10)

    response = sign_in(reviewer).get(report_url(old_round, "TL"))

    assert response.status_code == 404


def test_only_the_coordinator_is_offered_the_submit_form(
    sign_in, open_round, focal_point, coordinator, items
):
    check = reverse("reviews:report_check", args=[open_round.pk, "KH"])
    coordinators_page = sign_in(coordinator).get(report_url(open_round)).content.decode()
    focal_points_page = sign_in(focal_point).get(report_url(open_round)).content.decode()
    coordinators_check = sign_in(coordinator).get(check).content.decode()
    focal_points_check = sign_in(focal_point).get(check).content.decode()

    assert "check the report</a>" in coordinators_page
    assert "Submit report" in coordinators_check
    assert "Submit report" not in focal_points_page + focal_points_check
    assert "national coordinator submits this report" in focal_points_page
    assert "national coordinator submits this report" in focal_points_check


def test_a_closed_round_offers_no_submit_form(sign_in, plan_2026, coordinator, items):
    closed = make_round(plan_2026, opens=-30, due=-20, closes=-1)

    page = sign_in(coordinator).get(report_url(closed)).content.decode()

    assert "Submit report" not in page
    assert "The round is not open" in page


def test_reviewers_are_offered_return_and_accept_for_a_submitted_report(
    sign_in, report, coordinator, reviewer, items
):
    bring_to(report, "submitted", coordinator=coordinator, reviewer=reviewer)

    page = sign_in(reviewer).get(report_url(report.round)).content.decode()

    assert "Return report" in page and "Accept report" in page
    assert "Reopen report" not in page


def test_the_page_shows_the_timeline_snapshot_and_threads_escaped(
    sign_in, report, coordinator, reviewer, focal_point, items
):
    services.report_submit(user=coordinator, report=report, cover_note="<script>alert(1)</script>")
    services.report_return(user=reviewer, report=report, comment="<img src=x onerror=alert(1)>")
    services.comment_add(user=reviewer, report=report, body="On 1.1", action_item=items[0])

    page = sign_in(focal_point).get(report_url(report.round)).content.decode()

    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Submitted</strong> (submission #1)" in page
    assert "Returned</strong>" in page
    assert 'id="thread-report"' in page and f'id="thread-item-{items[0].pk}"' in page
    assert "Review national laws" in page  # the snapshot's rows


def test_earlier_submissions_can_be_shown(sign_in, report, coordinator, reviewer, items):
    bring_to(report, "returned", coordinator=coordinator, reviewer=reviewer)
    services.report_submit(user=coordinator, report=report, cover_note="Second try")
    client = sign_in(reviewer)

    latest = client.get(report_url(report.round))
    first = client.get(report_url(report.round), {"submission": "1"})
    nonsense = client.get(report_url(report.round), {"submission": "abc\x00"})

    assert latest.context["shown"].number == 2
    assert first.context["shown"].number == 1
    assert nonsense.context["shown"].number == 2


@pytest.mark.parametrize("viewer", ["coordinator", "reviewer"])
def test_the_report_page_queries_do_not_grow_with_items_submissions_or_comments(
    sign_in, report, coordinator, reviewer, focal_point, plan_2026, viewer
):
    area = factories.make_focus_area(plan_2026)

    def add(items, rounds, commented):
        for _ in range(items):
            factories.make_item(area)
        for n in range(rounds):
            services.report_submit(user=coordinator, report=report, cover_note=f"#{n}")
            services.report_return(user=reviewer, report=report, comment=f"Again {n}")
        for item in list(plan_2026.action_items.order_by("pk"))[commented]:
            services.comment_add(user=reviewer, report=report, body="?", action_item=item)
            services.comment_add(user=focal_point, report=report, body="!", action_item=item)

    add(1, 1, slice(0, 1))
    client = sign_in({"coordinator": coordinator, "reviewer": reviewer}[viewer])

    assert_flat(
        client, "reviews:report_detail", report_url(report.round), lambda: add(10, 2, slice(1, 6))
    )


# --- Moves through the pages (every role × move × report state: test_moves.py) -------------------


def test_moves_are_refused_without_a_csrf_token(report, items, coordinator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)

    response = client.post(report_url(report.round, action="submit"), {"cover_note": "x"})

    assert response.status_code == 403
    report.refresh_from_db()
    assert report.state == "draft"


def test_a_return_without_a_comment_shows_the_form_again(
    sign_in, report, items, coordinator, reviewer
):
    bring_to(report, "submitted", coordinator=coordinator, reviewer=reviewer)

    response = sign_in(reviewer).post(report_url(report.round, action="return"), {"comment": " "})

    assert response.status_code == 400
    assert "Comment for the member state is required." in response.content.decode()
    report.refresh_from_db()
    assert report.state == "submitted"


def test_a_huge_cover_note_is_a_form_error(sign_in, report, items, coordinator):
    response = sign_in(coordinator).post(
        report_url(report.round, action="submit"), submit_data(report, cover_note="x" * 10_001)
    )

    assert response.status_code == 400
    assert Submission.objects.count() == 0


def test_the_moves_are_post_only(sign_in, report, coordinator):
    for move in ("submit", "return", "accept", "reopen"):
        assert sign_in(coordinator).get(report_url(report.round, action=move)).status_code == 405


# --- Comments through the page -------------------------------------------------------------------


def comment_url(reporting_round, code="KH"):
    return reverse("reviews:comment_add", args=[reporting_round.pk, code])


def test_a_reviewer_comments_on_an_item_and_the_state_replies(
    sign_in, open_round, items, reviewer, focal_point, cambodia
):
    first = sign_in(reviewer).post(comment_url(open_round), {"item": items[1].pk, "body": "?"})
    reply = sign_in(focal_point).post(comment_url(open_round), {"item": items[1].pk, "body": "!"})

    assert first.status_code == reply.status_code == 302
    assert reply["Location"].endswith(f"#comment-{Comment.objects.last().pk}")
    thread = Comment.objects.filter(report__member_state=cambodia, action_item=items[1])
    assert list(thread.values_list("body", flat=True)) == ["?", "!"]


def test_a_state_users_empty_reply_names_the_error_without_links_to_missing_fields(
    sign_in, open_round, items, reviewer, focal_point
):
    sign_in(reviewer).post(comment_url(open_round), {"item": items[1].pk, "body": "?"})

    response = sign_in(focal_point).post(comment_url(open_round), {"item": items[1].pk})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page
    targets = re.findall(r'href="#([^"]+)"', page)
    missing = [t for t in targets if f'id="{t}"' not in page and f"id='{t}'" not in page]
    assert missing == []


@pytest.mark.parametrize("item", ["999999", "abc", "1; DROP TABLE"])
def test_a_comment_on_an_unknown_item_is_a_form_error(
    sign_in, open_round, cambodia, items, reviewer, item
):
    response = sign_in(reviewer).post(comment_url(open_round), {"item": item, "body": "?"})

    assert response.status_code == 400
    assert "Choose one of this plan&#x27;s actions." in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_state_user_starting_a_thread_is_refused(sign_in, open_round, items, focal_point):
    response = sign_in(focal_point).post(comment_url(open_round), {"item": "", "body": "Hi"})

    assert response.status_code == 403
    assert Comment.objects.count() == 0


def test_observers_cannot_comment(sign_in, open_round, cambodia, items, observer, reviewer):
    sign_in(reviewer).post(comment_url(open_round), {"item": "", "body": "?"})

    response = sign_in(observer).post(comment_url(open_round), {"item": "", "body": "!"})

    assert response.status_code == 403
    assert Comment.objects.count() == 1


# --- Observers -----------------------------------------------------------------------------------


def test_observers_see_only_the_accepted_submission(
    sign_in, report, items, coordinator, reviewer, observer, focal_point
):
    bring_to(report, "submitted", coordinator=coordinator, reviewer=reviewer)
    services.comment_add(user=reviewer, report=report, body="Private remark")
    client = sign_in(observer)

    submitted = client.get(report_url(report.round))
    assert submitted.status_code == 200
    assert submitted.context["shown"] is None
    assert "has not been accepted" in submitted.content.decode()
    assert "Private remark" not in submitted.content.decode()

    services.report_accept(user=reviewer, report=report)
    accepted = client.get(report_url(report.round))
    assert accepted.context["shown"] == report.submissions.get()
    assert "Review national laws" in accepted.content.decode()
    assert "Private remark" not in accepted.content.decode()

    services.report_reopen(user=reviewer, report=report, reason="Wrong")
    assert client.get(report_url(report.round)).context["shown"] is None


def test_accepted_data_does_not_open_the_national_pages_to_observers(
    sign_in, report, items, coordinator, reviewer, observer
):
    bring_to(report, "accepted", coordinator=coordinator, reviewer=reviewer)
    client = sign_in(observer)

    for url in (
        reverse("national:state_workspace", args=["KH"]),
        reverse("national:state_status_detail", args=["KH", items[0].pk]),
    ):
        assert client.get(url).status_code == 403


# --- Compliance ----------------------------------------------------------------------------------


def test_compliance_shows_every_state_to_reviewers_and_observers(
    sign_in, open_round, cambodia, malaysia, timor_leste, coordinator, reviewer, observer, items
):
    report = services.report_for(reporting_round=open_round, member_state=cambodia)
    bring_to(report, "submitted", coordinator=coordinator, reviewer=reviewer)

    for user in (reviewer, observer):
        response = sign_in(user).get(reverse("reviews:compliance"))
        rows = response.context["rows"]
        assert [(r.state.code, r.report_state) for r in rows] == [
            ("KH", "submitted"),
            ("MY", "draft"),
            ("TL", "draft"),
        ]
        assert "Timor-Leste" in response.content.decode()


def test_state_users_see_the_regional_counts_and_their_own_row_only(
    sign_in, open_round, cambodia, malaysia, focal_point, items
):
    response = sign_in(focal_point).get(reverse("reviews:round_compliance", args=[open_round.pk]))

    page = response.content.decode()
    assert [r.state.code for r in response.context["rows"]] == ["KH"]
    assert response.context["summary"]["total"] == 2
    assert "Malaysia" not in page


def test_compliance_without_an_open_round_says_so(sign_in, plan_2026, reviewer):
    make_round(plan_2026, "Past", opens=-30, due=-20, closes=-10)

    response = sign_in(reviewer).get(reverse("reviews:compliance"))

    assert response.status_code == 200
    assert "No reporting round is open now." in response.content.decode()


def test_the_compliance_page_queries_do_not_grow_with_states(
    sign_in, open_round, cambodia, reviewer
):
    def more_states():
        for code in ["ID", "PH", "TH"]:
            state = factories.make_state(code)
            report = CountryReport.objects.create(round=open_round, member_state=state)
            services.comment_add(user=reviewer, report=report, body="?")

    client = sign_in(reviewer)

    assert_flat(client, "reviews:compliance", reverse("reviews:compliance"), more_states)

    assert len(client.get(reverse("reviews:compliance")).context["rows"]) == 2 + 3


def test_the_report_link_takes_a_state_user_to_the_open_rounds_report(
    sign_in, open_round, coordinator, reviewer
):
    response = sign_in(coordinator).get(reverse("reviews:my_report"))
    others = sign_in(reviewer).get(reverse("reviews:my_report"))

    assert response["Location"] == report_url(open_round)
    assert others["Location"] == reverse("reviews:compliance")


# --- Evidence review, and what the state sees of it ----------------------------------------------


@pytest.fixture
def evidence(items, focal_point, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return ev.evidence_add_link(
        user=focal_point, item=items[0], title="Decree", url="https://example.org/decree"
    )


def review_url(evidence):
    return reverse("reviews:evidence_review", args=[evidence.pk])


def test_needs_more_flags_the_item_in_the_states_workspace(
    sign_in, evidence, reviewer, focal_point, items
):
    response = sign_in(reviewer).post(
        review_url(evidence), {"decision": "needs_more", "comment": "Signed copy please."}
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"/national/states/KH/items/{items[0].pk}/#evidence")
    workspace = sign_in(focal_point).get(reverse("national:workspace"))
    page = workspace.content.decode()
    assert workspace.context["needing_more_evidence"] == 1
    assert "A reviewer asked for more evidence on <strong>1</strong> action" in page
    rows = {row.pk: row.evidence_needs_more for row in workspace.context["table"].data.data}
    assert rows == {items[0].pk: 1, items[1].pk: 0, items[2].pk: 0}
    detail = sign_in(focal_point).get(reverse("national:status_detail", args=[items[0].pk]))
    assert "Signed copy please." in detail.content.decode()


def test_accepting_the_evidence_clears_the_flag(sign_in, evidence, reviewer, focal_point):
    client = sign_in(reviewer)
    client.post(review_url(evidence), {"decision": "needs_more", "comment": "More"})
    client.post(review_url(evidence), {"decision": "accepted", "comment": ""})

    workspace = sign_in(focal_point).get(reverse("national:workspace"))

    assert workspace.context["needing_more_evidence"] == 0


@pytest.mark.parametrize(
    "data",
    [
        {"decision": "needs_more", "comment": ""},
        {"decision": "pending", "comment": "x"},
        {"decision": "", "comment": ""},
        {"decision": "accepted", "comment": "NUL\x00"},
    ],
)
def test_bad_review_input_is_a_form_error(sign_in, evidence, reviewer, data):
    response = sign_in(reviewer).post(review_url(evidence), data)

    assert response.status_code == 400
    evidence.refresh_from_db()
    assert evidence.review == Evidence.Review.PENDING


@pytest.mark.parametrize("role", ["focal_point", "coordinator", "observer"])
def test_only_reviewers_open_the_evidence_review(sign_in, request, evidence, role):
    client = sign_in(request.getfixturevalue(role))

    assert client.get(review_url(evidence)).status_code == 403
    assert client.post(review_url(evidence), {"decision": "accepted"}).status_code == 403
    evidence.refresh_from_db()
    assert evidence.review == Evidence.Review.PENDING


def test_reviewers_see_a_review_link_on_the_status_page(
    sign_in, evidence, reviewer, focal_point, items
):
    reviewers = sign_in(reviewer).get(
        reverse("national:state_status_detail", args=["KH", items[0].pk])
    )
    states = sign_in(focal_point).get(reverse("national:status_detail", args=[items[0].pk]))

    assert review_url(evidence) in reviewers.content.decode()
    assert review_url(evidence) not in states.content.decode()


def test_the_workspace_shows_the_open_round_and_the_report_state(
    sign_in, open_round, report, coordinator, reviewer, items
):
    bring_to(report, "returned", coordinator=coordinator, reviewer=reviewer)

    page = sign_in(coordinator).get(reverse("national:workspace")).content.decode()

    assert "Reporting round open: 2026 annual" in page
    assert '<span class="badge report-returned">Returned</span>' in page
    assert report_url(open_round) in page


def test_item_comments_appear_on_the_status_page_with_a_reply_link(
    sign_in, report, items, reviewer, focal_point
):
    services.comment_add(user=reviewer, report=report, body="Which decree?", action_item=items[0])

    page = (
        sign_in(focal_point)
        .get(reverse("national:status_detail", args=[items[0].pk]))
        .content.decode()
    )

    assert "Which decree?" in page
    assert f"{report_url(report.round)}#thread-item-{items[0].pk}" in page


def test_the_header_links_to_the_report_or_the_review(
    sign_in, open_round, coordinator, reviewer, observer
):
    assert ">Report</a>" in sign_in(coordinator).get(reverse("home")).content.decode()
    assert ">Review</a>" in sign_in(reviewer).get(reverse("home")).content.decode()
    assert ">Reporting</a>" in sign_in(observer).get(reverse("home")).content.decode()


@pytest.mark.parametrize("code", ["%00", "K%00", "KHM", "k", "%C3%A9%C3%A9"])
def test_a_malformed_state_code_answers_404(sign_in, open_round, cambodia, reviewer, code):
    response = sign_in(reviewer).get(f"/review/rounds/{open_round.pk}/states/{code}/")

    assert response.status_code == 404


def test_the_round_form_queries_do_not_grow_with_plans(sign_in, plan_2021, plan_2026, secretariat):
    def more_plans():
        for year in (2031, 2036, 2041):
            factories.make_plan(start_year=year, end_year=year + 4)

    client = sign_in(secretariat)

    assert_flat(client, "reviews:round_create", reverse("reviews:round_create"), more_plans)


def test_the_evidence_review_page_queries_do_not_grow_with_reviews(sign_in, evidence, reviewer):
    def more_reviews():
        for n in range(5):
            services.evidence_review(
                user=reviewer, evidence_id=evidence.pk, decision="needs_more", comment=f"#{n}"
            )

    client = sign_in(reviewer)

    assert_flat(client, "reviews:evidence_review", review_url(evidence), more_reviews)


def test_the_report_page_dates_each_actions_last_change_in_the_readers_zone(
    sign_in, report, coordinator, reviewer, items
):
    changed = datetime.datetime(2026, 3, 2, 2, 30, tzinfo=datetime.UTC)  # 2 Mar in Asia
    status = factories.make_status(report.member_state, items[0])
    NationalStatus.objects.filter(pk=status.pk).update(updated_at=changed)
    bring_to(report, "submitted", coordinator=coordinator, reviewer=reviewer)
    reviewer.time_zone = "America/New_York"
    reviewer.save()

    page = sign_in(reviewer).get(report_url(report.round)).content.decode()

    assert '<time datetime="2026-03-01T21:30:00-05:00">1 Mar 2026</time>' in page
