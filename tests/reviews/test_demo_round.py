"""make run's demo data includes an open reporting round with reports at several stages."""

import io

import pytest
from django.core import mail
from django.core.management import call_command

from actions.models import Plan
from reviews.models import Comment, CountryReport, ReportingRound, Submission

DEMO_PASSWORD = "demo password for tests"


@pytest.fixture
def demo(db, settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = DEMO_PASSWORD
    call_command("load_reference_data", stdout=io.StringIO())
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo_data", stdout=out)
    return out.getvalue()


def test_the_demo_opens_a_round_on_the_current_plan_with_reports_at_each_stage(demo):
    reporting_round = ReportingRound.objects.get()
    assert reporting_round.plan == Plan.objects.current()
    assert reporting_round.is_open
    states = dict(CountryReport.objects.values_list("member_state__code", "state"))
    assert states == {"PH": "accepted", "KH": "submitted", "MY": "returned"}
    returned = CountryReport.objects.get(member_state__code="MY")
    assert Comment.objects.filter(report=returned).exists()
    assert Submission.objects.count() == 3
    assert f"Reporting round “{reporting_round.name}”" in demo
    assert mail.outbox, "the review moves notify people, as in real use"


def test_a_second_demo_run_adds_no_round_or_report(demo):
    counts = (ReportingRound.objects.count(), Submission.objects.count())

    out = io.StringIO()
    call_command("load_demo_data", stdout=out)

    assert (ReportingRound.objects.count(), Submission.objects.count()) == counts
    assert "Reporting round" not in out.getvalue()
