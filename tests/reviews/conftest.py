"""Fixtures of the review workflow: a plan with items, an open round, reports."""

import datetime

import pytest

from reviews.models import CountryReport, ReportingRound, today
from tests import factories


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


@pytest.fixture
def items(plan_2026):
    """Three action items of the 2026–2030 plan over two focus areas."""
    first = factories.make_focus_area(plan_2026, title="Legal frameworks")
    second = factories.make_focus_area(plan_2026, title="Capacity")
    return [
        factories.make_item(first, title="Review national laws"),
        factories.make_item(first, title="Adopt a national action plan"),
        factories.make_item(second, title="Train investigators"),
    ]


@pytest.fixture
def open_round(plan_2026):
    return make_round(plan_2026)


@pytest.fixture
def report(open_round, cambodia):
    return CountryReport.objects.create(round=open_round, member_state=cambodia)


@pytest.fixture
def other_coordinator(malaysia):
    """Farid, Malaysia's national coordinator."""
    from accounts.models import Role

    return factories.make_user(Role.COORDINATOR, malaysia, email="farid@example.org", name="Farid")


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
