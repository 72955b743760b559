"""A burst of status saves costs a few summary refreshes, not one per save, and misses none."""

import datetime
from unittest import mock

import pytest

from outbox.models import OutboxMessage
from outbox.services import relay_pending
from summaries.models import ProgressSummary
from summaries.subscriptions import REFRESH_WINDOW
from tests import factories

# 5 s into a refresh window, an hour from now: the model's own defaults (created_at,
# next_attempt_at) use the clock itself, which must not be later than the patched one.
_SOON = int(datetime.datetime.now(datetime.UTC).timestamp()) + 3600
MOMENT = datetime.datetime.fromtimestamp(_SOON - _SOON % REFRESH_WINDOW + 5, datetime.UTC)


@pytest.fixture
def item(plan_2026):
    return factories.make_item(factories.make_focus_area(plan_2026))


def _region_progress():
    return ProgressSummary.objects.get(member_state=None).figures["average_progress"]


def test_a_burst_of_saves_queues_two_refreshes_and_the_last_shows_every_save(
    focal_point, item, django_capture_on_commit_callbacks
):
    with mock.patch("django.utils.timezone.now", return_value=MOMENT):
        for version in range(5):
            with django_capture_on_commit_callbacks(execute=True):
                factories.save_status(focal_point, item, version, progress=10 * (version + 1))

    first, trailing = OutboxMessage.objects.order_by("pk")
    assert first.args == trailing.args == [focal_point.member_state_id, item.plan_id]
    assert first.sent_at is not None  # run at once (in place, by the test settings)
    assert _region_progress() == 10  # it saw the first save only
    assert trailing.sent_at is None
    assert trailing.next_attempt_at == MOMENT + datetime.timedelta(seconds=REFRESH_WINDOW)

    later = MOMENT + datetime.timedelta(seconds=REFRESH_WINDOW + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert relay_pending() == (1, 0)

    assert _region_progress() == 50


def test_a_save_in_the_next_window_is_refreshed_at_once_again(
    focal_point, item, django_capture_on_commit_callbacks
):
    for version, moment in enumerate([MOMENT, MOMENT + datetime.timedelta(seconds=REFRESH_WINDOW)]):
        with (
            mock.patch("django.utils.timezone.now", return_value=moment),
            django_capture_on_commit_callbacks(execute=True),
        ):
            factories.save_status(focal_point, item, version, progress=10 * (version + 1))

    assert [m.sent_at is not None for m in OutboxMessage.objects.order_by("pk")] == [True, True]
    assert _region_progress() == 20
