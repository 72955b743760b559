"""The regional dashboard, by role: figures, drill-down links, Timor-Leste, rounds, queries."""

import datetime
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from actions.models import NationalStatus, StatusHistory
from regional.dashboards import REGION
from tests import factories, small_plan
from tests.conftest import make_cast, shared_data, shared_fixtures
from tests.factories import logged_in
from tests.query_counts import assert_flat

pytestmark = pytest.mark.django_db

Status = NationalStatus.Status


PERSONAS = ("reviewer", "focal_point", "coordinator", "other_focal_point", "observer")


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    """The small plan on both plans (2021 and 2026) and the personas, made once for the
    module."""
    with shared_data(django_db_blocker):
        cast = make_cast(*PERSONAS, plans=(2021, 2026))
        cast.small = small_plan.build(cast.plan_2021)
        cast.small_2026 = small_plan.build(cast.plan_2026)
        yield cast


small, small_2026, plan_2021, plan_2026 = shared_fixtures(
    "small", "small_2026", "plan_2021", "plan_2026"
)
cambodia, malaysia, timor_leste = shared_fixtures("cambodia", "malaysia", "timor_leste")
reviewer, focal_point, coordinator, other_focal_point, observer = shared_fixtures(*PERSONAS)


@pytest.fixture(scope="module")
def reviewers_dashboard(_shared, django_db_blocker):
    """The reviewer's dashboard of the small 2021 plan, asked for once for the tests that only
    read it."""
    with django_db_blocker.unblock():
        return dashboard(_shared.reviewer, _shared.small.plan)


def dashboard(user, plan):
    response = logged_in(user).get(reverse("reports:plan_dashboard", args=[plan.code]))
    assert response.status_code == 200
    return response


def row(response, label):
    return next(
        r for r in response.context["rows"] + [response.context["region"]] if r.label == label
    )


def text(response):
    """The page's text without tags, spaces collapsed (no-break spaces too)."""
    plain = unescape(re.sub(r"<[^>]+>", "", response.content.decode()))
    return re.sub(r"\s+", " ", plain.replace("\u00a0", " "))


def query(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# The figures on the page.


def matrix_rows(response):
    """{row header: [each cell's text]} of the state × focus-area matrix on the page."""
    page = response.content.decode()
    table = page[page.index('<table class="matrix"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr[^>]*><th scope=\"row\">(.*?)</th>(.*?)</tr>", table, re.S)
    plain = lambda html: unescape(re.sub(r"<[^>]+>", "", html)).replace("\u00a0", " ").strip()  # noqa: E731
    return {
        plain(header): [plain(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]
        for header, cells in rows
    }


def test_matrix_cells_show_average_progress_and_completed_counts_are_kept(reviewers_dashboard):
    response = reviewers_dashboard

    cambodia = row(response, "Cambodia")
    first, second = cambodia.cells
    assert (first.tally.completed, first.tally.applicable) == (1, 3)
    assert round(first.tally.average_progress) == 47  # (100 + 40 + 0) / 3
    assert (second.tally.completed, second.tally.applicable, second.tally.average_progress) == (
        0,
        1,
        10,
    )
    # One number per cell: the average progress; the last column is all focus areas.
    matrix = matrix_rows(response)
    assert matrix["Cambodia"] == ["47 %", "10 %", "38 %"]  # 140 / 3, 10 / 1, 150 / 4
    assert matrix["Malaysia"] == ["80 %", "25 %", "53 %"]  # 160 / 2, 50 / 2, 210 / 4
    assert matrix[REGION] == ["60 %", "20 %", "45 %"]


def test_overall_progress_of_the_region(reviewers_dashboard):
    response = reviewers_dashboard

    overall = response.context["overall"]
    assert (overall.average_progress, overall.completed_share) == (45, 25)
    region = row(response, REGION)
    assert [round(c.tally.average_progress) for c in region.cells] == [60, 20]


def test_each_cell_has_a_shade_and_its_number_links_to_its_rows(reviewers_dashboard):
    response = reviewers_dashboard

    cells = re.findall(r'<td class="heat-(\d)">(.*?)</td>', response.content.decode(), re.S)
    assert len(cells) == 3 * 3  # Cambodia, Malaysia, region × two focus areas and the total
    for _level, content in cells:
        assert re.fullmatch(r'<a href="[^"]+">\d+\xa0%</a>', content), content
    levels = {r.label: [c.level for c in r.cells] for r in response.context["rows"] if r.cells}
    assert levels == {"Cambodia": [2, 0], "Malaysia": [4, 1]}  # 47 %, 10 %; 80 %, 25 %


def test_timor_leste_shows_not_a_member_then_on_the_2021_plan(reviewers_dashboard):
    response = reviewers_dashboard

    timor = row(response, "Timor-Leste")
    assert timor.tally is None
    page = response.content.decode()
    timor_row = re.search(r"<tr><th scope=\"row\"><a [^>]*>Timor-Leste</a>.*?</tr>", page, re.S)
    assert "Not a member then" in timor_row.group(0)
    assert "not started" not in timor_row.group(0).lower()


def test_timor_leste_reports_on_the_2026_plan(small_2026, plan_2026, reviewer):

    response = dashboard(reviewer, small_2026.plan)

    timor = row(response, "Timor-Leste")
    assert timor.tally.counts[Status.NOT_STARTED] == 5  # never updated: not started, 0 %
    assert timor.tally.average_progress == 0


def test_status_per_state_table_counts_each_status_stale_and_never_updated(reviewers_dashboard):
    response = reviewers_dashboard
    page = response.content.decode()

    table = page[page.index('id="status-per-state"') :]
    table = table[: table.index("</table>")]
    cambodia = re.search(r"<th scope=\"row\">Cambodia</th>(.*?)</tr>", table, re.S).group(1)
    # Not started, planned, in progress, completed, ongoing, not applicable, total; then
    # stale (1.2, changed 400 days ago) and never updated (1.3).
    assert re.findall(r">(\d+)<", cambodia) == ["1", "1", "1", "1", "0", "1", "5", "1", "1"]
    # A zero has no rows behind it, so it does not link.
    assert '<td class="num" data-label="Ongoing (continuous measure)">0</td>' in cambodia


def test_stale_and_never_updated_counts_per_state(small, reviewer, settings):
    settings.STALE_AFTER_DAYS = 90

    response = dashboard(reviewer, small.plan)

    assert (row(response, "Cambodia").tally.stale, row(response, "Malaysia").tally.stale) == (1, 2)
    assert row(response, REGION).tally.never_updated == 2


def test_activity_trend_counts_the_months_changes(small, reviewer):
    StatusHistory.objects.create(
        national_status=small.statuses["KH", "1.1"],
        version=2,
        changed_at=timezone.make_aware(datetime.datetime(2025, 12, 15, 12)),
        changes={"status": ["in_progress", "completed"]},
    )

    response = dashboard(reviewer, small.plan)

    latest, links = response.context["activity"][-1]
    assert (latest.changes, latest.completions) == (1, 1)
    assert 'aria-labelledby="activity-title activity-desc"' in response.content.decode()
    client = logged_in(reviewer)
    for kind in ("changes", "completions"):
        assert client.get(links[kind]).context["table"].paginator.count == 1


# Every number drills down to exactly the rows behind it.


def drill_urls(response):
    rows = response.context["rows"] + [response.context["region"]]
    for r in rows:
        if r.tally is None:
            continue
        for cell in [*r.cells, r.total]:
            yield cell.completed_url, cell.tally.completed
            yield cell.progress_url, cell.tally.applicable
        for value in r.status_urls:
            yield r.status_urls[value], r.tally.counts[value]
        yield r.stale_url, r.tally.stale
        yield r.never_url, r.tally.never_updated


def test_every_number_links_to_the_table_of_exactly_its_rows(reviewers_dashboard, reviewer):
    response = reviewers_dashboard
    client = logged_in(reviewer)

    checked = 0
    for url, count in drill_urls(response):
        assert url.startswith(reverse("reports:statuses") + "?plan=rpa-2021-2025")
        table = client.get(url).context["table"]
        assert table.paginator.count == count, url
        checked += 1
    assert checked == 3 * (3 * 2 + 6 + 2)


def test_a_cell_link_carries_its_filters_in_the_url(reviewers_dashboard):
    response = reviewers_dashboard

    cell = row(response, "Cambodia").cells[0]

    assert query(cell.completed_url) == {
        "plan": "rpa-2021-2025",
        "state": "KH",
        "focus_area": "1",
        "status": "completed",
    }
    assert query(cell.progress_url) == {**query(cell.completed_url), "status": "applicable"}
    assert f'href="{cell.progress_url.replace("&", "&amp;")}"' in response.content.decode()


# Who sees what.


def test_a_focal_point_sees_their_own_state_and_regional_aggregates_only(small, focal_point):
    response = dashboard(focal_point, small.plan)

    assert [r.label for r in response.context["rows"]] == ["Cambodia"]
    assert response.context["region"].tally.total == 10
    page = response.content.decode()
    assert "Malaysia" not in page
    assert "state=MY" not in page
    # Regional numbers do not link: the rows behind them are not all theirs to see.
    assert all(not url for url, _ in drill_urls_of_region(response))
    assert all("state=KH" in url for url, _ in drill_urls_of_state(response, "Cambodia"))


def drill_urls_of_region(response):
    region = response.context["region"]
    return [(c.completed_url, 0) for c in region.cells] + [
        (u, 0) for u in region.status_urls.values()
    ]


def drill_urls_of_state(response, label):
    found = row(response, label)
    return [(c.completed_url, 0) for c in found.cells] + [(found.stale_url, 0)]


def test_an_observer_without_accepted_reports_sees_no_state_figures(small, observer):
    response = dashboard(observer, small.plan)

    assert response.context["accepted"] is True
    assert all(r.tally is None for r in response.context["rows"])
    assert response.context["overall"].total == 0
    page = text(response)
    assert "Accepted figures: each member state's come from its latest accepted" in page
    assert "No accepted report yet" in page
    assert "narrative" not in page
    assert reverse("reports:statuses") not in page


def test_an_observer_sees_the_accepted_report_not_later_changes(
    small_2026, plan_2026, coordinator, reviewer, observer
):
    reporting_round = small_plan.make_round(plan_2026)
    submission = small_plan.accept_report(
        reporting_round, coordinator=coordinator, reviewer=reviewer
    )
    # After acceptance Cambodia completes 1.2: live data, not yet accepted.
    NationalStatus.objects.filter(pk=small_2026.statuses["KH", "1.2"].pk).update(
        status=Status.COMPLETED, progress=100
    )

    response = dashboard(observer, plan_2026)

    cambodia = row(response, "Cambodia")
    assert cambodia.tally.completed == 1  # as accepted
    assert cambodia.tally.average_progress == 37.5
    assert cambodia.submission == submission
    assert row(response, "Malaysia").tally is None
    report_link = reverse("reviews:report_detail", args=[reporting_round.pk, "KH"])
    assert cambodia.cells[0].completed_url == f"{report_link}?submission=1"
    assert response.context["overall"].total == 5


def test_reviewers_see_live_figures_after_the_same_change(
    small_2026, plan_2026, coordinator, reviewer
):
    small_plan.accept_report(
        small_plan.make_round(plan_2026), coordinator=coordinator, reviewer=reviewer
    )
    NationalStatus.objects.filter(pk=small_2026.statuses["KH", "1.2"].pk).update(
        status=Status.COMPLETED, progress=100
    )

    assert row(dashboard(reviewer, plan_2026), "Cambodia").tally.completed == 2


def test_anonymous_visitors_are_sent_to_log_in(small, client):
    url = reverse("reports:plan_dashboard", args=[small.plan.code])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_unknown_plan_answers_404(reviewer):
    response = logged_in(reviewer).get(reverse("reports:plan_dashboard", args=["nope"]))

    assert response.status_code == 404


# Reporting rounds.


def test_no_open_round_is_said_plainly(reviewers_dashboard):
    page = text(reviewers_dashboard)

    assert "No reporting round of RPA 2021–2025 is open now" in page
    assert "No state has two accepted reports" in page


def test_compliance_of_the_open_round(small_2026, plan_2026, coordinator, reviewer, malaysia):
    reporting_round = small_plan.make_round(plan_2026, "2026 annual")
    small_plan.accept_report(reporting_round, coordinator=coordinator, reviewer=reviewer)

    response = dashboard(reviewer, plan_2026)

    assert response.context["round"] == reporting_round
    states = {r.state.code: r.report_state for r in response.context["compliance"]}
    assert states == {"KH": "accepted", "MY": "draft", "TL": "draft"}
    counts = {value: count for value, _, count in response.context["compliance_counts"]}
    assert counts["accepted"] == 1
    assert counts["draft"] == 2
    assert (
        reverse("reviews:round_compliance", args=[reporting_round.pk]) in response.content.decode()
    )


def test_a_focal_point_sees_only_their_own_compliance_row(
    small_2026, plan_2026, focal_point, coordinator
):
    small_plan.make_round(plan_2026)

    response = dashboard(focal_point, plan_2026)

    assert [r.state.code for r in response.context["compliance"]] == ["KH"]
    assert response.context["compliance_summary"]["total"] == 3


def accepted_twice(plan, coordinator, reviewer, built):
    first = small_plan.make_round(plan, "2026 annual")
    small_plan.accept_report(first, coordinator=coordinator, reviewer=reviewer)
    small_plan.close_round(first)
    factories.make_status(
        coordinator.member_state, built.items["1.3"], status=Status.IN_PROGRESS, progress=30
    )
    second = small_plan.make_round(plan, "2027 annual")
    small_plan.accept_report(second, coordinator=coordinator, reviewer=reviewer)
    return first, second


@pytest.mark.parametrize("persona", ["reviewer", "coordinator", "observer"])
def test_change_since_the_previous_accepted_report(
    small_2026, plan_2026, coordinator, reviewer, observer, persona
):
    first, second = accepted_twice(plan_2026, coordinator, reviewer, small_2026)
    user = {"reviewer": reviewer, "coordinator": coordinator, "observer": observer}[persona]

    response = dashboard(user, plan_2026)

    [change] = response.context["round_changes"]
    assert (change.member_state.code, change.count) == ("KH", 1)  # 1.3: not started → 30 %
    assert (change.previous.report.round, change.current.report.round) == (first, second)
    assert "2026 annual → 2027 annual Cambodia 1" in text(response)
    if persona == "observer":  # observers see no live history: the later report
        assert change.url == reverse("reviews:report_detail", args=[second.pk, "KH"]) + (
            "?submission=1"
        )
    else:
        assert change.url.startswith(reverse("reports:history") + "?")
        assert query(change.url)["state"] == "KH"
    link = f'<a href="{change.url.replace("&", "&amp;")}" aria-label="Cambodia: 1 action changed">'
    assert f"{link}1</a>" in response.content.decode()


def test_another_states_changes_are_not_shown_to_a_focal_point(
    small_2026, plan_2026, coordinator, reviewer, other_focal_point
):
    accepted_twice(plan_2026, coordinator, reviewer, small_2026)

    response = dashboard(other_focal_point, plan_2026)

    assert response.context["round_changes"] == []
    assert "Cambodia" not in response.content.decode()


# Speed: a fixed number of queries, whatever the data.


def grow(built, more_states, more_items, more_history, accepted_in=None, reviewer=None):
    """Add states, a focus area, items (with statuses) and history rows to the small plan;
    with `accepted_in` (a round), each new state's report accepted in it."""
    codes = ["ID", "PH", "TH"][:more_states]
    new_states = [factories.make_state(code) for code in codes]
    states = new_states + [built.kh]
    areas = [built.fa2, factories.make_focus_area(built.plan, 3)]
    for n in range(more_items):
        item = factories.make_item(areas[n % 2], f"{areas[n % 2].number}.{n + 10}")
        for state in states:
            status = factories.make_status(state, item, status=Status.PLANNED, progress=5)
            for version in range(more_history):
                StatusHistory.objects.create(
                    national_status=status,
                    version=version + 1,
                    changed_at=timezone.now() - datetime.timedelta(days=version * 20),
                    changes={"progress": [0, 5]},
                )
    for state in new_states if accepted_in else []:
        coordinator = factories.make_user(Role.COORDINATOR, state)
        small_plan.accept_report(accepted_in, coordinator=coordinator, reviewer=reviewer)


def test_dashboard_queries_do_not_grow_with_states_items_or_history(small, reviewer):
    client = logged_in(reviewer)
    url = reverse("reports:plan_dashboard", args=[small.plan.code])

    # A query per state, focus area, item or change adds at least two.
    assert_flat(client, "reports:plan_dashboard", url, lambda: grow(small, 3, 3, 2))


def test_dashboard_with_an_open_round_and_accepted_reports_has_fixed_queries(
    small_2026, plan_2026, coordinator, reviewer
):
    _, second = accepted_twice(plan_2026, coordinator, reviewer, small_2026)
    client = logged_in(reviewer)
    url = reverse("reports:plan_dashboard", args=[plan_2026.code])

    assert_flat(
        client,
        "reports:plan_dashboard",
        url,
        lambda: grow(small_2026, 3, 3, 2, accepted_in=second, reviewer=reviewer),
    )


def test_observer_dashboard_queries_do_not_grow(
    small_2026, plan_2026, coordinator, reviewer, observer
):
    reporting_round = small_plan.make_round(plan_2026)
    small_plan.accept_report(reporting_round, coordinator=coordinator, reviewer=reviewer)
    client = logged_in(observer)
    url = reverse("reports:plan_dashboard", args=[plan_2026.code])

    assert_flat(
        client,
        "reports:plan_dashboard",
        url,
        lambda: grow(small_2026, 3, 3, 2, accepted_in=reporting_round, reviewer=reviewer),
    )


def test_region_role_is_not_what_decides(small, settings):
    """A reviewer without the role's rights (inactive) is simply not logged in."""
    user = factories.make_user(Role.REVIEWER, is_active=False)
    client = Client()
    client.force_login(user)

    response = client.get(reverse("reports:plan_dashboard", args=[small.plan.code]))

    assert response.status_code == 302


def test_index_lists_plans_and_visible_states_in_fixed_queries(
    small, plan_2026, reviewer, focal_point
):
    client = logged_in(reviewer)

    def more_states():
        for code in ["ID", "PH", "TH"]:
            factories.make_state(code)

    assert_flat(client, "reports:index", reverse("reports:index"), more_states)

    response = client.get(reverse("reports:index"))
    assert len(response.context["states"]) == 3 + 3
    assert [
        s.code for s in logged_in(focal_point).get(reverse("reports:index")).context["states"]
    ] == ["KH"]
    assert reverse("reports:plan_dashboard", args=[plan_2026.code]) in response.content.decode()


def test_a_past_plans_activity_ends_with_its_last_month(reviewers_dashboard):
    response = reviewers_dashboard  # RPA 2021–2025

    months = [month.month for month, _ in response.context["activity"]]
    assert (months[0], months[-1]) == (datetime.date(2025, 1, 1), datetime.date(2025, 12, 1))
