"""load_demo_data on a database with the reference data: refusals, idempotence, bulk writing."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from actions.models import ActionItem, Evidence, NationalStatus, StatusHistory
from countries.models import MemberState
from demo import national as demo
from tests import factories
from tests.conftest import shared_data
from tests.demo.conftest import DEMO_PASSWORD, demo_users, history_plan, load_demo, row_counts

Status = NationalStatus.Status


pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def demo_database(django_db_setup, django_db_blocker):
    """The reference data, loaded once for this module's tests (each loads the demo itself)."""
    with shared_data(django_db_blocker):
        call_command("load_reference_data", stdout=io.StringIO())
        yield


def test_refuses_when_debug_is_off_and_writes_nothing():
    with pytest.raises(CommandError, match="DEBUG is off.*--force"):
        load_demo()

    assert row_counts() == {"User": 0, "NationalStatus": 0, "StatusHistory": 0, "Evidence": 0}


def test_force_runs_with_debug_off_but_gives_no_usable_password():
    output = load_demo("--force")

    users = list(demo_users())
    assert len(users) == len(demo.FOCAL_POINT_STATES) + len(demo.COORDINATOR_STATES) + 3
    assert not any(user.has_usable_password() for user in users)
    assert "cannot log in" in output
    assert NationalStatus.objects.exists()


def test_a_state_with_statuses_on_the_old_plan_is_left_alone(debug_on):
    item = ActionItem.objects.get(plan__code=demo.HISTORY_PLAN, code="1.1")
    own = factories.make_status(MemberState.objects.get(code="KH"), item, narrative="Real data")

    output = load_demo()

    kh = NationalStatus.objects.filter(
        member_state__code="KH", action_item__plan__code=demo.HISTORY_PLAN
    )
    assert list(kh) == [own]
    assert kh.get().narrative == "Real data"
    assert "Skipped" in output and "Cambodia" in output
    assert NationalStatus.objects.filter(member_state__code="MY").count() > 20


def test_entries_the_write_service_refuses_are_left_out(debug_on, monkeypatch):
    monkeypatch.setattr("actions.services.can_edit_status", lambda *args: False)

    output = load_demo()

    assert not NationalStatus.objects.filter(action_item__plan__code=demo.CURRENT_PLAN).exists()
    assert "0 current entries" in output
    assert f"{len(demo.CURRENT_ENTRIES)} entries left out" in output
    assert NationalStatus.objects.filter(action_item__plan__code=demo.HISTORY_PLAN).count() > 200


class Rollback(Exception):
    pass


def fingerprint():
    """The demo data's content, without the times the real service gives entries now."""
    old_plan = {"national_status__action_item__plan__code": demo.HISTORY_PLAN}
    return (
        sorted(
            NationalStatus.objects.values_list(
                "member_state__code",
                "action_item__plan__code",
                "action_item__code",
                "status",
                "progress",
                "narrative",
                "responsible_agency",
                "version",
                "updated_by__email",
            )
        ),
        sorted(
            (code, item, version, str(at), str(changes), email)
            for code, item, version, at, changes, email in StatusHistory.objects.filter(
                **old_plan
            ).values_list(
                "national_status__member_state__code",
                "national_status__action_item__code",
                "version",
                "changed_at",
                "changes",
                "changed_by__email",
            )
        ),
        sorted(Evidence.objects.values_list("url", "title")),
    )


def test_two_fresh_databases_get_the_same_demo_data(debug_on):
    with pytest.raises(Rollback), transaction.atomic():
        first_output, first = load_demo(), fingerprint()
        raise Rollback  # back to a database without demo data
    assert row_counts()["NationalStatus"] == 0

    second_output, second = load_demo(), fingerprint()

    assert second_output == first_output
    assert second == first


def test_history_is_written_in_bulk(debug_on):
    states = MemberState.objects.in_bulk(field_name="code")
    demo.demo_accounts_create(password=DEMO_PASSWORD, states=states)
    plan = history_plan()

    with CaptureQueriesContext(connection) as queries:
        _, _, statuses, rows, links = demo.demo_history_create(plan)

    kinds = [query["sql"].split()[0] for query in queries]
    # Items, states that already have statuses, authors, reporting states, the written
    # history counted per month (actions.MonthlyActivity): one query each.
    assert kinds.count("SELECT") == 5
    # Inserts come in batches (on SQLite, up to 999 values per statement), not one per row.
    assert statuses + rows + links > 900
    assert kinds.count("INSERT") * 50 < statuses + rows + links


def test_bulk_writer_refuses_a_history_that_breaks_the_rules(debug_on):
    states = MemberState.objects.in_bulk(field_name="code")
    demo.demo_accounts_create(password=DEMO_PASSWORD, states=states)
    state = states["TL"]  # no demo history on the old plan
    item = ActionItem.objects.get(plan__code=demo.HISTORY_PLAN, code="1.1")
    author = User.objects.get(email=demo.demo_email("focal.tl"))
    at = datetime.datetime(2023, 5, 2, 3, 0, tzinfo=datetime.UTC)
    later = at + datetime.timedelta(days=30)
    values = {
        "status": Status.COMPLETED,
        "progress": 90,
        "narrative": "Done",
        "challenges": "",
        "next_steps": "",
        "responsible_agency": "",
    }
    bad_timelines = [
        [demo.Event(at=at, by=author, values=values)],  # completed at 90 %
        [demo.Event(at=at, by=author, evidence=("Report", "https://example.org/r.pdf"))],
        [
            demo.Event(at=at, by=author, values=values | {"progress": 100}),
            demo.Event(at=later, by=author, values=values | {"progress": 100}),  # no change
        ],
        [
            demo.Event(at=later, by=author, values=values | {"progress": 100}),
            demo.Event(at=at, by=author, values=values | {"status": Status.ONGOING}),
        ],
    ]
    before = row_counts()

    for events in bad_timelines:
        with pytest.raises(ValueError):
            demo.demo_history_bulk_write(
                [demo.Timeline(member_state=state, action_item=item, events=events)]
            )

    assert row_counts() == before
