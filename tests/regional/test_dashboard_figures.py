"""Dashboard figures against a small plan computed by hand (see small_plan.py)."""

import datetime

import pytest
from django.utils import timezone

from actions import queries
from actions.models import MonthlyActivity, NationalStatus, StatusHistory
from tests import factories, small_plan

Status = NationalStatus.Status


@pytest.fixture
def small(plan_2021):
    return small_plan.build(plan_2021)


def test_each_cell_shares_completed_and_averages_progress_over_applicable_items(small):
    figures = queries.plan_figures(small.plan)

    kh_fa1 = figures.cell(small.kh, small.fa1)
    # 1.1 completed (100), 1.2 in progress (40), 1.3 never updated (0): 1 of 3, 140 / 3.
    assert (kh_fa1.applicable, kh_fa1.completed) == (3, 1)
    assert kh_fa1.completed_share == pytest.approx(100 / 3)
    assert kh_fa1.average_progress == pytest.approx(140 / 3)
    # 2.1 not applicable is left out: only 2.2 planned (10) counts.
    kh_fa2 = figures.cell(small.kh, small.fa2)
    assert (kh_fa2.total, kh_fa2.applicable, kh_fa2.not_applicable) == (2, 1, 1)
    assert kh_fa2.completed_share == 0
    assert kh_fa2.average_progress == 10
    # 1.1 not applicable; 1.2 ongoing (60), 1.3 completed (100): 1 of 2, 160 / 2.
    my_fa1 = figures.cell(small.my, small.fa1)
    assert my_fa1.completed_share == 50
    assert my_fa1.average_progress == 80
    # 2.1 never updated (0), 2.2 in progress (50).
    my_fa2 = figures.cell(small.my, small.fa2)
    assert my_fa2.average_progress == 25


def test_never_updated_items_count_as_not_started(small):
    figures = queries.plan_figures(small.plan)

    kh_fa1 = figures.cell(small.kh, small.fa1)
    assert kh_fa1.never_updated == 1
    assert kh_fa1.counts[Status.NOT_STARTED] == 1
    my_fa2 = figures.cell(small.my, small.fa2)
    assert my_fa2.counts[Status.NOT_STARTED] == 1


def test_state_focus_area_and_regional_totals(small):
    figures = queries.plan_figures(small.plan)

    kh = figures.state_total(small.kh)
    assert (kh.applicable, kh.completed, kh.average_progress) == (4, 1, 37.5)  # 150 / 4
    my = figures.state_total(small.my)
    assert (my.applicable, my.completed, my.average_progress) == (4, 1, 52.5)  # 210 / 4
    fa1 = figures.area_total(small.fa1)
    assert (fa1.applicable, fa1.completed_share, fa1.average_progress) == (5, 40, 60)
    fa2 = figures.area_total(small.fa2)
    assert (fa2.applicable, fa2.completed, fa2.average_progress) == (3, 0, 20)
    overall = figures.overall
    assert (overall.total, overall.applicable, overall.completed) == (10, 8, 2)
    assert (overall.completed_share, overall.average_progress) == (25, 45)  # 360 / 8
    assert overall.counts == {
        Status.NOT_STARTED: 2,
        Status.PLANNED: 1,
        Status.IN_PROGRESS: 2,
        Status.COMPLETED: 2,
        Status.ONGOING: 1,
        Status.NOT_APPLICABLE: 2,
    }


def test_timor_leste_is_not_a_member_of_the_2021_plan_and_never_counts(small):
    figures = queries.plan_figures(small.plan)

    tl = next(state for state in figures.states if state.code == "TL")
    assert tl.reports_on_plan is False
    assert figures.cell(tl, small.fa1) is None
    assert figures.state_total(tl) is None
    assert [s.code for s in figures.reporting_states] == ["KH", "MY"]
    assert figures.overall.total == 10  # 2 states × 5 items, none of Timor-Leste's


def test_a_stray_status_of_a_state_that_did_not_report_is_not_counted(small):
    factories.make_status(small.tl, small.items["1.1"], status=Status.COMPLETED, progress=100)

    assert queries.plan_figures(small.plan).overall.completed == 2


def test_stale_counts_updated_statuses_last_changed_before_the_cutoff(small, settings):
    settings.STALE_AFTER_DAYS = 90
    figures = queries.plan_figures(small.plan)

    assert figures.state_total(small.kh).stale == 1  # 1.2
    assert figures.state_total(small.my).stale == 2  # 1.2, 1.3
    assert figures.state_total(small.kh).never_updated == 1

    later = timezone.now() + datetime.timedelta(days=91)
    assert queries.plan_figures(small.plan, now=later).overall.stale == 8


def test_figures_for_one_state_only(small):
    figures = queries.plan_figures(small.plan, member_state=small.kh)

    assert [s.code for s in figures.states] == ["KH"]
    assert figures.overall.average_progress == 37.5
    assert [(area.number, t.completed) for area, t in figures.by_focus_area()] == [(1, 1), (2, 0)]


def test_a_plan_without_statuses_reads_all_not_started(plan_2021, cambodia):
    area = factories.make_focus_area(plan_2021)
    factories.make_item(area)
    factories.make_item(area)

    overall = queries.plan_figures(plan_2021).overall

    assert overall.counts[Status.NOT_STARTED] == 2
    assert (overall.average_progress, overall.completed_share) == (0, 0)


def test_an_empty_tally_has_no_share_or_average():
    tally = queries.Tally()

    assert tally.completed_share is None
    assert tally.average_progress is None


@pytest.mark.parametrize("more", [0, 30])
def test_plan_figures_take_three_queries_whatever_the_data(small, django_assert_num_queries, more):
    for _ in range(more):
        item = factories.make_item(small.fa2)
        factories.make_status(small.kh, item, status=Status.IN_PROGRESS, progress=5)

    # The states, the focus areas with their item counts, the grouped statuses.
    with django_assert_num_queries(3):
        figures = queries.plan_figures(small.plan)
        figures.overall, figures.by_state(), figures.by_focus_area()


def test_item_tally_over_every_reporting_state(small):
    tally = queries.item_tally(small.items["1.1"])

    assert tally.counts[Status.COMPLETED] == 1
    assert tally.counts[Status.NOT_APPLICABLE] == 1
    assert (tally.applicable, tally.average_progress) == (1, 100)

    never = queries.item_tally(small.items["2.1"])
    assert never.counts[Status.NOT_STARTED] == 1
    assert never.never_updated == 1


def test_item_across_states_reads_never_updated_as_not_started(small):
    rows = list(queries.item_across_states(small.items["1.3"], queries.MemberState.objects.all()))

    by_code = {row.code: row for row in rows}
    assert (by_code["KH"].status, by_code["KH"].progress, by_code["KH"].status_id) == (
        Status.NOT_STARTED,
        0,
        None,
    )
    assert (by_code["MY"].status, by_code["MY"].progress) == (Status.COMPLETED, 100)
    assert by_code["MY"].narrative == "Malaysia narrative on 1.3"


def _history(status, when, changes):
    return StatusHistory.objects.create(
        national_status=status,
        version=StatusHistory.objects.filter(national_status=status).count() + 1,
        changed_at=when,
        changes=changes,
    )


def test_monthly_activity_counts_changes_and_completions_with_empty_months(small):
    now = timezone.make_aware(datetime.datetime(2026, 3, 15, 12))
    status = small.statuses["KH", "1.1"]
    _history(status, now - datetime.timedelta(days=1), {"status": ["planned", "completed"]})
    _history(status, now - datetime.timedelta(days=2), {"narrative": ["", "x"]})
    _history(status, now - datetime.timedelta(days=60), {"progress": [0, 10]})
    _history(status, now - datetime.timedelta(days=400), {"progress": [0, 5]})  # too old

    months = queries.monthly_activity(small.plan, months=3, now=now)

    assert [(m.month.isoformat(), m.changes, m.completions) for m in months] == [
        ("2026-01-01", 1, 0),
        ("2026-02-01", 0, 0),
        ("2026-03-01", 2, 1),
    ]


def _counted_from_history(plan, months, now, member_state=None, focus_area=None):
    """The monthly activity as counting the history rows in the current zone gives it."""
    rows = StatusHistory.objects.filter(national_status__action_item__plan=plan)
    if member_state is not None:
        rows = rows.filter(national_status__member_state=member_state)
    if focus_area is not None:
        rows = rows.filter(national_status__action_item__focus_area=focus_area)
    found = {}
    for row in rows:
        month = timezone.localtime(row.changed_at).date().replace(day=1)
        changes, completions = found.get(month, (0, 0))
        completed = row.changes.get("status", [None, None])[1] == Status.COMPLETED
        found[month] = (changes + 1, completions + completed)
    shown = queries.monthly_activity(
        plan, member_state, months=months, now=now, focus_area=focus_area
    )
    return [(m.month, *found.get(m.month, (0, 0))) for m in shown]


def _as_tuples(months):
    return [(m.month, m.changes, m.completions) for m in months]


ZONES = ["UTC", "Asia/Jakarta", "Asia/Bangkok", "Asia/Yangon", "Asia/Manila", "America/New_York"]


@pytest.mark.parametrize("zone", ZONES)
def test_monthly_activity_counts_each_change_in_its_month_of_the_viewers_time_zone(small, zone):
    """The counts are kept per month of one zone (Jakarta's); a change near a month's start
    still counts in the month it fell in where the viewer is."""
    utc = datetime.UTC
    completed = {"status": ["in_progress", "completed"]}
    for when in [
        datetime.datetime(2026, 1, 31, 16, 59, tzinfo=utc),  # Feb 1, 00:00 or later eastwards
        datetime.datetime(2026, 1, 31, 17, 0, tzinfo=utc),
        datetime.datetime(2026, 1, 31, 23, 59, tzinfo=utc),
        datetime.datetime(2026, 2, 1, 0, 0, tzinfo=utc),
        datetime.datetime(2026, 2, 1, 3, 0, tzinfo=utc),  # still January in New York
        datetime.datetime(2026, 2, 28, 17, 30, tzinfo=utc),
        datetime.datetime(2026, 3, 1, 2, 0, tzinfo=utc),
        datetime.datetime(2025, 12, 31, 18, 0, tzinfo=utc),  # before the first month in Asia
    ]:
        _history(small.statuses["KH", "1.1"], when, completed)
        _history(small.statuses["MY", "2.2"], when, {"progress": [0, 10]})
    now = datetime.datetime(2026, 3, 10, tzinfo=utc)

    with timezone.override(zone):
        every = queries.monthly_activity(small.plan, months=3, now=now)
        assert _as_tuples(every) == _counted_from_history(small.plan, 3, now)
        kh = queries.monthly_activity(small.plan, small.kh, months=3, now=now, focus_area=small.fa1)
        assert _as_tuples(kh) == _counted_from_history(small.plan, 3, now, small.kh, small.fa1)
        my = queries.monthly_activity(small.plan, months=3, now=now, focus_area=small.fa1)
        assert _as_tuples(my) == _as_tuples(kh)  # Malaysia's changes are in focus area 2

    assert sum(m.changes for m in every) >= 12
    assert sum(m.completions for m in every) >= 6


def test_the_kept_counts_are_those_of_the_history_rows(small):
    for n, status in enumerate(small.statuses.values()):
        _history(status, timezone.now(), {"status": ["planned", "completed"]} if n % 2 else {})
    kept = set(
        MonthlyActivity.objects.values_list(
            "focus_area", "member_state", "month", "changes", "completions"
        )
    )

    MonthlyActivity.objects.rebuild()

    again = set(
        MonthlyActivity.objects.values_list(
            "focus_area", "member_state", "month", "changes", "completions"
        )
    )
    assert kept == again
    assert sum(row[3] for row in again) == StatusHistory.objects.count() == len(small.statuses)


def test_an_action_moved_to_another_focus_area_takes_its_changes_along(small):
    now = timezone.now()
    status = small.statuses["KH", "1.1"]
    _history(status, now, {"progress": [0, 10]})
    _history(small.statuses["KH", "1.2"], now, {"progress": [0, 20]})

    def last_month(area):
        return queries.monthly_activity(small.plan, now=now, focus_area=area)[-1].changes

    assert (last_month(small.fa1), last_month(small.fa2)) == (2, 0)
    item = status.action_item
    item.focus_area = small.fa2
    item.save()

    assert (last_month(small.fa1), last_month(small.fa2)) == (1, 1)
