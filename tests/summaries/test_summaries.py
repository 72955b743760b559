"""Progress summaries: figures against the small plan computed by hand, and exactly one summary
per (period, scope, plan) however often and however concurrently the job runs."""

import datetime
import io
import json
import threading

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Role
from actions.models import NationalStatus
from summaries import summaries
from summaries.models import ProgressSummary
from summaries.summaries import Period, compute_figures, period_before, period_containing
from tests import factories, small_plan
from tests.conftest import service_missing

from .summary_helpers import (
    CURRENT,
    FINISHED,
    TODAY,
    make_round,
    make_summary,
    open_small_plan,
    run_twice_at_once,
    submit,
)

Status = NationalStatus.Status


@pytest.fixture
def small(plan_2021):
    return open_small_plan(plan_2021)


def figures_of(small, period=CURRENT):
    return compute_figures(small.plan, period, today=TODAY, now=timezone.now())


# --- Periods -------------------------------------------------------------------------------------


def test_a_weekly_period_is_the_iso_week_monday_to_sunday():
    assert period_containing(datetime.date(2026, 11, 25)) == Period(
        datetime.date(2026, 11, 23), datetime.date(2026, 11, 29)
    )
    assert period_containing(datetime.date(2026, 11, 23)).start == datetime.date(2026, 11, 23)
    assert period_containing(datetime.date(2026, 11, 29)).start == datetime.date(2026, 11, 23)
    assert period_before(datetime.date(2026, 11, 23)) == Period(
        datetime.date(2026, 11, 16), datetime.date(2026, 11, 22)
    )
    # Across a year end: ISO week 1 of 2027 starts on 4 January 2027.
    assert period_before(datetime.date(2027, 1, 4)).start == datetime.date(2026, 12, 28)


def test_a_monthly_period_is_the_calendar_month():
    assert period_containing(datetime.date(2028, 2, 14), "month") == Period(
        datetime.date(2028, 2, 1), datetime.date(2028, 2, 29)
    )
    assert period_before(datetime.date(2027, 1, 1), "month") == Period(
        datetime.date(2026, 12, 1), datetime.date(2026, 12, 31)
    )


# --- Figures -------------------------------------------------------------------------------------


def test_region_figures_match_the_hand_computed_small_plan(small):
    region = figures_of(small)[None]

    # Cambodia and Malaysia × 5 items; Timor-Leste does not report on 2021–2025.
    assert (region["states"], region["pairs"]) == (2, 10)
    assert region["status_counts"] == {
        "not_started": 2,  # KH 1.3 and MY 2.1, never updated
        "planned": 1,
        "in_progress": 2,
        "completed": 2,
        "ongoing": 1,
        "not_applicable": 2,
    }
    # 8 applicable pairs; progress 100+40+0+10 + 60+100+0+50 = 360.
    assert (region["applicable"], region["completed"]) == (8, 2)
    assert region["completed_share"] == 25.0
    assert region["average_progress"] == 45.0
    # KH 1.2, MY 1.2 and MY 1.3 last changed 400 days ago.
    assert (region["never_updated"], region["stale"]) == (2, 3)
    # 1.2 (ended 2022) is in progress in KH, ongoing in MY; 1.3 (2023) never updated in KH.
    assert region["overdue"] == 2
    assert region["compliance"] is None
    assert region["change"] is None


def test_region_figures_per_focus_area(small):
    areas = figures_of(small)[None]["focus_areas"]

    assert [(a["number"], a["title"]) for a in areas] == [
        (1, "Legal frameworks"),
        (2, "Services for child victims"),
    ]
    # Area 1: 100, 40, 0 | n/a, 60, 100 → 300 / 5; area 2: n/a, 10 | 0, 50 → 60 / 3.
    assert [(a["pairs"], a["applicable"], a["completed"]) for a in areas] == [(6, 5, 2), (4, 3, 0)]
    assert [a["average_progress"] for a in areas] == [60.0, 20.0]
    assert [a["completed_share"] for a in areas] == [40.0, 0.0]


def test_state_figures_match_the_hand_computed_small_plan(small):
    computed = figures_of(small)
    kh, my = computed[small.kh.pk], computed[small.my.pk]

    assert set(computed) == {None, small.kh.pk, small.my.pk}  # no summary for Timor-Leste
    assert (kh["pairs"], kh["applicable"], kh["completed"]) == (5, 4, 1)
    assert (kh["average_progress"], kh["completed_share"]) == (37.5, 25.0)  # 150 / 4
    assert (my["average_progress"], my["completed_share"]) == (52.5, 25.0)  # 210 / 4
    assert [a["average_progress"] for a in kh["focus_areas"]] == [46.7, 10.0]  # 140/3, 10/1
    assert (kh["stale"], my["stale"]) == (1, 2)
    assert [item["code"] for item in kh["stale_items"]] == ["1.2"]
    assert [item["code"] for item in my["stale_items"]] == ["1.2", "1.3"]
    assert [(i["code"], i["status"], i["end_year"]) for i in kh["overdue_items"]] == [
        ("1.2", "in_progress", 2022),
        ("1.3", "not_started", 2023),
    ]
    assert (my["overdue"], my["overdue_items"]) == (0, [])


def test_a_region_summary_names_no_member_state(small):
    submit(make_round(small.plan), small.kh)

    region = figures_of(small)[None]

    text = json.dumps(region)
    for state in (small.kh, small.my, small.tl):
        assert state.name not in text
        assert f'"{state.code}"' not in text
    assert region["stale_items"] == region["overdue_items"] == []


def test_compliance_of_the_open_round(small):
    # Due 20 November; on 25 November Cambodia has submitted (on the 19th), Malaysia not.
    submit(make_round(small.plan), small.kh)

    computed = figures_of(small)

    region = computed[None]["compliance"]
    assert (region["round"], region["due_on"]) == ("2026 annual", "2026-11-20")
    assert region["states"] == 2
    assert region["by_state"] == {"draft": 1, "submitted": 1, "returned": 0, "accepted": 0}
    assert (region["late"], region["overdue_reports"]) == (1, 1)
    kh, my = computed[small.kh.pk]["compliance"], computed[small.my.pk]["compliance"]
    assert (kh["report_state"], kh["days_late"], kh["overdue"]) == ("submitted", 0, False)
    assert (my["report_state"], my["days_late"], my["overdue"]) == ("draft", 5, True)


def test_no_compliance_when_no_round_is_open(small):
    make_round(
        small.plan,
        opens_on=TODAY + datetime.timedelta(days=1),
        due_on=TODAY + datetime.timedelta(days=9),
        closes_on=TODAY + datetime.timedelta(days=20),
    )

    assert figures_of(small)[None]["compliance"] is None


def test_the_region_figures_from_accepted_reports_count_only_states_with_one(small):
    coordinator = factories.make_user(Role.COORDINATOR, small.kh)
    reviewer = factories.make_user(Role.REVIEWER)
    small_plan.accept_report(
        small_plan.make_round(small.plan), coordinator=coordinator, reviewer=reviewer
    )

    computed = figures_of(small)

    accepted = computed[None]["accepted"]
    # Cambodia's accepted snapshot: completed 100, in progress 40, never updated, n/a, 10.
    assert (accepted["states"], accepted["pairs"], accepted["applicable"]) == (1, 5, 4)
    assert (accepted["average_progress"], accepted["completed_share"]) == (37.5, 25.0)
    assert accepted["never_updated"] == 1
    assert [a["average_progress"] for a in accepted["focus_areas"]] == [46.7, 10.0]
    assert "accepted" not in computed[small.kh.pk]


def test_an_observer_sees_only_the_accepted_figures_of_a_region_summary(small, observer):
    make_summary(small.plan, None, accepted={"states": 1, "average_progress": 37.5})

    figures = ProgressSummary.objects.get().figures_for(observer)

    assert figures["accepted_only"]
    assert (figures["states"], figures["average_progress"]) == (1, 37.5)
    assert figures["stale_items"] == figures["overdue_items"] == []
    assert figures["compliance"] is figures["overdue"] is None


def test_change_since_the_latest_final_summary_of_the_same_scope(small):
    before = period_before(FINISHED.start)
    make_summary(
        small.plan,
        None,
        before,
        average_progress=40.0,
        completed_share=12.5,
        status_counts={"completed": 1, "not_started": 4},
        stale=1,
        overdue=2,
        focus_areas=[{"number": 1, "average_progress": 50.0}],
    )
    make_summary(small.plan, None, FINISHED, final=False, average_progress=99.0)  # not final

    change = figures_of(small)[None]["change"]

    assert change["since"] == before.start.isoformat()
    assert (change["average_progress"], change["completed_share"]) == (5.0, 12.5)
    assert change["status_counts"]["completed"] == 1
    assert change["status_counts"]["not_started"] == -2
    assert change["status_counts"]["planned"] == 1
    assert (change["stale"], change["overdue"]) == (2, 0)
    assert change["focus_areas"] == {"1": 10.0, "2": None}


def test_figures_take_a_fixed_number_of_queries(small, django_assert_num_queries):
    submit(make_round(small.plan), small.kh)
    make_summary(small.plan, None, period_before(FINISHED.start))

    # States, focus areas, grouped statuses; stale statuses; ended items and their statuses;
    # the open round, its reports and states; the previous summaries' periods, then rows;
    # accepted submissions, states and focus areas (and their snapshot rows, once any).
    with django_assert_num_queries(14):
        figures_of(small)
    for code in ("ID", "PH", "TH"):
        factories.make_state(code)
    with django_assert_num_queries(14):
        assert figures_of(small)[None]["states"] == 5


# --- Making summaries: exactly one per (period, scope, plan) ------------------------------------


def summary_keys(summaries=None):
    """(period start, state code or "region", final) of each summary, sorted."""
    rows = (summaries or ProgressSummary.objects).values_list(
        "period_start", "member_state__code", "final"
    )
    return sorted((start, code or "region", final) for start, code, final in rows)


def test_the_job_makes_final_summaries_of_the_period_just_ended_and_provisional_current_ones(
    small, plan_2026
):
    period, final = summaries.make_progress_summaries(today=TODAY)

    assert period == FINISHED
    # Region, Cambodia and Malaysia of RPA 2021–2025 (in force), for both periods.
    rpa_2021 = ProgressSummary.objects.filter(plan=small.plan)
    assert summary_keys(rpa_2021) == [
        (FINISHED.start, "KH", True),
        (FINISHED.start, "MY", True),
        (FINISHED.start, "region", True),
        (CURRENT.start, "KH", False),
        (CURRENT.start, "MY", False),
        (CURRENT.start, "region", False),
    ]
    # The draft 2026–2030 is not closed either: it has summaries, Timor-Leste's too.
    rpa_2026 = ProgressSummary.objects.filter(plan=plan_2026, period_start=FINISHED.start)
    assert [code for _, code, _ in summary_keys(rpa_2026)] == ["KH", "MY", "TL", "region"]
    assert final == 3 + 4
    summary = rpa_2021.get(period_start=FINISHED.start, member_state=None)
    assert summary.period_end == FINISHED.end
    assert summary.figures["average_progress"] == 45.0


def test_closed_plans_get_no_summaries(plan_2021, cambodia):
    summaries.make_progress_summaries(today=TODAY)

    assert not ProgressSummary.objects.exists()


def test_running_the_job_twice_leaves_one_summary_each_and_final_ones_unchanged(small):
    summaries.make_progress_summaries(today=TODAY)
    first = {s.pk: (s.figures, s.computed_at) for s in ProgressSummary.objects.filter(final=True)}
    keys = summary_keys()
    status = small.statuses["KH", "2.2"]
    NationalStatus.objects.filter(pk=status.pk).update(status=Status.COMPLETED, progress=100)

    summaries.make_progress_summaries(today=TODAY)

    assert summary_keys() == keys
    again = {s.pk: (s.figures, s.computed_at) for s in ProgressSummary.objects.filter(final=True)}
    assert again == first
    current = ProgressSummary.objects.get(period_start=CURRENT.start, member_state=small.kh)
    assert current.figures["status_counts"]["completed"] == 2  # provisional: refreshed


def test_a_provisional_summary_becomes_final_after_its_period(small):
    summaries.make_progress_summaries(today=TODAY)
    status = small.statuses["MY", "2.2"]
    NationalStatus.objects.filter(pk=status.pk).update(status=Status.COMPLETED, progress=100)
    next_week = TODAY + datetime.timedelta(days=7)

    summaries.make_progress_summaries(today=next_week)

    made_final = ProgressSummary.objects.get(period_start=CURRENT.start, member_state=small.my)
    assert made_final.final
    assert made_final.figures["status_counts"]["completed"] == 2
    # Its change is counted from the summary before it: Malaysia's of the week just ended.
    assert made_final.figures["change"]["status_counts"]["completed"] == 1
    assert made_final.figures["change"]["since"] == FINISHED.start.isoformat()


def test_a_status_change_refreshes_only_the_current_summaries_of_its_state_and_the_region(
    small,
):
    summaries.make_progress_summaries(today=TODAY)
    before = {
        s.member_state_id: s.computed_at
        for s in ProgressSummary.objects.filter(period_start=CURRENT.start)
    }

    summaries.refresh_current_summaries(plan=small.plan, member_state=small.kh, today=TODAY)

    after = {
        s.member_state_id: s.computed_at
        for s in ProgressSummary.objects.filter(period_start=CURRENT.start)
    }
    assert after[None] > before[None]
    assert after[small.kh.pk] > before[small.kh.pk]
    assert after[small.my.pk] == before[small.my.pk]


def test_refreshing_never_changes_a_final_summary(small):
    summaries.make_progress_summaries(today=TODAY)
    final = ProgressSummary.objects.get(period_start=FINISHED.start, member_state=None)

    # A refresh that (wrongly) believed the period just ended was still running.
    summaries.store_summaries(small.plan, FINISHED, final=False, today=TODAY)

    refreshed = ProgressSummary.objects.get(pk=final.pk)
    assert (refreshed.final, refreshed.computed_at) == (True, final.computed_at)


def test_the_database_refuses_a_second_summary_of_a_period_and_scope(small):
    make_summary(small.plan, None)
    make_summary(small.plan, small.kh)

    for scope in (None, small.kh):
        with pytest.raises(IntegrityError), transaction.atomic():
            make_summary(small.plan, scope)
    make_summary(small.plan, small.my)  # another state is another scope


def test_the_command_runs_the_job_now(small):
    out = io.StringIO()

    call_command("make_progress_summaries", stdout=out)
    call_command("make_progress_summaries", stdout=out)

    period = period_before(summaries.local_today())
    line = (
        f"3 final progress summaries for {period.start:%d %b %Y} – {period.end:%d %b %Y}; "
        "current period refreshed."
    )
    assert out.getvalue().splitlines() == [line, line]


@pytest.mark.postgres
def test_two_runs_at_once_leave_one_summary_each(transactional_db, small, monkeypatch):
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (DATABASE_URL=postgres://…): SQLite runs one writer")
    barrier = threading.Barrier(2)
    real = summaries.compute_figures

    def meet_then_compute(*args, **kwargs):
        figures = real(*args, **kwargs)
        barrier.wait(timeout=10)  # both runs have their figures before either writes
        return figures

    monkeypatch.setattr(summaries, "compute_figures", meet_then_compute)
    errors = run_twice_at_once(lambda: summaries.make_progress_summaries(today=TODAY))

    assert errors == []
    assert summary_keys() == [
        *((FINISHED.start, code, True) for code in ("KH", "MY", "region")),
        *((CURRENT.start, code, False) for code in ("KH", "MY", "region")),
    ]
