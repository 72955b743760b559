"""make run's demo data includes an open reporting round with reports at several stages."""

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase, override_settings

from actions.models import Plan
from reviews.models import Comment, CountryReport, ReportingRound, Submission
from tests.conftest import shared_data

DEMO_PASSWORD = "demo password for tests"


pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """What the demo command printed and the e-mails it sent, run once for the module (each
    test's writes are rolled back)."""
    out = io.StringIO()
    with override_settings(DEBUG=True, DEMO_PASSWORD=DEMO_PASSWORD), shared_data(django_db_blocker):
        call_command("load_reference_data", stdout=io.StringIO())
        mail.outbox.clear()
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("load_demo_data", stdout=out)
        yield out.getvalue(), list(mail.outbox)


def test_the_demo_opens_a_round_on_the_current_plan_with_reports_at_each_stage(demo):
    printed, sent = demo
    reporting_round = ReportingRound.objects.get()
    assert reporting_round.plan == Plan.objects.current()
    assert reporting_round.is_open
    states = dict(CountryReport.objects.values_list("member_state__code", "state"))
    assert states == {"PH": "accepted", "KH": "submitted", "MY": "returned"}
    returned = CountryReport.objects.get(member_state__code="MY")
    assert Comment.objects.filter(report=returned).exists()
    assert Submission.objects.count() == 3
    assert f"Reporting round “{reporting_round.name}”" in printed
    assert sent, "the review moves notify people, as in real use"


def test_a_second_demo_run_adds_no_round_or_report(demo):
    counts = (ReportingRound.objects.count(), Submission.objects.count())

    out = io.StringIO()
    call_command("load_demo_data", stdout=out)

    assert (ReportingRound.objects.count(), Submission.objects.count()) == counts
    assert "Reporting round" not in out.getvalue()
