"""Two refreshes of one plan's summaries at once, each in its own connection, both reach the
region (the rows must be committed: this module's data is made per test, not shared inside one
transaction)."""

import threading
from unittest import mock

import pytest
from django.db import connection

from actions.models import NationalStatus
from summaries import summaries
from tests.conftest import service_missing

from .summary_helpers import (
    TODAY,
    current_figures,
    recomputed_figures,
    save,
    small_with_a_round,
)

Status = NationalStatus.Status


@pytest.fixture
def small(plan_2021, monkeypatch):
    monkeypatch.setattr(summaries, "local_today", lambda: TODAY)
    return small_with_a_round(plan_2021)


@pytest.mark.postgres
def test_refreshes_of_two_states_at_once_both_reach_the_region(transactional_db, small):
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (DATABASE_URL=postgres://…): SQLite runs one writer")
    with mock.patch("summaries.subscriptions.enqueue_coalesced"):  # refreshed below
        save(small, "KH", "1.3", status=Status.COMPLETED, progress=100)
        save(small, "MY", "2.1", status=Status.IN_PROGRESS, progress=30)
    real = summaries.refreshed_figures
    errors = []
    started = threading.Barrier(2)

    def slow_refreshed_figures(*args, **kwargs):
        figures = real(*args, **kwargs)
        # Without the region's lock, the other refresh would now add up this state's old
        # figures and write the region after this one.
        threading.Event().wait(0.5)
        return figures

    def refresh(state):
        try:
            started.wait(timeout=10)
            summaries.refresh_current_summaries(plan=small.plan, member_state=state)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    with mock.patch.object(summaries, "refreshed_figures", slow_refreshed_figures):
        threads = [threading.Thread(target=refresh, args=(s,)) for s in (small.kh, small.my)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    refreshed = current_figures()
    assert refreshed[None]["status_counts"]["completed"] == 3  # KH 1.1 and 1.3, MY 1.3
    assert refreshed[None]["status_counts"]["in_progress"] == 3  # KH 1.2, MY 2.1 and 2.2
    assert refreshed == recomputed_figures()
