"""End to end with the real Redis and a real worker process (CI: .ci/run).

- The summary job, queued on Redis, is run by the worker and leaves one summary per scope.
- Redis down: saving a status succeeds, its follow-up work waits in the outbox; once Redis is
  back, the relay (sent to the worker, as beat does every minute) publishes it and the worker
  runs it, once.
"""

import pytest
from celery import current_app
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from actions.models import NationalStatus, Plan
from outbox.models import OutboxMessage
from outbox.tasks import relay_outbox
from summaries import tasks
from summaries.models import ProgressSummary
from summaries.summaries import local_today, period_before, period_containing
from tests import factories
from tests.outbox.conftest import closed_port

from .conftest import publish

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def plan(shared_database):
    plan = factories.make_plan(2026, 2030, status=Plan.Status.IN_FORCE)
    area = factories.make_focus_area(plan, title="Legal frameworks")
    for _ in range(3):
        factories.make_item(area)
    return plan


@pytest.fixture
def states(plan):
    return [factories.make_state(code) for code in ("KH", "MY")]


def test_a_worker_makes_the_progress_summaries_queued_on_redis(worker, plan, states):
    factories.make_status(states[0], plan.action_items.first(), status="completed", progress=100)

    publish(tasks.make_progress_summaries)

    finished = period_before(local_today())
    made = ProgressSummary.objects.filter(plan=plan, period_start=finished.start, final=True)
    worker.wait_for(lambda: made.count() == 3, "final summaries (region, KH, MY)")
    region = made.get(member_state=None)
    assert region.figures["status_counts"]["completed"] == 1
    assert region.figures["pairs"] == 6


def save_status_with_redis_down(user, item):
    """POST the edit form while the web process's broker is a closed port."""
    client = Client()
    client.force_login(user)
    data = factories.status_form_data()
    up = current_app.conf.broker_url
    current_app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    try:
        return client.post(reverse("national:status_edit", args=[item.pk]), data)
    finally:
        current_app.conf.broker_url = up


def test_a_save_while_redis_is_down_is_done_by_the_worker_once_redis_is_back(worker, plan, states):
    focal_point = factories.make_user(Role.FOCAL_POINT, states[0])

    response = save_status_with_redis_down(focal_point, plan.action_items.first())

    assert response.status_code == 302
    assert NationalStatus.objects.get().progress == 40
    message = OutboxMessage.objects.get()
    assert (message.sent_at, message.attempts) == (None, 1)
    current = period_containing(local_today())
    refreshed = ProgressSummary.objects.filter(plan=plan, period_start=current.start)
    assert not refreshed.exists()

    # Redis is back. The message's wait after its failure runs out, and beat sends the relay.
    OutboxMessage.objects.update(next_attempt_at=message.created_at)
    publish(relay_outbox)

    # The period's first refresh makes every current summary: the region's, KH's and MY's.
    worker.wait_for(lambda: refreshed.count() == 3, "refreshed summaries (region, KH, MY)")
    assert refreshed.get(member_state=None).figures["status_counts"]["in_progress"] == 1
    message.refresh_from_db()
    assert message.sent_at is not None
    publish(relay_outbox)  # a later relay finds nothing to send
    done = f"summaries.tasks.refresh_current_summaries[{message.task_id}] succeeded"
    worker.wait_for(lambda: worker.output().count("relay_outbox[") >= 4, "second relay")
    assert worker.output().count(done) == 1
