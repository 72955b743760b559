"""The embedded default's demo data: accounts for every role and a lived-in, valid history."""

import datetime
import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import DEMO_EMAIL_DOMAIN, STATE_ROLES, Role, User
from actions.models import ActionItem, Evidence, NationalStatus, Plan, StatusHistory
from countries.models import MemberState
from demo import national as demo
from tests import factories

Status = NationalStatus.Status
DEMO_PASSWORD = "demo password for tests"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def reference_data(db):
    call_command("load_reference_data", stdout=io.StringIO())


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = DEMO_PASSWORD


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


def test_refuses_when_debug_is_off_and_writes_nothing(reference_data):
    with pytest.raises(CommandError, match="DEBUG is off.*--force"):
        load_demo()

    assert row_counts() == {"User": 0, "NationalStatus": 0, "StatusHistory": 0, "Evidence": 0}


def test_force_runs_with_debug_off_but_gives_no_usable_password(reference_data):
    output = load_demo("--force")

    users = list(demo_users())
    assert len(users) == len(demo.FOCAL_POINT_STATES) + len(demo.COORDINATOR_STATES) + 3
    assert not any(user.has_usable_password() for user in users)
    assert "cannot log in" in output
    assert NationalStatus.objects.exists()


def test_refuses_without_reference_data(db, debug_on):
    with pytest.raises(CommandError, match="load_reference_data"):
        load_demo()

    assert row_counts()["User"] == 0


def test_creates_an_account_for_every_role_with_the_demo_password(reference_data, debug_on):
    load_demo()

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


def test_login_page_lists_every_demo_account_only_with_debug(
    reference_data, debug_on, settings, client
):
    load_demo()
    emails = list(demo_users().values_list("email", flat=True))

    page = client.get(reverse("accounts:login")).content.decode()
    assert all(email in page for email in emails)
    assert DEMO_PASSWORD in page

    settings.DEBUG = False
    page = client.get(reverse("accounts:login")).content.decode()
    assert DEMO_EMAIL_DOMAIN not in page


def test_timor_leste_has_no_status_on_2021_2025_but_entries_on_2026_2030(reference_data, debug_on):
    load_demo()

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


def test_every_status_keeps_the_rules_and_its_history_adds_up_to_it(reference_data, debug_on):
    load_demo()

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


def test_history_of_2021_2025_is_spread_over_the_plan_years_by_the_states_own_users(
    reference_data, debug_on
):
    load_demo()

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


def test_states_are_at_different_levels_with_every_status_in_use(reference_data, debug_on):
    load_demo()

    statuses = NationalStatus.objects.filter(action_item__plan__code=demo.HISTORY_PLAN)
    assert set(statuses.values_list("status", flat=True)) == set(Status.values)
    done = {
        code: statuses.filter(
            member_state__code=code, status__in=[Status.COMPLETED, Status.ONGOING]
        ).count()
        for code in ("TH", "MM")
    }
    assert done["TH"] > done["MM"] + 10


def test_second_run_writes_nothing_and_says_so(reference_data, debug_on):
    load_demo()
    before = row_counts()

    output = load_demo()

    assert row_counts() == before
    assert "Nothing to do" in output


def test_a_state_with_statuses_on_the_old_plan_is_left_alone(reference_data, debug_on):
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


def test_entries_the_write_service_refuses_are_left_out(reference_data, debug_on, monkeypatch):
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


def test_two_fresh_databases_get_the_same_demo_data(reference_data, debug_on):
    with pytest.raises(Rollback), transaction.atomic():
        first_output, first = load_demo(), fingerprint()
        raise Rollback  # back to a database without demo data
    assert row_counts()["NationalStatus"] == 0

    second_output, second = load_demo(), fingerprint()

    assert second_output == first_output
    assert second == first


def test_history_is_written_in_bulk(reference_data, debug_on):
    states = MemberState.objects.in_bulk(field_name="code")
    demo.demo_accounts_create(password=DEMO_PASSWORD, states=states)
    plan = history_plan()

    with CaptureQueriesContext(connection) as queries:
        _, _, statuses, rows, links = demo.demo_history_create(plan)

    kinds = [query["sql"].split()[0] for query in queries]
    # Items, states that already have statuses, authors, reporting states: one query each.
    assert kinds.count("SELECT") == 4
    # Inserts come in batches (on SQLite, up to 999 values per statement), not one per row.
    assert statuses + rows + links > 900
    assert kinds.count("INSERT") * 50 < statuses + rows + links


def test_bulk_writer_refuses_a_history_that_breaks_the_rules(reference_data, debug_on):
    load_demo("--force")
    state = MemberState.objects.get(code="TL")  # no demo history on the old plan
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


def test_readme_lists_every_demo_account_and_the_password(reference_data):
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
