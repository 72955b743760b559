"""The progress-summary pages: list, summary with charts and trend, CSV, digest preferences."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from accounts.models import Role
from summaries.models import DigestPreference, ProgressSummary
from summaries.summaries import make_progress_summaries, period_before
from tests import factories
from tests.conftest import shared_data
from tests.query_counts import assert_flat

from .summary_helpers import (
    CURRENT,
    FINISHED,
    TODAY,
    download,
    make_round,
    open_small_plan,
    summary,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The small plan summarised on TODAY, and a person of each kind with a signed-in session:
    built once for the module (each test's writes are rolled back)."""
    with shared_data(django_db_blocker):
        small = open_small_plan(factories.make_plan(2021, 2025))
        make_progress_summaries(today=TODAY)
        people = {
            "kh_focal": factories.make_user(Role.FOCAL_POINT, small.kh),
            "my_focal": factories.make_user(Role.FOCAL_POINT, small.my),
            "reviewer": factories.make_user(Role.REVIEWER),
            "secretariat": factories.make_user(Role.SECRETARIAT),
            "observer": factories.make_user(Role.OBSERVER),
        }
        sessions = {person: factories.session_of(user) for person, user in people.items()}
        yield small, people, sessions


@pytest.fixture
def small(world):
    return world[0]


@pytest.fixture
def people(world):
    return world[1]


@pytest.fixture
def client_of(world):
    """A new client signed in as one of `people`."""
    return lambda person: factories.signed_in(world[2][person])


def listed(response):
    return [
        (row.record.period_start, row.record.member_state_id)
        for row in response.context["table"].paginated_rows
    ]


# --- List ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "scopes"),
    [
        ("reviewer", {None, "KH", "MY"}),
        ("secretariat", {None, "KH", "MY"}),
        ("kh_focal", {None, "KH"}),
        ("my_focal", {None, "MY"}),
        ("observer", {None}),
    ],
)
def test_the_list_shows_the_summaries_each_person_may_see(client_of, small, person, scopes):
    response = client_of(person).get(reverse("summaries:list"))

    assert response.status_code == 200
    codes = {None: None, small.kh.pk: "KH", small.my.pk: "MY"}
    assert {codes[state] for _, state in listed(response)} == scopes
    # Newest period first.
    assert [start for start, _ in listed(response)][0] == CURRENT.start


def test_the_list_filters_by_plan_and_scope(client_of, small):
    client = client_of("reviewer")

    by_scope = client.get(reverse("summaries:list"), {"scope": "KH"})
    region = client.get(reverse("summaries:list"), {"scope": "region", "plan": small.plan.code})
    plan_2026 = factories.make_plan(2026, 2030, predecessor=small.plan)
    other_plan = client.get(reverse("summaries:list"), {"plan": plan_2026.code})

    assert {state for _, state in listed(by_scope)} == {small.kh.pk}
    assert listed(region) == [(CURRENT.start, None), (FINISHED.start, None)]
    assert listed(other_plan) == []


def test_a_state_user_cannot_filter_their_way_to_another_states_summaries(client_of, small):
    response = client_of("kh_focal").get(reverse("summaries:list"), {"scope": "MY"})

    assert response.status_code == 200
    assert small.my.pk not in {state for _, state in listed(response)}
    assert "This filter was ignored" in response.content.decode()


def test_the_list_counts_summaries_and_names_its_unlabelled_columns(client_of):
    page = client_of("observer").get(reverse("summaries:list")).content.decode()

    assert "(2 summaries)" in page
    assert '<span class="visually-hidden">State</span>' in page
    assert '<span class="visually-hidden">Download</span>' in page


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "0"},
        {"page": "-1"},
        {"page": str(10**12)},
        {"per_page": "100000"},
        {"scope": "\x00"},
        {"plan": "' OR 1=1--"},
        {"sort": "password"},
        {"sort": "figures__a__b"},
    ],
)
def test_bad_list_parameters_never_fail(client_of, query):
    response = client_of("reviewer").get(reverse("summaries:list"), query)

    assert response.status_code in (200, 404)


def earlier_weeks(small, count):
    """The region's and both states' summaries of `count` more weeks before FINISHED, as the
    weekly job leaves them (each a copy of FINISHED's: the pages read figures, not compute)."""
    finished = list(ProgressSummary.objects.filter(plan=small.plan, period_start=FINISHED.start))
    copies, period = [], FINISHED
    for _ in range(count):
        period = period_before(period.start)
        copies += [
            ProgressSummary(
                plan=small.plan,
                member_state_id=summary.member_state_id,
                period_start=period.start,
                period_end=period.end,
                figures=summary.figures,
                final=True,
            )
            for summary in finished
        ]
    ProgressSummary.objects.bulk_create(copies)


def test_the_list_takes_a_fixed_number_of_queries(client_of, small):
    client = client_of("reviewer")

    # 2 weeks then 13, of 3 scopes each
    assert_flat(
        client, "summaries:list", reverse("summaries:list"), lambda: earlier_weeks(small, 11)
    )

    response = client.get(reverse("summaries:list"))
    assert len(listed(response)) == 25  # a page
    assert response.context["table"].paginator.count == 39


def test_a_summary_page_shows_charts_tables_and_key_figures(client_of, small):
    response = client_of("reviewer").get(reverse("summaries:detail", args=[summary(small).pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('role="img"') == 3  # statuses, focus areas, trend
    assert "45 %" in page  # average progress of the region
    assert "Legal frameworks" in page
    assert "Final summary" in page
    assert " style=" not in page  # the CSP allows no inline styles
    assert "<script" not in page


def test_a_provisional_summary_says_so(client_of, small):
    response = client_of("kh_focal").get(
        reverse("summaries:detail", args=[summary(small, small.kh, CURRENT).pk])
    )

    assert "Provisional:" in response.content.decode()


def test_a_state_summary_lists_its_stale_and_overdue_items(client_of, small):
    response = client_of("kh_focal").get(
        reverse("summaries:detail", args=[summary(small, small.kh).pk])
    )

    page = response.content.decode()
    assert "Action 1.2" in page
    assert response.context["figures"]["overdue"] == 2


def test_the_trend_runs_over_the_scopes_summaries_oldest_first(client_of, small):
    make_progress_summaries(today=TODAY - datetime.timedelta(weeks=1))
    make_progress_summaries(today=TODAY - datetime.timedelta(weeks=2))

    response = client_of("reviewer").get(
        reverse("summaries:detail", args=[summary(small, small.kh).pk])
    )

    trend = [item["summary"] for item in response.context["trend"]]
    assert [item.period_start for item in trend] == [
        period_before(FINISHED.start - datetime.timedelta(days=7)).start,
        period_before(FINISHED.start).start,
        FINISHED.start,
    ]
    assert {item.member_state_id for item in trend} == {small.kh.pk}


def test_a_region_summary_links_the_states_summaries_the_person_may_see(client_of, small):
    url = reverse("summaries:detail", args=[summary(small).pk])

    for_reviewer = client_of("reviewer").get(url).context["state_summaries"]
    for_focal_point = client_of("kh_focal").get(url).context["state_summaries"]
    for_observer = client_of("observer").get(url).context["state_summaries"]

    assert [s.member_state.code for s in for_reviewer] == ["KH", "MY"]
    assert [s.member_state.code for s in for_focal_point] == ["KH"]
    assert list(for_observer) == []


def test_the_summary_page_takes_a_fixed_number_of_queries(client_of, small):
    client = client_of("reviewer")
    url = reverse("summaries:detail", args=[summary(small).pk])

    assert_flat(client, "summaries:detail", url, lambda: earlier_weeks(small, 39))

    assert len(client.get(url).context["trend"]) == 26


# --- CSV -----------------------------------------------------------------------------------------


def test_a_summary_downloads_as_csv_with_its_figures(client_of, small):
    response, body = download(client_of("reviewer"), summary(small))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][:5] == ["Scope", "Plan", "Period start", "Period end", "Section"]
    overall = {row[6]: row[7] for row in rows if row[4] == "Overall"}
    assert overall["Average progress (%)"] == "45.0"
    assert overall["Actions × states"] == "10"
    statuses = {row[6]: row[7] for row in rows if row[4] == "Status"}
    assert statuses["Not started"] == "2"
    assert "\r\n" in body
    for state in ("Cambodia", "Malaysia"):
        assert state not in body


def test_a_state_summary_csv_lists_its_stale_and_overdue_items(client_of, small):
    _, body = download(client_of("kh_focal"), summary(small, small.kh))

    rows = list(csv.reader(io.StringIO(body[1:])))
    assert [row[5] for row in rows if row[4] == "Not updated"] == ["1.2 Action 1.2"]
    assert [(row[5], row[7]) for row in rows if row[4] == "Overdue"] == [
        ("1.2 Action 1.2", "2022"),
        ("1.3 Action 1.3", "2023"),
    ]


def test_text_that_looks_like_a_formula_is_neutralised_in_the_csv(client_of, small):
    make_round(small.plan, name="=SUM(1)+cmd|' /C calc'!A0")
    make_progress_summaries(today=TODAY)

    _, body = download(client_of("reviewer"), summary(small, None, CURRENT))

    rows = list(csv.reader(io.StringIO(body[1:])))
    rounds = {row[5] for row in rows if row[4] == "Reporting"}
    assert rounds == {"'=SUM(1)+cmd|' /C calc'!A0"}
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# --- Digest preferences --------------------------------------------------------------------------


def test_preferences_offer_the_digests_a_person_may_receive_with_their_defaults(client_of):
    reviewer = client_of("reviewer").get(reverse("summaries:preferences"))
    focal = client_of("kh_focal").get(reverse("summaries:preferences"))

    assert {name: f.initial for name, f in reviewer.context["form"].fields.items()} == {
        "region": True
    }
    assert {name: f.initial for name, f in focal.context["form"].fields.items()} == {
        "state": True,
        "region": False,
    }
    assert "Cambodia&#x27;s progress summary" in focal.content.decode()


def test_saving_preferences_records_each_choice(client_of, people):
    user = people["kh_focal"]
    client = client_of("kh_focal")

    response = client.post(reverse("summaries:preferences"), {"region": "on"})

    assert response.status_code == 302
    assert dict(user.digest_preferences.values_list("kind", "enabled")) == {
        "state": False,
        "region": True,
    }
    shown = client.get(reverse("summaries:preferences")).context["form"]
    assert {name: f.initial for name, f in shown.fields.items()} == {
        "state": False,
        "region": True,
    }


def test_a_person_cannot_choose_a_digest_they_may_not_receive(client_of, people):
    user = people["observer"]

    client_of("observer").post(reverse("summaries:preferences"), {"state": "on", "region": "on"})

    assert dict(user.digest_preferences.values_list("kind", "enabled")) == {"region": True}
    assert not DigestPreference.objects.filter(kind="state").exists()


def test_the_profile_page_links_to_the_digest_preferences(client_of):
    response = client_of("reviewer").get(reverse("accounts:profile"))

    assert reverse("summaries:preferences") in response.content.decode()


def test_the_header_links_signed_in_people_to_the_summaries(client_of):
    response = client_of("observer").get(reverse("summaries:list"))

    assert f'<a href="{reverse("summaries:list")}" aria-current="page">Summaries</a>' in (
        response.content.decode()
    )
