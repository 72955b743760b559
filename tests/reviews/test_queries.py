"""reviews.queries: compliance per state, and what changed since the previous round."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import Role
from actions.models import NationalStatus
from reviews import queries, services
from reviews.models import CountryReport
from tests import factories
from tests.reviews.conftest import accepted_report, bring_to, make_round, make_two_rounds, update

DAY = datetime.timedelta(days=1)


# --- Compliance ----------------------------------------------------------------------------------


def test_compliance_lists_every_state_reporting_on_the_plan(
    plan_2021, plan_2026, cambodia, malaysia, timor_leste
):
    old_round = make_round(plan_2021, "2025 final", opens=-5, due=5, closes=10)
    new_round = make_round(plan_2026, "2026 annual", opens=-5, due=5, closes=10)

    old = [row.state.code for row in queries.compliance_rows(old_round)]
    new = [row.state.code for row in queries.compliance_rows(new_round)]

    # Timor-Leste joined after RPA 2021–2025 was adopted: it reports from 2026–2030 on.
    assert old == ["KH", "MY"]
    assert new == ["KH", "MY", "TL"]


def test_a_state_without_a_report_is_a_draft_and_late_once_the_due_date_passed(plan_2026, cambodia):
    overdue = make_round(plan_2026, opens=-20, due=-3, closes=10)

    (row,) = queries.compliance_rows(overdue)

    assert (row.report, row.report_state, row.submitted_at) == (None, "draft", None)
    assert (row.days_late, row.is_late, row.last_activity) == (3, True, None)


def test_a_report_submitted_after_the_due_date_is_late_by_those_days(
    plan_2026, cambodia, coordinator, items
):
    overdue = make_round(plan_2026, opens=-20, due=-4, closes=10)
    report = CountryReport.objects.create(round=overdue, member_state=cambodia)
    services.report_submit(user=coordinator, report=report)

    (row,) = queries.compliance_rows(overdue)

    assert (row.report, row.report_state, row.days_late) == (report, "submitted", 4)
    assert row.submitted_at == row.last_submitted_at


def test_a_report_submitted_on_time_stays_on_time_after_a_late_resubmission(
    plan_2026, cambodia, coordinator, reviewer, items
):
    open_round = make_round(plan_2026, opens=-20, due=-5, closes=10)
    report = CountryReport.objects.create(round=open_round, member_state=cambodia)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - 10 * DAY):
        bring_to(report, "returned", coordinator=coordinator, reviewer=reviewer)
    services.report_submit(user=coordinator, report=report)

    (row,) = queries.compliance_rows(open_round)

    assert row.days_late == 0  # counted to the first submission, made before the due date
    assert row.last_submitted_at - row.submitted_at >= 10 * DAY


def test_lateness_of_a_missing_report_stops_counting_when_the_round_closes(plan_2026, cambodia):
    closed = make_round(plan_2026, opens=-60, due=-40, closes=-30)

    (row,) = queries.compliance_rows(closed)

    assert row.days_late == 10


def test_last_activity_is_the_latest_move_comment_or_status_change(
    open_round, cambodia, malaysia, focal_point, reviewer, items
):
    status = update(focal_point, items[0], 10)
    report = services.report_for(reporting_round=open_round, member_state=cambodia)
    comment = services.comment_add(user=reviewer, report=report, body="Hello")

    rows = {row.state.code: row for row in queries.compliance_rows(open_round)}

    assert rows["KH"].last_activity == max(status.updated_at, comment.created_at)
    assert rows["KH"].last_activity == comment.created_at
    assert rows["MY"].last_activity is None


@pytest.mark.parametrize("extra_states", [0, 3])
def test_compliance_takes_two_queries_however_many_states_reports_and_comments(
    plan_2026, open_round, cambodia, reviewer, items, django_assert_num_queries, extra_states
):
    for code in ["ID", "PH", "TH"][:extra_states]:
        state = factories.make_state(code)
        report = CountryReport.objects.create(round=open_round, member_state=state)
        for n in range(3):
            services.comment_add(user=reviewer, report=report, body=f"Comment {n}")

    with django_assert_num_queries(2):  # the states, then the round's reports
        rows = queries.compliance_rows(open_round)

    assert len(rows) == 1 + extra_states


def test_the_compliance_summary_counts_states_by_report_state(
    open_round, cambodia, malaysia, coordinator, reviewer, items
):
    report = services.report_for(reporting_round=open_round, member_state=cambodia)
    bring_to(report, "accepted", coordinator=coordinator, reviewer=reviewer)

    summary = queries.compliance_summary(queries.compliance_rows(open_round))

    assert summary["total"] == 2
    assert summary["by_state"] == {"draft": 1, "submitted": 0, "returned": 0, "accepted": 1}
    assert summary["late"] == 0


# --- Change since the previous round -------------------------------------------------------------


@pytest.fixture
def two_rounds(plan_2026):
    return make_two_rounds(plan_2026)


def test_changes_since_the_previous_round_compare_the_two_latest_accepted_submissions(
    plan_2026, two_rounds, cambodia, focal_point, coordinator, reviewer, items
):
    first, second = two_rounds
    update(focal_point, items[0], 20)
    update(focal_point, items[1], 50)
    accepted_report(first, cambodia, coordinator, reviewer)
    update(focal_point, items[0], 60)
    update(focal_point, items[2], 100, status=NationalStatus.Status.COMPLETED)
    accepted_report(second, cambodia, coordinator, reviewer)

    (state_changes,) = queries.changes_since_previous_round(plan_2026)

    assert state_changes.member_state == cambodia
    assert state_changes.previous.report.round == first
    assert state_changes.current.report.round == second
    changes = [
        (c.code, c.old_status, c.new_status, c.old_progress, c.new_progress, c.progress_change)
        for c in state_changes.items
    ]
    assert changes == [
        (items[0].code, "in_progress", "in_progress", 20, 60, 40),
        (items[2].code, "not_started", "completed", 0, 100, 100),
    ]
    assert state_changes.items[1].status_changed
    assert state_changes.items[1].new_status_label == "Completed"


def test_states_with_fewer_than_two_accepted_submissions_are_left_out(
    plan_2026, two_rounds, cambodia, malaysia, coordinator, reviewer, items
):
    first, second = two_rounds
    accepted_report(first, cambodia, coordinator, reviewer)
    other = factories.make_user(Role.COORDINATOR, malaysia)
    accepted_report(first, malaysia, other, reviewer)
    accepted_report(second, malaysia, other, reviewer)

    changes = queries.changes_since_previous_round(plan_2026)

    assert [c.member_state for c in changes] == [malaysia]
    assert queries.changes_since_previous_round(plan_2026, member_state=cambodia) == []


def test_a_reopened_report_no_longer_counts_as_accepted(
    plan_2026, two_rounds, cambodia, focal_point, coordinator, reviewer, items
):
    first, second = two_rounds
    accepted_report(first, cambodia, coordinator, reviewer)
    report = accepted_report(second, cambodia, coordinator, reviewer)
    services.report_reopen(user=reviewer, report=report, reason="Figures wrong.")

    assert queries.changes_since_previous_round(plan_2026) == []


def test_changes_between_two_submissions_of_one_report(
    open_round, cambodia, focal_point, coordinator, reviewer, items
):
    report = services.report_for(reporting_round=open_round, member_state=cambodia)
    first = services.report_submit(user=coordinator, report=report)
    services.report_return(user=reviewer, report=report, comment="Update 1.2")
    update(focal_point, items[1], 30)
    second = services.report_submit(user=coordinator, report=report)

    changes = queries.changes_between(first, second)

    assert [(c.code, c.old_progress, c.new_progress) for c in changes] == [(items[1].code, 0, 30)]


@pytest.mark.parametrize("states", [1, 3])
def test_changes_since_the_previous_round_take_two_queries(
    plan_2026, two_rounds, cambodia, coordinator, reviewer, items, django_assert_num_queries, states
):
    first, second = two_rounds
    for n, code in enumerate(["KH", "ID", "PH"][:states]):
        state = cambodia if n == 0 else factories.make_state(code)
        user = coordinator if n == 0 else factories.make_user(Role.COORDINATOR, state)
        accepted_report(first, state, user, reviewer)
        accepted_report(second, state, user, reviewer)

    with django_assert_num_queries(2):  # the accepted submissions, then their items
        changes = queries.changes_since_previous_round(plan_2026)

    assert len(changes) == states


# --- The workspace's helpers ---------------------------------------------------------------------


def test_the_open_round_comes_with_the_states_report_state(
    plan_2026, open_round, cambodia, coordinator, reviewer, items
):
    assert queries.open_round_with_report(plan_2026, cambodia).report_state_label == "Not started"

    report = services.report_for(reporting_round=open_round, member_state=cambodia)
    bring_to(report, "returned", coordinator=coordinator, reviewer=reviewer)

    found = queries.open_round_with_report(plan_2026, cambodia)
    assert (found.round, found.report_state_label) == (open_round, "Returned")


def test_no_open_round_means_no_banner(plan_2026, cambodia):
    make_round(plan_2026, opens=5, due=10, closes=20)

    assert queries.open_round_with_report(plan_2026, cambodia) is None
