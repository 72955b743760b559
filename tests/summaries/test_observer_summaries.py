"""What observers see of the progress summaries, on the pages and in the digest: figures from
accepted reports only."""

import csv
import io

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Role
from mailings import digests
from summaries.models import DigestPreference
from summaries.summaries import make_progress_summaries
from tests import factories, small_plan
from tests.conftest import shared_data

from .summary_helpers import TODAY, download, open_small_plan, sending, summary

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def accepted(django_db_setup, django_db_blocker):
    """The small plan with Cambodia's report accepted, then summarised; an observer with a
    signed-in session. Built once for the module (each test's writes are rolled back)."""
    with shared_data(django_db_blocker):
        small = open_small_plan(factories.make_plan(2021, 2025))
        coordinator = factories.make_user(Role.COORDINATOR, small.kh, email="kh.co@example.org")
        reviewer = factories.make_user(Role.REVIEWER, email="rev@example.org")
        small_plan.accept_report(
            small_plan.make_round(small.plan), coordinator=coordinator, reviewer=reviewer
        )
        make_progress_summaries(today=TODAY)
        observer = factories.make_persona("observer")
        yield small, factories.session_of(observer), observer


@pytest.fixture
def observer_client(accepted):
    return factories.signed_in(accepted[1])


def test_an_observer_sees_a_region_summary_from_accepted_reports_only(accepted, observer_client):
    response = observer_client.get(reverse("summaries:detail", args=[summary(accepted[0]).pk]))

    page = response.content.decode()
    # Live: 45 % over both states; accepted: Cambodia's report alone, 37.5 %.
    assert "37.5 %" in page
    assert "45 %" not in page
    assert "latest accepted reports only: 1 state had" in page
    assert "Not updated for" not in page
    assert response.context["trend"][-1]["figures"]["average_progress"] == 37.5


def test_an_observers_csv_holds_the_accepted_figures(accepted, observer_client):
    _, body = download(observer_client, summary(accepted[0]))

    rows = list(csv.reader(io.StringIO(body[1:])))
    overall = {row[6]: row[7] for row in rows if row[4] == "Overall"}
    assert overall["Average progress (%)"] == "37.5"
    assert overall["Member states with an accepted report"] == "1"
    assert not [row for row in rows if row[4] in ("Attention", "Reporting")]


def test_the_list_shows_an_observer_the_accepted_figures(observer_client):
    response = observer_client.get(reverse("summaries:list"))

    page = response.content.decode()
    assert "37.5 %" in page
    assert "45 %" not in page


def test_an_observer_who_chose_the_regions_digest_gets_its_accepted_figures(accepted):
    DigestPreference.objects.create(user=accepted[2], kind="region", enabled=True)

    sending(digests.send_digests)(today=TODAY)

    to_observer = next(m for m in mail.outbox if m.to == ["lin@example.org"])
    to_reviewer = next(m for m in mail.outbox if m.to == ["rev@example.org"])
    assert "Average progress: 37.5 %" in to_observer.body
    assert "latest accepted reports of 1 member state" in to_observer.body
    assert "Average progress: 45 %" in to_reviewer.body
