"""Fault drills (issue 12), each on a private Redis the test starts, stops and starts again,
with real worker and beat processes on the test database (PostgreSQL).

(a) Redis stopped for 30 s while saves go on: no request takes 2 s, and after Redis is back
    every job has its effect exactly once (e-mails counted one by one).
(b) A worker killed with SIGKILL in the middle of a summary run: another worker finishes the
    run, with exactly one summary per period, scope and plan.
(c) Two beat processes sending every job every 2 s to two workers: no summary, digest or
    reminder twice.
"""

import datetime
import re
import signal
import time
from collections import Counter

import pytest
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from actions.models import NationalStatus, Plan
from countries.models import MemberState
from outbox.models import OutboxMessage
from outbox.services import relay_pending
from reviews.models import Comment
from summaries import tasks
from summaries.models import ProgressSummary
from summaries.summaries import local_today, period_before, period_containing, summarised_plans
from tests import factories
from tests.reviews.conftest import make_round

from .conftest import publish

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

STATES = ("KH", "MY", "TH")


def wait_until(condition, what, drill, timeout=60, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step)
    pending = OutboxMessage.objects.pending().values_list(
        "task_name", "runs", "attempts", "sent_at", "last_error"
    )
    pytest.fail(f"no {what} after {timeout} s; pending jobs: {list(pending)}\n{drill.logs()}")


@pytest.fixture
def plans(shared_database):
    """Two plans in force, each with a focus area of three items."""
    made = []
    for start in (2021, 2026):
        plan = factories.make_plan(start, start + 4, status=Plan.Status.IN_FORCE)
        area = factories.make_focus_area(plan, title="Legal frameworks")
        for _ in range(3):
            factories.make_item(area)
        made.append(plan)
    return made


@pytest.fixture
def states(plans):
    return [factories.make_state(code) for code in STATES]


def summaries_per_scope():
    """{(period, scope, plan): how many summaries}."""
    rows = ProgressSummary.objects.values("period_start", "member_state", "plan").annotate(
        n=Count("pk")
    )
    return {(r["period_start"], r["member_state"], r["plan"]): r["n"] for r in rows}


def expected_scopes():
    """Every (period, scope, plan) a summary run makes today: the period just ended and the
    current one, for the region and each state reporting on each plan."""
    today = local_today()
    periods = [period_before(today).start, period_containing(today).start]
    scopes = []
    for plan in summarised_plans():
        states = [s.pk for s in MemberState.objects.all() if s.reports_in(plan)]
        scopes += [(p, s, plan.pk) for p in periods for s in [None, *states]]
    return sorted(scopes, key=str)


def test_b_a_worker_killed_in_the_middle_of_a_summary_run(drill, plans, states):
    slow = drill.start(
        "worker", "slow", {"DRILL_SLOW_SECONDS": "1", "CELERY_VISIBILITY_TIMEOUT": "3"}
    )

    publish(tasks.make_progress_summaries)
    wait_until(ProgressSummary.objects.exists, "first summaries", drill, timeout=30)
    slow.process.send_signal(signal.SIGKILL)
    slow.process.wait()
    made_before_the_kill = ProgressSummary.objects.count()
    wanted = expected_scopes()
    assert 0 < made_before_the_kill < len(wanted)  # killed in the middle of the run

    time.sleep(3)  # the job's visibility timeout runs out: Redis hands it to the next worker
    drill.start("worker", "second", {"CELERY_VISIBILITY_TIMEOUT": "3"})
    wait_until(lambda: ProgressSummary.objects.count() >= len(wanted), "all summaries", drill)

    time.sleep(1)
    counts = summaries_per_scope()
    assert sorted(counts, key=str) == wanted
    assert set(counts.values()) == {1}
    finished = period_before(local_today()).start
    assert all(s.final == (s.period_start == finished) for s in ProgressSummary.objects.all())


def test_c_two_beat_processes_make_no_summary_digest_or_reminder_twice(drill, plans, states):
    kh, my, _ = states
    factories.make_user(Role.REVIEWER, email="rev@example.org")
    factories.make_user(Role.FOCAL_POINT, kh, email="kh.fp@example.org")
    factories.make_user(Role.COORDINATOR, my, email="my.co@example.org")
    make_round(plans[1], opens=-10, due=3, closes=30)  # due soon: every state is reminded
    item = plans[1].action_items.first()
    factories.make_status(kh, item, status="in_progress", progress=20, narrative="Started.")
    long_ago = timezone.now() - datetime.timedelta(days=400)
    NationalStatus.objects.filter(member_state=kh).update(updated_at=long_ago)  # stale
    for name in ("worker-1", "worker-2"):
        drill.start("worker", name)

    beats = [drill.start("beat", f"beat-{n}", {"DRILL_BEAT_SECONDS": "2"}) for n in (1, 2)]
    # Each beat sends the jobs at least twice: waited for, not slept for, as a beat can take
    # many seconds to start on a busy machine.
    for beat in beats:
        beat.wait_for(
            lambda beat=beat: beat.output().count("(mailings.tasks.send_digests)") >= 2,
            "a beat sending the digests twice",
        )
    for beat in beats:
        beat.process.kill()
        beat.process.wait()

    queue = drill.redis.client()
    wait_until(
        lambda: (
            queue.llen("celery") == 0
            and not OutboxMessage.objects.pending().exists()
            and len(drill.emails()) >= 7
        ),
        "drained queue and outbox",
        drill,
    )
    time.sleep(2)  # a job still running finishes

    received = Counter(drill.emails())
    duplicates = {mail: n for mail, n in received.items() if n > 1}
    assert duplicates == {}, drill.logs()
    by_person = Counter(to for to, _ in received)
    # Digests: the region's of each plan to the reviewer, the state's to its users; reminders:
    # due soon to Cambodia's and Malaysia's users, stale items to Cambodia's.
    assert by_person == {"rev@example.org": 2, "kh.fp@example.org": 4, "my.co@example.org": 3}
    counts = summaries_per_scope()
    assert sorted(counts, key=str) == expected_scopes()
    assert set(counts.values()) == {1}
    runs = sum(
        len(re.findall(r"mailings\.tasks\.send_digests\[[^]]+\] received", p.output()))
        for p in drill.processes
    )
    assert runs >= 4  # each beat sent the jobs several times: the drill did run them twice


OUTAGE_SECONDS = 30
MAX_REQUEST_SECONDS = 2


class Saver:
    """Two states' focal points saving statuses, and a reviewer commenting on their reports."""

    def __init__(self, plan, round_, focal_points, reviewer):
        self.plan, self.round = plan, round_
        self.focal_points = [(user, factories.logged_in(user)) for user in focal_points]
        self.reviewer = factories.logged_in(reviewer)
        self.items = list(plan.action_items.order_by("pk"))
        self.seconds = []
        self.saves = 0

    def save_for(self, duration):
        end = time.monotonic() + duration
        while time.monotonic() < end:
            self.save_one()
            time.sleep(0.2)

    def save_one(self):
        n = self.saves
        self.saves += 1
        user, client = self.focal_points[n % 2]
        if n % 4 < 2:
            item = self.items[(n // 4) % len(self.items)]
            version = NationalStatus.objects.filter(
                member_state=user.member_state, action_item=item
            ).values_list("version", flat=True)
            data = factories.status_form_data(
                version=version.first() or 0, progress=str(10 + n % 80)
            )
            url = reverse("national:status_edit", args=[item.pk])
        else:
            client = self.reviewer
            data = {"body": f"Comment {n}.", "item": ""}
            url = reverse("reviews:comment_add", args=[self.round.pk, user.member_state.code])
        started = time.monotonic()
        response = client.post(url, data)
        self.seconds.append(time.monotonic() - started)
        assert response.status_code == 302, response.content.decode()[:2000]


def make_lost_and_waiting_jobs_due(older_than=OUTAGE_SECONDS):
    """Time travel for the relay beat runs every minute: the wait after a failed publish has
    run out, and so has OUTBOX_REDELIVER_SECONDS for a job published before the outage."""
    now = timezone.now()
    OutboxMessage.objects.pending().filter(
        Q(sent_at__isnull=True) | Q(sent_at__lt=now - datetime.timedelta(seconds=older_than))
    ).update(next_attempt_at=now)


def test_a_redis_stopped_for_30_s_while_saves_go_on(drill, plans, states):
    kh, my, _ = states
    plan = plans[1]
    focal_points = [
        factories.make_user(Role.FOCAL_POINT, kh, email="kh.fp@example.org"),
        factories.make_user(Role.FOCAL_POINT, my, email="my.fp@example.org"),
    ]
    state_users = {
        kh.pk: ["kh.fp@example.org", "kh.co@example.org"],
        my.pk: ["my.fp@example.org", "my.co@example.org"],
    }
    factories.make_user(Role.COORDINATOR, kh, email="kh.co@example.org")
    factories.make_user(Role.COORDINATOR, my, email="my.co@example.org")
    reviewer = factories.make_user(Role.REVIEWER, email="rev@example.org")
    saver = Saver(plan, make_round(plan), focal_points, reviewer)
    worker = drill.start("worker", "worker")

    saver.save_for(3)
    worker.process.send_signal(signal.SIGSTOP)  # busy: the jobs published now wait in Redis…
    saver.save_for(3)
    drill.redis.stop()  # … and are lost with it
    outage_started = timezone.now()
    saver.save_for(OUTAGE_SECONDS)
    drill.redis.start()
    worker.process.send_signal(signal.SIGCONT)
    saver.save_for(3)

    lost = set(
        OutboxMessage.objects.pending()
        .filter(sent_at__lt=outage_started)
        .values_list("pk", flat=True)
    )

    def drained():
        make_lost_and_waiting_jobs_due()
        relay_pending()
        return not OutboxMessage.objects.pending().exists()

    back = time.monotonic()
    wait_until(drained, "outbox drained once Redis is back", drill, timeout=90, step=1)
    drained_after = time.monotonic() - back
    time.sleep(2)  # copies of finished jobs still queued

    figures = sorted(saver.seconds)
    print(  # the drill's figures, for the record
        f"\n{len(figures)} requests; slowest {figures[-1]:.3f} s, median "
        f"{figures[len(figures) // 2]:.3f} s; {len(lost)} published jobs lost with Redis; "
        f"outbox drained {drained_after:.0f} s after the last save"
    )
    assert figures[-1] < MAX_REQUEST_SECONDS
    assert lost  # Redis took published jobs with it: the drill exercised their redelivery
    assert not OutboxMessage.objects.dead().exists()
    # Every comment's e-mail reached each of the state's users exactly once.
    comments = Comment.objects.values_list("pk", "report__member_state")
    received = Counter(
        (to, int(re.search(r"#comment-(\d+)", text).group(1)))
        for to, _, text in drill.emails(with_body=True)
    )
    assert {mail for mail, n in received.items() if n > 1} == set()
    assert set(received) == {(to, pk) for pk, state in comments for to in state_users[state]}
    # Every save's refresh ran: the current summaries count every status saved.
    current = ProgressSummary.objects.get(
        plan=plan, member_state=None, period_start=period_containing(local_today()).start
    )
    saved = NationalStatus.objects.filter(action_item__plan=plan).count()
    assert current.figures["status_counts"].get("in_progress") == saved
    assert saved == 2 * len(saver.items)
