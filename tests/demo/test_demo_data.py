"""The demo data, loaded once: accounts for every role, a lived-in, valid history and an open
reporting round with reports at several stages."""

import io
import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import TestCase, override_settings
from django.urls import reverse

from accounts.models import DEMO_EMAIL_DOMAIN, STATE_ROLES, Role
from actions.models import Evidence, MonthlyActivity, NationalStatus, Plan, StatusHistory
from countries.models import MemberState
from demo import national as demo
from reviews.models import Comment, CountryReport, ReportingRound, Submission
from tests.conftest import shared_data
from tests.demo.conftest import DEMO_PASSWORD, demo_users, history_plan, load_demo, row_counts

Status = NationalStatus.Status
ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def demo_run(django_db_setup, django_db_blocker):
    """The reference data and the demo data, loaded once for this module's tests (each test's
    writes are rolled back): what the command printed and the e-mails it sent (its commit's
    tasks run, as in real use)."""
    with override_settings(DEBUG=True, DEMO_PASSWORD=DEMO_PASSWORD), shared_data(django_db_blocker):
        call_command("load_reference_data", stdout=io.StringIO())
        mail.outbox.clear()
        with TestCase.captureOnCommitCallbacks(execute=True):
            printed = load_demo()
        yield printed, list(mail.outbox)


def test_creates_an_account_for_every_role_with_the_demo_password():
    users = list(demo_users().select_related("member_state"))
    assert {user.role for user in users} == set(Role)
    assert all(user.name.startswith("DEMO ") for user in users)
    assert all(user.check_password(DEMO_PASSWORD) for user in users)
    for user in users:
        if user.role in STATE_ROLES:
            assert user.time_zone == user.member_state.time_zone
        else:
            assert user.member_state is None
    [admin] = [user for user in users if user.role == Role.SECRETARIAT]
    assert admin.is_staff and admin.is_superuser
    assert not any(user.is_staff for user in users if user.role != Role.SECRETARIAT)
    coordinators = {u.member_state.code for u in users if u.role == Role.COORDINATOR}
    assert coordinators == {"KH", "MY", "PH", "ID", "TH"}
    assert {u.member_state.code for u in users if u.role == Role.FOCAL_POINT} >= {"TL"}


def test_login_page_lists_every_demo_account_only_with_debug(debug_on, settings, client):
    emails = list(demo_users().values_list("email", flat=True))

    page = client.get(reverse("accounts:login")).content.decode()
    assert all(email in page for email in emails)
    assert DEMO_PASSWORD in page

    settings.DEBUG = False
    page = client.get(reverse("accounts:login")).content.decode()
    assert DEMO_EMAIL_DOMAIN not in page


def test_timor_leste_has_no_status_on_2021_2025_but_entries_on_2026_2030():
    timor_leste = NationalStatus.objects.filter(member_state__code="TL")
    assert not timor_leste.filter(action_item__plan__code=demo.HISTORY_PLAN).exists()
    assert timor_leste.filter(action_item__plan__code=demo.CURRENT_PLAN).exists()
    reporting = {
        state.code for state in MemberState.objects.reporting_in(history_plan())
    }  # the ten members of 2021–2025
    with_history = set(
        NationalStatus.objects.filter(action_item__plan__code=demo.HISTORY_PLAN).values_list(
            "member_state__code", flat=True
        )
    )
    assert with_history == reporting and len(reporting) == 10


def replay(history_rows):
    """The tracked values the history adds up to, checking each change starts where the last
    one ended; and the number of evidence links it records."""
    values = dict.fromkeys(NationalStatus.TRACKED_FIELDS)
    links = 0
    for row in history_rows:
        for name, (old, new) in row.changes.items():
            if name == "evidence_added":
                links += 1
                continue
            # As the service: a change changes something, and "nothing" to an empty text is no
            # change, so an empty text appears first as the old value of its first change.
            assert old != new and not (old is None and new == ""), (row, name)
            assert values[name] == old or {values[name], old} == {None, ""}, (row, name)
            values[name] = new
    return values, links


def test_every_status_keeps_the_rules_and_its_history_adds_up_to_it():
    statuses = NationalStatus.objects.select_related("action_item__plan").prefetch_related(
        "history", "evidence"
    )
    assert len(statuses) > 200
    for status in statuses:
        assert NationalStatus.progress_problem(status.status, status.progress) is None
        history = sorted(status.history.all(), key=lambda row: row.version)
        assert [row.version for row in history] == list(range(1, status.version + 1))
        assert all(row.changes for row in history)
        values, links = replay(history)
        saved = status.tracked_values()
        # A text never filled in stays "" on the row and is absent from the history.
        assert {k: v if v is not None else "" for k, v in values.items() if k != "progress"} == {
            k: v for k, v in saved.items() if k != "progress"
        }
        assert values["progress"] == status.progress
        assert links == len(status.evidence.all())
        assert history[-1].changed_at == status.updated_at
        assert history[-1].changed_by_id == status.updated_by_id
        assert [row.changed_at for row in history] == sorted({row.changed_at for row in history})
        if status.action_item.plan.code == demo.HISTORY_PLAN:
            assert 1 <= len(history) <= demo.MAX_HISTORY_ROWS


def test_the_monthly_activity_counts_every_demo_history_row():
    kept = sorted(
        MonthlyActivity.objects.values_list(
            "focus_area", "member_state", "month", "changes", "completions"
        )
    )
    assert sum(row[3] for row in kept) == StatusHistory.objects.count() > 0
    recounted = MonthlyActivity.objects.all()
    with transaction.atomic():
        MonthlyActivity.objects.rebuild()
        again = sorted(
            recounted.values_list("focus_area", "member_state", "month", "changes", "completions")
        )
        transaction.set_rollback(True)
    assert kept == again


def test_history_of_2021_2025_is_spread_over_the_plan_years_by_the_states_own_users():
    rows = StatusHistory.objects.filter(
        national_status__action_item__plan__code=demo.HISTORY_PLAN
    ).select_related("national_status", "changed_by")
    years = {row.changed_at.year for row in rows}
    assert years == {2022, 2023, 2024, 2025}
    assert all(row.changed_at.tzinfo is not None for row in rows)
    assert all(
        row.changed_by.member_state_id == row.national_status.member_state_id for row in rows
    )
    links = Evidence.objects.filter(national_status__action_item__plan__code=demo.HISTORY_PLAN)
    assert links.exists()
    assert all(link.url.startswith("https://") for link in links)
    assert all(link.url.split("/")[2].endswith(f".{DEMO_EMAIL_DOMAIN}") for link in links)


def test_states_are_at_different_levels_with_every_status_in_use():
    statuses = NationalStatus.objects.filter(action_item__plan__code=demo.HISTORY_PLAN)
    assert set(statuses.values_list("status", flat=True)) == set(Status.values)
    done = {
        code: statuses.filter(
            member_state__code=code, status__in=[Status.COMPLETED, Status.ONGOING]
        ).count()
        for code in ("TH", "MM")
    }
    assert done["TH"] > done["MM"] + 10


def test_second_run_writes_nothing_and_says_so():
    before = row_counts(), ReportingRound.objects.count(), Submission.objects.count()

    output = load_demo()

    assert (row_counts(), ReportingRound.objects.count(), Submission.objects.count()) == before
    assert "Nothing to do" in output
    assert "Reporting round" not in output


def test_the_demo_opens_a_round_on_the_current_plan_with_reports_at_each_stage(demo_run):
    printed, sent = demo_run
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


def test_readme_lists_every_demo_account_and_the_password():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Demo accounts", 1)[1].split("\n## ", 1)[0]
    states = MemberState.objects.in_bulk(field_name="code")

    for user in demo.demo_accounts_wanted(states):
        [line] = [line for line in section.splitlines() if f"`{user.email}`" in line]
        assert user.get_role_display() in line
        assert (user.member_state.name if user.member_state else "—") in line
    settings_source = (ROOT / "rpa_tracker" / "settings.py").read_text(encoding="utf-8")
    password = re.search(r'DEMO_PASSWORD = "([^"]+)"', settings_source).group(1)
    assert f"`{password}`" in section
