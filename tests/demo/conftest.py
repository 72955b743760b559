"""Helpers of the demo-data tests: run the command, count its rows, turn the embedded default on."""

import io

import pytest
from django.core.management import call_command

from accounts.models import DEMO_EMAIL_DOMAIN, User
from actions.models import Evidence, NationalStatus, Plan, StatusHistory
from demo import national as demo

DEMO_PASSWORD = "demo password for tests"


def load_demo(*options):
    out = io.StringIO()
    call_command("load_demo_data", *options, stdout=out)
    return out.getvalue()


def row_counts():
    models = (User, NationalStatus, StatusHistory, Evidence)
    return {model.__name__: model.objects.count() for model in models}


def demo_users():
    return User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")


def history_plan():
    return Plan.objects.get(code=demo.HISTORY_PLAN)


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = DEMO_PASSWORD
