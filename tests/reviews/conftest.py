"""Fixtures of the review workflow: a plan with items, an open round, reports."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection

from actions.models import NationalStatus
from actions.services import national_status_update
from reviews.models import (
    Comment,
    CountryReport,
    ReportingRound,
    ReportTransition,
    Submission,
    SubmissionItem,
    today,
)
from tests import factories
from tests.conftest import shared_data


def make_round(plan, name="2026 annual", *, opens=-10, due=20, closes=40, **overrides):
    """A round of `plan` dated relative to today (days)."""
    day = today()
    fields = {
        "opens_on": day + datetime.timedelta(days=opens),
        "due_on": day + datetime.timedelta(days=due),
        "closes_on": day + datetime.timedelta(days=closes),
    }
    fields.update(overrides)
    return ReportingRound.objects.create(plan=plan, name=name, **fields)


# --- Rows shared by a module's tests -------------------------------------------------------------

# What `shared_world` builds: Cambodia and Malaysia, the two plans, `items` and the personas.
SHARED = ("cambodia", "malaysia", "plan_2021", "plan_2026", "items", *factories.PERSONAS)


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """The rows of the fixtures SHARED names, built once for a module that uses it (see
    `_shared_or_own`), and a signed-in session of each persona, by user id. Each test's own
    writes are rolled back; the module's rows, at its end."""
    with shared_data(django_db_blocker):
        plan_2021 = factories.make_plan(2021, 2025)
        plan_2026 = factories.make_plan(2026, 2030, predecessor=plan_2021)
        people = factories.make_personas(*factories.PERSONAS)
        rows = {
            "cambodia": people["coordinator"].member_state,
            "malaysia": people["other_coordinator"].member_state,
            "plan_2021": plan_2021,
            "plan_2026": plan_2026,
            "items": factories.make_items(plan_2026),
            **people,
        }
        yield rows, {user.pk: factories.session_of(user) for user in people.values()}


@pytest.fixture(scope="module")
def _shared(shared_world):
    """The module's rows, for tests/conftest.py's `shared`: each test's own copies."""
    return SimpleNamespace(**shared_world[0])


def _shared_or_own(name):
    """The fixture `name` (from SHARED). In a module that uses `shared_world` (marked
    `usefixtures("shared_world")`, so that its rows are made before a test's transaction): this
    test's own copy of the module's row (`shared`: its writes roll back, so the next test finds
    the rows as they were made). In any other module: the fixture this one overrides, which
    makes the row anew for the test."""

    @pytest.fixture(name=name)
    def fixture(request):
        if "shared_world" in request.fixturenames:
            return getattr(request.getfixturevalue("shared"), name)
        return request.getfixturevalue(name)

    return fixture


(
    cambodia,
    malaysia,
    plan_2021,
    plan_2026,
    items,
    focal_point,
    coordinator,
    other_focal_point,
    other_coordinator,
    reviewer,
    secretariat,
    observer,
) = (_shared_or_own(name) for name in SHARED)


@pytest.fixture
def sign_in(shared_world):
    """A new client signed in as `user`: a persona in the module's session (`shared_world`)."""
    return lambda user: factories.signed_in(shared_world[1][user.pk])


@pytest.fixture
def open_round(plan_2026):
    return make_round(plan_2026)


@pytest.fixture
def report(open_round, cambodia):
    return CountryReport.objects.create(round=open_round, member_state=cambodia)


def update(user, item, progress, status=NationalStatus.Status.IN_PROGRESS):
    """Save `user`'s state's status of `item` from its current version, with a narrative."""
    row = NationalStatus.objects.filter(member_state=user.member_state, action_item=item).first()
    return national_status_update(
        user=user,
        member_state=user.member_state,
        action_item=item,
        expected_version=row.version if row else 0,
        status=status,
        progress=progress,
        narrative="Work under way.",
        challenges="",
        next_steps="",
        responsible_agency="",
    )


def make_two_rounds(plan):
    """A round of `plan` closed 80 days ago and one open now."""
    first = make_round(plan, "2026 annual", opens=-100, due=-90, closes=-80)
    second = make_round(plan, "2027 annual", opens=-5, due=10, closes=20)
    return first, second


def accepted_report(reporting_round, state, coordinator, reviewer):
    """The state's report in `reporting_round`, submitted and accepted (whatever its dates)."""
    report = CountryReport.objects.create(round=reporting_round, member_state=state)
    real = (reporting_round.opens_on, reporting_round.closes_on)
    ReportingRound.objects.filter(pk=reporting_round.pk).update(
        opens_on=today() - datetime.timedelta(days=200),
        closes_on=today() + datetime.timedelta(days=200),
    )
    try:
        bring_to(report, "accepted", coordinator=coordinator, reviewer=reviewer)
    finally:
        ReportingRound.objects.filter(pk=reporting_round.pk).update(
            opens_on=real[0], closes_on=real[1]
        )
    return report


def bring_to(report, state, *, coordinator, reviewer):
    """Move `report` (a draft) to `state` through the services, as the workflow would."""
    from reviews import services

    if state == "draft":
        return report
    services.report_submit(user=coordinator, report=report, cover_note="First submission")
    if state == "returned":
        services.report_return(user=reviewer, report=report, comment="Please add evidence.")
    elif state == "accepted":
        services.report_accept(user=reviewer, report=report)
    report.refresh_from_db()
    return report


def submit_data(report, cover_note="Ready"):
    """What the check page's submit form posts: the check's counts as they are, confirmed."""
    from reviews.forms import SubmitForm
    from reviews.queries import submission_check

    check = submission_check(report.round, report.member_state)
    return {"cover_note": cover_note, "counts": SubmitForm.encode(check.counts), "confirm": "on"}


def everything():
    """All the workflow's rows, as the database holds them: a refused move changes none."""
    rows, quote = {}, connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (CountryReport, ReportTransition, Submission, SubmissionItem, Comment):
            table, key = (quote(name) for name in (model._meta.db_table, model._meta.pk.column))
            cursor.execute(f"SELECT * FROM {table} ORDER BY {key}")
            rows[model.__name__] = cursor.fetchall()
    return rows
