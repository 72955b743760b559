"""Shared builders of the progress-summary, digest and reminder tests."""

import datetime
import functools
import threading

from django.db import connection
from django.test import TestCase
from django.urls import reverse

from accounts.models import Role
from actions.models import ActionItem, NationalStatus, Plan
from outbox.models import OutboxMessage
from reviews.models import CountryReport, ReportingRound, Submission
from summaries.models import ProgressSummary
from summaries.summaries import make_progress_summaries, period_before, period_containing
from tests import factories, small_plan

# A Wednesday: the period just ended is 16–22 November 2026, the current one 23–29 November.
TODAY = datetime.date(2026, 11, 25)
FINISHED = period_before(TODAY)
CURRENT = period_containing(TODAY)


def open_small_plan(plan):
    """small_plan's states and statuses on `plan`, made open (in force), with two timeframes
    that ended before TODAY's year: 1.2 in 2022 and 1.3 in 2023."""
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.IN_FORCE)
    plan.refresh_from_db()
    small = small_plan.build(plan)
    ActionItem.objects.filter(pk=small.items["1.2"].pk).update(start_year=2021, end_year=2022)
    ActionItem.objects.filter(pk=small.items["1.3"].pk).update(start_year=2021, end_year=2023)
    return small


def make_round(plan, **dates):
    """A round open on TODAY: opened 1 November, due 20 November, closes 15 December."""
    fields = {
        "name": "2026 annual",
        "opens_on": datetime.date(2026, 11, 1),
        "due_on": datetime.date(2026, 11, 20),
        "closes_on": datetime.date(2026, 12, 15),
    }
    fields.update(dates)
    return ReportingRound.objects.create(plan=plan, **fields)


def submit(round_, member_state, on=datetime.datetime(2026, 11, 19, 3, tzinfo=datetime.UTC)):
    report = CountryReport.objects.create(
        round=round_, member_state=member_state, state=CountryReport.State.SUBMITTED
    )
    Submission.objects.create(report=report, number=1, submitted_at=on)
    return report


def small_with_a_round(plan):
    """`open_small_plan` with Thailand reporting too (never updated), an open round in which
    Cambodia has submitted, a focal point of each state (`small.focal`, by code), and the
    summaries of TODAY's period and the one before made."""
    small = open_small_plan(plan)
    small.th = factories.make_state("TH")
    submit(make_round(small.plan), small.kh)
    small.focal = {
        state.code: factories.make_user(Role.FOCAL_POINT, state)
        for state in (small.kh, small.my, small.th)
    }
    make_progress_summaries(today=TODAY)
    return small


def save(small, code, item, **values):
    """Save `code`'s status of item `item` through the one write path, from its current
    version."""
    user = small.focal[code]
    status = NationalStatus.objects.filter(
        member_state=user.member_state, action_item=small.items[item]
    ).first()
    return factories.save_status(user, small.items[item], status.version if status else 0, **values)


def current_figures():
    """{scope: figures} of the current period's summaries, without the time they were made."""
    return {
        summary.member_state_id: {k: v for k, v in summary.figures.items() if k != "as_of"}
        for summary in ProgressSummary.objects.filter(period_start=CURRENT.start)
    }


def recomputed_figures():
    """current_figures() once the periodic job has computed every summary afresh."""
    make_progress_summaries(today=TODAY)
    return current_figures()


def digest_people(small):
    """The people of the digest tests, by name, with their e-mail addresses: one of each role
    (two state users in Cambodia, one in Malaysia) and an inactive reviewer."""
    return {
        "reviewer": factories.make_user(Role.REVIEWER, email="rev@example.org"),
        "secretariat": factories.make_user(Role.SECRETARIAT, email="sec@example.org"),
        "kh_focal": factories.make_user(Role.FOCAL_POINT, small.kh, email="kh.fp@example.org"),
        "kh_coordinator": factories.make_user(
            Role.COORDINATOR, small.kh, email="kh.co@example.org"
        ),
        "my_focal": factories.make_user(Role.FOCAL_POINT, small.my, email="my.fp@example.org"),
        "observer": factories.make_user(Role.OBSERVER, email="obs@example.org"),
        "gone": factories.make_user(Role.REVIEWER, email="gone@example.org", is_active=False),
    }


def summary(small, member_state=None, period=FINISHED):
    """The stored summary of `small`'s plan for `member_state` (None: the region) and `period`."""
    return ProgressSummary.objects.get(
        plan=small.plan, member_state=member_state, period_start=period.start
    )


def download(client, summary):
    """A summary's CSV download: the response and its body."""
    response = client.get(reverse("summaries:csv", args=[summary.pk]))
    body = b"".join(response.streaming_content).decode("utf-8")
    return response, body


def make_summary(plan, member_state=None, period=FINISHED, *, final=True, **figures):
    values = {
        "average_progress": 30.0,
        "completed_share": 10.0,
        "status_counts": {"completed": 1},
        "stale": 0,
        "overdue": 0,
        "focus_areas": [],
        "change": None,
    }
    values.update(figures)
    return ProgressSummary.objects.create(
        plan=plan,
        member_state=member_state,
        period_start=period.start,
        period_end=period.end,
        figures=values,
        final=final,
    )


def sending(run):
    """`run` (a digest or reminder run, which queues its e-mails) followed, as after its
    commit, by the outbox sending what it queued."""

    @functools.wraps(run)
    def run_and_send(**kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return run(**kwargs)

    return run_and_send


def events(prefix):
    """The events (kind:key) of the e-mails the outbox has sent, whose kind starts so."""
    done = OutboxMessage.objects.done().filter(key__startswith=f"email:{prefix}")
    return {
        key.removeprefix("email:").rsplit(":", 1)[0] for key in done.values_list("key", flat=True)
    }


def run_twice_at_once(job):
    """Run `job` in two threads at once (each with its own connection); return their errors."""
    errors = []

    def run():
        try:
            job()
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors
