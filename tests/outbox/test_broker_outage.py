"""Redis down: saving a status still works at once, and its follow-up work is done once Redis
is back (security.md, requirement 7)."""

from unittest import mock

import pytest
from celery import current_app
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.models import NationalStatus
from outbox.models import OutboxMessage
from outbox.services import relay_pending
from summaries import summaries
from summaries.models import ProgressSummary
from tests import factories

from .test_outbox import make_due


@pytest.fixture
def item(plan_2026):
    return factories.make_item(factories.make_focus_area(plan_2026))


def save_status(user, item):
    client = Client()
    client.force_login(user)
    data = {
        "status": "in_progress",
        "progress": "40",
        "narrative": "Work under way.",
        "challenges": "",
        "next_steps": "",
        "responsible_agency": "",
        "version": "0",
    }
    return client.post(reverse("national:status_edit", args=[item.pk]), data)


def test_saving_a_status_with_the_broker_down_succeeds_and_leaves_its_work_pending(
    transactional_db, refusing_broker, focal_point, item
):
    response = save_status(focal_point, item)

    assert response.status_code == 302
    status = NationalStatus.objects.get()
    assert (status.status, status.progress, status.version) == ("in_progress", 40, 1)
    message = OutboxMessage.objects.get()
    assert message.task_name == "summaries.tasks.refresh_current_summaries"
    assert message.args == [focal_point.member_state_id, item.plan_id]
    assert (message.sent_at, message.attempts) == (None, 1)
    assert "refused" in message.last_error.lower()
    assert not ProgressSummary.objects.exists()


def test_the_work_of_a_save_made_while_the_broker_was_down_runs_once_it_is_back(
    transactional_db, refusing_broker, focal_point, item
):
    save_status(focal_point, item)
    current_app.conf.task_always_eager = True  # the broker is back; tasks run in place here
    make_due(*OutboxMessage.objects.all())

    with mock.patch.object(
        summaries, "refresh_current_summaries", wraps=summaries.refresh_current_summaries
    ) as refresh:
        assert relay_pending() == (1, 0)
        assert relay_pending() == (0, 0)

    assert refresh.call_count == 1
    period = summaries.period_containing(summaries.local_today())
    made = ProgressSummary.objects.filter(period_start=period.start, final=False)
    assert sorted(made.values_list("member_state__code", flat=True), key=str) == ["KH", None]
    assert made.get(member_state__isnull=True).figures["status_counts"]["in_progress"] == 1
    assert OutboxMessage.objects.get().sent_at <= timezone.now()
