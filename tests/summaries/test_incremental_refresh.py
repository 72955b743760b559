"""The refresh after a status save recomputes that state's figures only, adds the region's up
from the states' stored figures, and leaves every summary as a full recomputation makes it."""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actions import evidence
from actions.models import NationalStatus
from outbox.models import OutboxMessage
from outbox.services import relay_pending
from reviews import services as review_services
from reviews.models import CountryReport
from summaries import summaries
from summaries.models import ProgressSummary
from summaries.subscriptions import REFRESH_WINDOW
from tests import factories
from tests.conftest import shared_data

from .summary_helpers import (
    CURRENT,
    TODAY,
    current_figures,
    recomputed_figures,
    save,
    small_with_a_round,
)

Status = NationalStatus.Status

# 5 s into a refresh window, an hour from now (see test_refresh_coalescing).
_SOON = int(datetime.datetime.now(datetime.UTC).timestamp()) + 3600
MOMENT = datetime.datetime.fromtimestamp(_SOON - _SOON % REFRESH_WINDOW + 5, datetime.UTC)


pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """`small_with_a_round`, built once for the module (each test's writes are rolled back)."""
    with shared_data(django_db_blocker), mock.patch.object(summaries, "local_today", lambda: TODAY):
        yield small_with_a_round(factories.make_plan(2021, 2025))


@pytest.fixture
def small(world, monkeypatch):
    """The module's small plan, TODAY the summaries' today."""
    monkeypatch.setattr(summaries, "local_today", lambda: TODAY)
    return world


def in_window(number):
    """The clock `number` refresh windows after MOMENT: a save then is refreshed at once."""
    moment = MOMENT + datetime.timedelta(seconds=number * REFRESH_WINDOW)
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def full_computations():
    """Calls of the full computation (every state of the plan) from here on."""
    with mock.patch.object(summaries, "compute_figures", wraps=summaries.compute_figures) as spy:
        yield spy


def test_refreshes_after_a_sequence_of_saves_leave_the_figures_of_a_full_recomputation(
    small, full_computations, django_capture_on_commit_callbacks
):
    steps = [
        lambda: save(small, "KH", "1.3", status=Status.COMPLETED, progress=100),  # never updated
        lambda: save(small, "MY", "2.1", status=Status.NOT_APPLICABLE, progress=None),
        lambda: save(small, "KH", "1.2", status=Status.ONGOING, progress=70),  # was stale
        lambda: save(small, "MY", "2.2", status=Status.PLANNED, progress=5),
        lambda: save(small, "TH", "1.2", status=Status.PLANNED, progress=0),  # overdue still
        lambda: save(small, "KH", "1.1", status=Status.IN_PROGRESS, progress=80),
        lambda: save(small, "TH", "1.3", status=Status.COMPLETED, progress=100),  # no longer
        lambda: evidence.evidence_add_link(  # no longer stale
            user=small.focal["MY"], item=small.items["1.3"], title="Decree", url="https://a.example"
        ),
        lambda: save(small, "MY", "1.1", status=Status.IN_PROGRESS, progress=33),
    ]
    before = current_figures()
    for number, step in enumerate(steps):
        with in_window(number), django_capture_on_commit_callbacks(execute=True):
            step()

    refreshed = current_figures()
    assert full_computations.call_count == 0  # each refresh computed its state's figures only
    assert OutboxMessage.objects.done().count() == len(steps)
    assert refreshed != before
    with in_window(len(steps)):
        assert refreshed == recomputed_figures()
    # KH 1.1 in progress 80, 1.2 ongoing 70, 1.3 completed, 2.1 n/a, 2.2 planned 10;
    # MY 1.1 in progress 33, 1.2 ongoing 60 (stale), 1.3 completed, 2.1 n/a, 2.2 planned 5;
    # TH 1.2 planned 0 (overdue), 1.3 completed, the rest never updated.
    region = refreshed[None]
    assert (region["states"], region["pairs"], region["progress_total"]) == (3, 15, 558)
    assert region["status_counts"] == {
        "not_started": 3,
        "planned": 3,
        "in_progress": 2,
        "ongoing": 2,
        "completed": 3,
        "not_applicable": 2,
    }
    assert (region["never_updated"], region["stale"], region["overdue"]) == (3, 1, 1)


def test_a_burst_of_saves_across_states_refreshes_each_state_and_loses_none(
    small, full_computations, django_capture_on_commit_callbacks
):
    with mock.patch("django.utils.timezone.now", return_value=MOMENT):
        for code, item, progress in [
            ("KH", "1.2", 45),
            ("MY", "2.2", 55),
            ("KH", "1.2", 50),
            ("TH", "2.2", 20),
            ("MY", "2.2", 65),
            ("KH", "2.2", 15),
        ]:
            with django_capture_on_commit_callbacks(execute=True):
                save(small, code, item, progress=progress)

    messages = list(OutboxMessage.objects.order_by("pk"))
    by_state = {}
    for message in messages:
        by_state.setdefault(message.args[0], []).append(message.sent_at is not None)
    # One refresh at once per state; one more, at the window's end, for each state saved again.
    assert by_state == {small.kh.pk: [True, False], small.my.pk: [True, False], small.th.pk: [True]}

    later = MOMENT + datetime.timedelta(seconds=REFRESH_WINDOW + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert relay_pending() == (2, 0)
        refreshed = current_figures()
        assert full_computations.call_count == 0
        assert refreshed == recomputed_figures()

    progress = {
        scope: {area["number"]: area["progress_total"] for area in figures["focus_areas"]}
        for scope, figures in refreshed.items()
    }
    # KH 1.1 100 + 1.2 50; 2.2 15 (2.1 not applicable) · MY 1.2 60 + 1.3 100; 2.2 65 · TH 2.2 20
    assert progress == {
        small.kh.pk: {1: 150, 2: 15},
        small.my.pk: {1: 160, 2: 65},
        small.th.pk: {1: 0, 2: 20},
        None: {1: 310, 2: 100},
    }


def test_a_refresh_recomputes_every_summary_when_the_stored_ones_cannot_be_added_up(
    small, full_computations, django_capture_on_commit_callbacks
):
    # An item added to the plan is a not-started pair of every state, none of which saved.
    factories.make_item(small.fa2, "2.3", position=9)
    with in_window(1), django_capture_on_commit_callbacks(execute=True):
        save(small, "KH", "1.3", status=Status.PLANNED, progress=5)
    assert full_computations.call_count == 1
    assert current_figures()[None]["pairs"] == 18

    # A state's summary made by an earlier version lacks the figures that add up.
    my = ProgressSummary.objects.get(period_start=CURRENT.start, member_state=small.my)
    ProgressSummary.objects.filter(pk=my.pk).update(figures={**my.figures, "version": 1})
    with in_window(2), django_capture_on_commit_callbacks(execute=True):
        save(small, "KH", "1.3", status=Status.PLANNED, progress=10)
    assert full_computations.call_count == 2

    # A state's summary is missing.
    ProgressSummary.objects.filter(period_start=CURRENT.start, member_state=small.th).delete()
    with in_window(3), django_capture_on_commit_callbacks(execute=True):
        save(small, "KH", "1.3", status=Status.PLANNED, progress=15)
    assert full_computations.call_count == 3

    refreshed = current_figures()
    assert set(refreshed) == {None, small.kh.pk, small.my.pk, small.th.pk}
    with in_window(3):
        assert refreshed == recomputed_figures()


def test_a_refresh_reads_as_many_queries_with_more_states_and_items(small, full_computations):
    def refresh_queries():
        with CaptureQueriesContext(connection) as queries:
            summaries.refresh_current_summaries(plan=small.plan, member_state=small.kh)
        return len(queries)

    before = refresh_queries()
    for code in ("ID", "PH"):
        state = factories.make_state(code)
        factories.make_status(state, small.items["2.2"], status=Status.PLANNED, progress=5)
    for number in range(3):
        factories.make_item(small.fa1, f"1.{4 + number}", position=10 + number)
    summaries.make_progress_summaries(today=TODAY)

    assert refresh_queries() == before
    assert full_computations.call_count == 2  # the periodic job's two periods, not a refresh
    assert current_figures()[None]["pairs"] == 5 * 8


def test_a_report_move_recounts_the_region_and_its_state_at_once(
    small, reviewer, django_capture_on_commit_callbacks
):
    report = CountryReport.objects.get(member_state=small.kh)
    before = current_figures()
    assert before[small.kh.pk]["compliance"]["report_state"] == CountryReport.State.SUBMITTED

    with in_window(1), django_capture_on_commit_callbacks(execute=True):
        review_services.report_accept(user=reviewer, report=report)

    refreshed = current_figures()
    assert refreshed[small.kh.pk]["compliance"]["report_state"] == CountryReport.State.ACCEPTED
    assert refreshed[None]["compliance"] != before[None]["compliance"]
    assert refreshed[small.my.pk] == before[small.my.pk]  # another state's is left alone
    with in_window(1):
        assert refreshed == recomputed_figures()


def test_a_report_move_queues_its_recount_with_the_move_or_not_at_all(small, reviewer):
    report = CountryReport.objects.get(member_state=small.kh)
    recounts = OutboxMessage.objects.filter(task_name="summaries.tasks.recount_after_report_move")
    with in_window(1):
        review_services.report_return(user=reviewer, report=report, comment="Add the decree.")
        assert recounts.count() == 1
        with pytest.raises(review_services.TransitionRefused):  # returned already: no move
            review_services.report_return(user=reviewer, report=report, comment="Again.")
    assert recounts.count() == 1
