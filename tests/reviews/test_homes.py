"""A home for every role: "My work" in the header."""

import datetime

import pytest
from django.db import models
from django.urls import reverse
from django.utils import timezone

from actions import evidence as ev
from reviews import services
from reviews.models import ReportTransition
from tests import factories
from tests.query_counts import assert_flat
from tests.reviews.conftest import bring_to, make_round

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


HOME = reverse("reviews:home")


def test_the_header_links_every_signed_in_user_to_their_work(sign_in, focal_point, reviewer):
    page = sign_in(reviewer).get(reverse("reviews:round_list")).content.decode()

    assert f'href="{HOME}"' in page and "My work" in page


def test_focal_points_land_on_what_needs_attention(sign_in, focal_point):
    assert sign_in(focal_point).get(HOME).url == reverse("national:workspace")


def test_observers_get_each_states_latest_accepted_report_as_table_and_csv(
    sign_in, report, items, coordinator, reviewer, observer, malaysia, other_coordinator
):
    bring_to(report, "accepted", coordinator=coordinator, reviewer=reviewer)
    submitted_only = services.report_for(reporting_round=report.round, member_state=malaysia)
    services.report_submit(user=other_coordinator, report=submitted_only)
    client = sign_in(observer)

    page = client.get(HOME).content.decode()

    table = reverse("reviews:report_detail", args=[report.round_id, "KH"]) + "?submission=1"
    csv = reverse("reports:round_report_csv", args=[report.round_id, "KH"]) + "?submission=1"
    assert table in page and csv in page
    assert "Malaysia" not in page  # submitted, not accepted
    assert client.get(csv).status_code == 200


def test_the_reviewer_queue_lists_reports_oldest_first_with_days_waiting(
    sign_in,
    plan_2026,
    items,
    cambodia,
    malaysia,
    coordinator,
    other_coordinator,
    reviewer,
    focal_point,
):
    reporting_round = make_round(plan_2026, opens=-30, due=-2, closes=20)
    older = services.report_for(reporting_round=reporting_round, member_state=malaysia)
    newer = services.report_for(reporting_round=reporting_round, member_state=cambodia)
    services.report_submit(user=other_coordinator, report=older)
    services.report_submit(user=coordinator, report=newer)
    # Malaysia's came in three days ago (past the append-only guard, as a test may).
    three_days_ago = timezone.now() - datetime.timedelta(days=3)
    models.QuerySet.update(ReportTransition.objects.filter(report=older), at=three_days_ago)
    link = ev.evidence_add_link(
        user=focal_point, item=items[0], title="Gazette", url="https://example.org/g"
    )

    page = sign_in(reviewer).get(HOME).content.decode()

    assert page.index("Malaysia · 2026 annual") < page.index("Cambodia · 2026 annual")
    assert "waiting 3 days" in page and "waiting 0 days" in page
    assert reverse("reviews:evidence_review", args=[link.pk]) in page


def test_returned_reports_and_overdue_states_are_in_the_queue(
    sign_in, plan_2026, items, cambodia, malaysia, coordinator, reviewer
):
    reporting_round = make_round(plan_2026, opens=-30, due=-5, closes=20)
    report = services.report_for(reporting_round=reporting_round, member_state=cambodia)
    bring_to(report, "returned", coordinator=coordinator, reviewer=reviewer)

    page = sign_in(reviewer).get(HOME).content.decode()

    returned = page[page.index("Returned, awaiting the country") : page.index("States overdue")]
    assert "Cambodia · 2026 annual" in returned
    overdue = page[page.index("States overdue") : page.index("Evidence awaiting review")]
    assert "Malaysia" in overdue and "5 days late" in overdue
    assert "Cambodia" not in overdue


def test_the_coordinator_sees_the_round_the_check_and_what_the_reviewer_asked(
    sign_in, open_round, report, items, coordinator, reviewer
):
    bring_to(report, "returned", coordinator=coordinator, reviewer=reviewer)

    page = sign_in(coordinator).get(HOME).content.decode()

    assert "Returned" in page
    assert "3 never updated" in page
    assert reverse("reviews:report_check", args=[open_round.pk, "KH"]) in page
    assert "Please add evidence." in page


def test_the_secretariat_sees_rounds_compliance_invitations_and_accounts(
    sign_in, open_round, secretariat, cambodia
):
    from accounts.services import invitation_create

    invitation_create(
        invited_by=secretariat, email="new@example.org", role="focal_point", member_state=cambodia
    )

    page = sign_in(secretariat).get(HOME).content.decode()

    assert "2026 annual" in page and "Compliance in 2026 annual" in page
    assert "Pending invitations (1)" in page and "new@example.org" in page
    assert "active" in page and reverse("admin:accounts_user_changelist") in page


def test_the_queue_queries_do_not_grow(
    sign_in, open_round, plan_2026, cambodia, malaysia, reviewer, focal_point
):
    area = factories.make_focus_area(plan_2026)

    def evidence_awaiting_review(count):
        for _ in range(count):
            item = factories.make_item(area)
            ev.evidence_add_link(
                user=focal_point, item=item, title="G", url="https://example.org/g"
            )

    evidence_awaiting_review(1)
    client = sign_in(reviewer)

    assert_flat(client, "reviews:home", HOME, lambda: evidence_awaiting_review(10))


def test_the_coordinator_home_queries_do_not_grow(
    sign_in, open_round, report, plan_2026, coordinator, reviewer, focal_point
):
    area = factories.make_focus_area(plan_2026)

    def more_items_with_evidence(count):
        for _ in range(count):
            item = factories.make_item(area)
            ev.evidence_add_link(
                user=focal_point, item=item, title="G", url="https://example.org/g"
            )

    more_items_with_evidence(1)
    bring_to(report, "returned", coordinator=coordinator, reviewer=reviewer)

    assert_flat(sign_in(coordinator), "reviews:home", HOME, lambda: more_items_with_evidence(10))


def test_the_secretariat_home_queries_do_not_grow(
    sign_in, open_round, cambodia, malaysia, secretariat
):
    def invitations(first, count):
        for n in range(first, first + count):
            factories.make_invitation(secretariat, f"p{n}@example.org", member_state=cambodia)

    invitations(0, 1)

    assert_flat(sign_in(secretariat), "reviews:home", HOME, lambda: invitations(1, 12))
