"""reviews.queries: the change counts since the previous round, kept at acceptance."""

import pytest

from actions.models import NationalStatus
from reviews import queries, services
from reviews.models import ChangeCount, CountryReport, ReportingRound, SubmissionItem
from tests import factories
from tests.conftest import shared_data
from tests.reviews.conftest import accepted_report, make_two_rounds, update

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


@pytest.fixture(scope="module")
def rounds(shared_world, django_db_blocker):
    """Cambodia's and Malaysia's reports accepted in two rounds; Cambodia changed two actions
    in between (one progress, one status with its progress emptied). Made once for the
    module: the two rounds' ids."""
    rows = shared_world[0]
    cambodia, malaysia, items = rows["cambodia"], rows["malaysia"], rows["items"]
    focal_point, reviewer = rows["focal_point"], rows["reviewer"]
    with shared_data(django_db_blocker):
        first, second = make_two_rounds(rows["plan_2026"])
        update(focal_point, items[0], 20)
        update(focal_point, items[1], 50)
        accepted_report(first, cambodia, rows["coordinator"], reviewer)
        update(focal_point, items[0], 60)
        update(focal_point, items[2], None, status=NationalStatus.Status.NOT_APPLICABLE)
        accepted_report(second, cambodia, rows["coordinator"], reviewer)
        accepted_report(first, malaysia, rows["other_coordinator"], reviewer)
        accepted_report(second, malaysia, rows["other_coordinator"], reviewer)
        # accepted_report moves a round's dates while it accepts: count with the rounds as
        # they are.
        for state in (cambodia, malaysia):
            queries.keep_change_counts(rows["plan_2026"].pk, state.pk)
        yield first.pk, second.pk


@pytest.fixture
def accepted_twice(rounds):
    return tuple(ReportingRound.objects.get(pk=pk) for pk in rounds)


def _listed(plan, area=None):
    return [
        sum(area is None or i.focus_area_number == area for i in c.items)
        for c in queries.changes_since_previous_round(plan)
    ]


def test_the_change_counts_are_kept_at_acceptance_and_read_in_two_queries(
    plan_2026, accepted_twice, items, django_assert_num_queries
):
    first, second = accepted_twice
    area_1, area_2 = items[0].focus_area.number, items[2].focus_area.number

    # The accepted submissions, then the kept counts (a pair without them takes a third).
    with django_assert_num_queries(2):
        counted = queries.change_counts_since_previous_round(plan_2026)
    in_area_2 = queries.change_counts_since_previous_round(plan_2026, focus_area_number=area_2)

    assert [(c.member_state.code, c.count) for c in counted] == [("KH", 2), ("MY", 0)]
    assert [c.count for c in counted] == _listed(plan_2026)
    assert [c.count for c in in_area_2] == _listed(plan_2026, area_2) == [1, 0]
    in_area_1 = queries.change_counts_since_previous_round(plan_2026, focus_area_number=area_1)
    assert [c.count for c in in_area_1] == [1, 0]
    with_second = queries.change_counts_since_previous_round(plan_2026, reporting_round=second)
    assert [(c.previous.report.round, c.count) for c in with_second] == [(first, 2), (first, 0)]
    assert queries.change_counts_since_previous_round(plan_2026, reporting_round=first) == []


def test_a_pair_without_kept_counts_is_counted_in_sql_like_the_listed_changes(
    plan_2026, accepted_twice, cambodia, items
):
    # An action only in Cambodia's earlier snapshot, and one only in its later one (added to
    # the plan between the rounds): each counts as changed, in its own focus area.
    first, second = accepted_twice
    earlier, later = (
        CountryReport.objects.get(round=r, member_state=cambodia).accepted_submission
        for r in (first, second)
    )
    for submission, item in (
        (earlier, factories.make_item(items[2].focus_area)),
        (later, factories.make_item(items[0].focus_area)),
    ):
        SubmissionItem.objects.create(
            submission=submission,
            action_item=item,
            code=item.code,
            title=item.title,
            focus_area_number=item.focus_area.number,
            status="not_started",
            progress=None,
        )
    ChangeCount.objects.all().delete()

    counted = queries.change_counts_since_previous_round(plan_2026)

    assert [(c.member_state.code, c.count) for c in counted] == [("KH", 4), ("MY", 0)]
    assert [c.count for c in counted] == _listed(plan_2026)
    for area in (items[0].focus_area.number, items[2].focus_area.number):
        in_area = queries.change_counts_since_previous_round(plan_2026, focus_area_number=area)
        assert [c.count for c in in_area] == _listed(plan_2026, area) == [2, 0]
    queries.keep_change_counts(plan_2026.pk, cambodia.pk)
    kept = ChangeCount.objects.get(submission=later, previous=earlier, focus_area_number=None)
    assert kept.count == 4


def test_a_reopened_report_changes_which_submissions_are_compared(
    plan_2026, accepted_twice, cambodia, reviewer
):
    first, second = accepted_twice
    report = CountryReport.objects.get(round=second, member_state=cambodia)

    services.report_reopen(user=reviewer, report=report, reason="Figures wrong.")

    assert [c.member_state.code for c in queries.change_counts_since_previous_round(plan_2026)] == [
        "MY"
    ]
