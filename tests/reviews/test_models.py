"""Rounds, reports and their records: constraints, named querysets, and what never changes."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reviews.models import (
    CountryReport,
    ReportingRound,
    ReportTransition,
    Submission,
    SubmissionItem,
    today,
)
from tests.reviews.conftest import bring_to, make_round

D = datetime.date


def test_a_round_cannot_fall_due_before_it_opens(plan_2026):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_round(plan_2026, opens=10, due=5, closes=20)


def test_a_round_cannot_close_before_it_falls_due(plan_2026):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_round(plan_2026, opens=0, due=10, closes=9)


def test_a_round_may_open_fall_due_and_close_on_one_day(plan_2026):
    assert make_round(plan_2026, opens=0, due=0, closes=0).is_open


@pytest.mark.parametrize(
    "dates",
    [
        {"opens_on": D(1, 1, 1)},
        {"closes_on": D(9999, 12, 31)},
    ],
)
def test_implausible_round_dates_are_refused_by_the_database(plan_2026, dates):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_round(plan_2026, **{"due_on": D(2026, 6, 1), "closes_on": D(2026, 7, 1), **dates})


def test_round_names_are_unique_within_a_plan_only(plan_2021, plan_2026):
    make_round(plan_2026, "Annual")
    make_round(plan_2021, "Annual", opens=-400, due=-390, closes=-380)

    with pytest.raises(IntegrityError), transaction.atomic():
        make_round(plan_2026, "Annual", opens=100, due=110, closes=120)


def test_validation_refuses_overlapping_rounds_of_a_plan(plan_2026):
    make_round(
        plan_2026, "First", opens_on=D(2026, 1, 1), due_on=D(2026, 3, 1), closes_on=D(2026, 4, 1)
    )
    second = ReportingRound(
        plan=plan_2026,
        name="Second",
        opens_on=D(2026, 4, 1),
        due_on=D(2026, 5, 1),
        closes_on=D(2026, 6, 1),
    )

    with pytest.raises(ValidationError, match="overlap the round “First”"):
        second.full_clean()


def test_validation_refuses_a_round_outside_its_plans_years(plan_2026):
    early = ReportingRound(
        plan=plan_2026,
        name="Too early",
        opens_on=D(2025, 1, 1),
        due_on=D(2025, 2, 1),
        closes_on=D(2025, 3, 1),
    )

    with pytest.raises(ValidationError) as error:
        early.full_clean()

    assert "opens between 2026 and 2031" in str(error.value)


def test_open_on_includes_the_opening_and_closing_days(plan_2026):
    reporting_round = make_round(
        plan_2026, opens_on=D(2026, 1, 10), due_on=D(2026, 1, 20), closes_on=D(2026, 1, 31)
    )
    rounds = ReportingRound.objects

    assert list(rounds.open_on(D(2026, 1, 10))) == [reporting_round]
    assert list(rounds.open_on(D(2026, 1, 31))) == [reporting_round]
    assert list(rounds.open_on(D(2026, 1, 9))) == []
    assert list(rounds.open_on(D(2026, 2, 1))) == []


def test_open_for_gives_the_plans_round_open_today_or_none(plan_2021, plan_2026):
    past = make_round(plan_2026, "Past", opens=-100, due=-90, closes=-80)
    upcoming = make_round(plan_2026, "Upcoming", opens=30, due=40, closes=50)
    assert ReportingRound.objects.open_for(plan_2026) is None

    current = make_round(plan_2026, "Current", opens=-5, due=5, closes=10)
    make_round(plan_2021, "Other plan", opens=-5, due=5, closes=10)

    assert ReportingRound.objects.open_for(plan_2026) == current
    assert list(ReportingRound.objects.past()) == [past]
    assert list(ReportingRound.objects.upcoming()) == [upcoming]
    assert (past.is_past, current.is_open, upcoming.is_upcoming) == (True, True, True)


def test_days_until_due_counts_from_today(plan_2026):
    reporting_round = make_round(plan_2026, opens=-5, due=12, closes=20)

    assert reporting_round.days_until_due == 12
    assert reporting_round.days_until_close == 20
    assert reporting_round.due_on == today() + datetime.timedelta(days=12)


def test_one_report_per_state_and_round(report, open_round, cambodia):
    with pytest.raises(IntegrityError), transaction.atomic():
        CountryReport.objects.create(round=open_round, member_state=cambodia)


def test_an_accepted_report_names_its_accepted_submission(report):
    with pytest.raises(IntegrityError), transaction.atomic():
        CountryReport.objects.filter(pk=report.pk).update(state=CountryReport.State.ACCEPTED)


def test_transitions_are_never_edited_or_deleted(report, coordinator, reviewer, items):
    bring_to(report, "submitted", coordinator=coordinator, reviewer=reviewer)
    transition = ReportTransition.objects.get()

    transition.reason = "rewritten"
    with pytest.raises(ValueError):
        transition.save()
    with pytest.raises(ValueError):
        transition.delete()
    with pytest.raises(ValueError):
        ReportTransition.objects.update(reason="rewritten")
    with pytest.raises(ValueError):
        ReportTransition.objects.all().delete()

    transition.refresh_from_db()
    assert transition.reason == "First submission"


def test_submissions_and_their_snapshots_are_never_edited(report, coordinator, reviewer, items):
    bring_to(report, "accepted", coordinator=coordinator, reviewer=reviewer)
    submission = Submission.objects.get()
    row = SubmissionItem.objects.first()

    submission.cover_note = "rewritten"
    row.status = "completed"
    for attempt in (
        submission.save,
        submission.delete,
        row.save,
        row.delete,
        lambda: Submission.objects.update(cover_note="rewritten"),
        lambda: Submission.objects.all().delete(),
        lambda: SubmissionItem.objects.update(status="completed"),
        lambda: SubmissionItem.objects.all().delete(),
    ):
        with pytest.raises(ValueError):
            attempt()

    assert Submission.objects.get().cover_note == "First submission"
    assert set(SubmissionItem.objects.values_list("status", flat=True)) == {"not_started"}


def test_a_submission_is_marked_accepted_only_once(report, coordinator, reviewer, items):
    bring_to(report, "accepted", coordinator=coordinator, reviewer=reviewer)
    accepted_at = Submission.objects.get().accepted_at

    changed = Submission.objects.all().mark_accepted(timezone.now())

    assert changed == 0
    assert Submission.objects.get().accepted_at == accepted_at
