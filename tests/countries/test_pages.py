"""The public member state pages: content, Timor-Leste's membership, 404s, query counts."""

import pytest
from django.urls import reverse

from actions.models import Plan
from actions.queries import member_states_with_first_plan
from countries.models import MemberState
from tests import factories
from tests.query_counts import assert_flat


def state_url(code):
    return reverse("countries:member_state_detail", args=[code])


def row_of(page, state):
    return page.split(f">{state.name}</a></th>")[1].split("</tr>")[0]


def test_state_list_shows_names_codes_and_dates(client, cambodia):
    response = client.get(reverse("countries:member_state_list"))
    page = response.content.decode()

    assert response.status_code == 200
    row = row_of(page, cambodia)
    assert "KH / KHM / 116" in row
    assert '<time datetime="1999-04-30">30 Apr 1999</time>' in row
    assert '<time datetime="2021-01-01">1 Jan 2021</time>' in row
    assert "Reports from the" not in row


def test_state_list_notes_timor_leste_reports_from_the_2026_plan(
    client, plan_2021, plan_2026, cambodia, timor_leste
):
    page = client.get(reverse("countries:member_state_list")).content.decode()

    timor = row_of(page, timor_leste)
    assert '<time datetime="2025-10-26">26 Oct 2025</time>' in timor
    assert f'Reports from the <a href="/plans/{plan_2026.code}/">RPA 2026–2030</a> plan on' in timor
    assert "Reports from the" not in row_of(page, cambodia)


def test_state_list_query_count_does_not_grow(client, plan_2021, cambodia):
    url = reverse("countries:member_state_list")

    def grow():
        factories.make_plan(2026, 2030, predecessor=plan_2021)
        for code in ("MY", "TH", "TL"):
            factories.make_state(code)

    assert_flat(client, "countries:member_state_list", url, grow)

    response = client.get(url)
    assert response.content.decode().count('<th scope="row">') == 4


def test_state_detail_shows_codes_dates_and_time_zone(client, cambodia):
    response = client.get(state_url("KH"))
    page = response.content.decode()

    assert response.status_code == 200
    assert "<h1>Cambodia</h1>" in page
    assert "<dt>ISO alpha-3</dt><dd>KHM</dd>" in page
    assert "<dt>ISO numeric</dt><dd>116</dd>" in page
    assert '<time datetime="1999-04-30">30 April 1999</time>' in page
    assert '<time datetime="2021-01-01">1 January 2021</time>' in page
    assert "<dt>Time zone</dt><dd>Asia/Phnom_Penh</dd>" in page


def test_state_detail_says_which_plans_the_state_reports_on(
    client, plan_2021, plan_2026, cambodia, timor_leste
):
    cambodia_page = client.get(state_url("KH")).content.decode()
    timor_page = client.get(state_url("TL")).content.decode()

    def plan_row(page, plan):
        return page.split(f">{plan.short_title}</a></th>")[1].split("</tr>")[0]

    assert "Reports on this plan" in plan_row(cambodia_page, plan_2021)
    assert "Reports on this plan" in plan_row(cambodia_page, plan_2026)
    timor_2021 = plan_row(timor_page, plan_2021)
    assert "Not a member then" in timor_2021
    assert "does not report on this plan" in timor_2021
    assert "Not started" not in timor_page
    assert "Reports on this plan" in plan_row(timor_page, plan_2026)


def test_state_detail_redirects_a_lower_case_code(client, cambodia):
    response = client.get("/member-states/kh/")

    assert response.status_code == 301
    assert response["Location"] == "/member-states/KH/"
    assert client.get("/member-states/Kh/", follow=True).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/member-states/ZZ/",
        "/member-states/zz/",  # redirected, then unknown
        "/member-states/KHM/",
        "/member-states/K1/",
        "/member-states/%00%00/",
        "/member-states/%C3%9F/",  # ß upper-cases to SS: not a code either way
    ],
)
def test_unknown_state_is_404(client, cambodia, path):
    assert client.get(path, follow=True).status_code == 404


def test_state_detail_query_count_does_not_grow(client, plan_2021):
    factories.make_state("TL")
    url = state_url("TL")

    def grow():
        later = factories.make_plan(2026, 2030, predecessor=plan_2021)
        factories.make_plan(2031, 2035, predecessor=later)
        factories.make_state("KH")

    assert_flat(client, "countries:member_state_detail", url, grow)

    response = client.get(url)
    assert response.content.decode().count("Reports on this plan") == 2


def test_page_annotations_follow_the_reporting_in_rule(plan_2021, plan_2026, cambodia, timor_leste):
    """The flags the pages show agree with MemberState.objects.reporting_in for every pair."""
    for plan in (plan_2021, plan_2026):
        reporting = set(MemberState.objects.reporting_in(plan))
        flagged = {s for s in MemberState.objects.with_reporting_in(plan) if s.reports_on_plan}
        assert flagged == reporting
        for state in (cambodia, timor_leste):
            marked = Plan.objects.with_reporting_by(state).get(pk=plan.pk).reported_by_state
            assert marked == (state in reporting)
    first = {s.code: s.first_plan_code for s in member_states_with_first_plan()}
    assert first == {"KH": plan_2021.code, "TL": plan_2026.code}
