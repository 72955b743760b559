"""Writes to national data queue their follow-up work (summary refresh) in their transaction."""

import pytest

from actions import evidence
from actions.services import national_status_update
from outbox.models import OutboxMessage
from summaries.models import ProgressSummary
from tests import factories


@pytest.fixture
def item(plan_2026):
    return factories.make_item(factories.make_focus_area(plan_2026))


def test_a_status_save_queues_a_refresh_of_its_states_summaries(
    focal_point, item, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        national_status_update(
            user=focal_point,
            member_state=focal_point.member_state,
            action_item=item,
            expected_version=0,
            status="completed",
            progress=100,
            narrative="Work under way.",
            challenges="",
            next_steps="",
            responsible_agency="",
        )

    message = OutboxMessage.objects.get()
    assert message.task_name == "summaries.tasks.refresh_current_summaries"
    assert message.args == [focal_point.member_state_id, item.plan_id]
    assert message.sent_at is not None  # run in place by the test settings
    region = ProgressSummary.objects.get(member_state=None)
    assert region.figures["status_counts"]["completed"] == 1


def test_an_evidence_change_queues_the_same_work(
    focal_point, item, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        evidence.evidence_add_link(
            user=focal_point, item=item, title="Decree", url="https://example.org/decree"
        )

    message = OutboxMessage.objects.get()
    assert message.args == [focal_point.member_state_id, item.plan_id]
    assert message.sent_at is not None
    assert ProgressSummary.objects.filter(member_state=focal_point.member_state).exists()
