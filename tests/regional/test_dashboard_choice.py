"""The dashboard's choices in the URL: live or accepted-in-a-round figures, one focus area;
and the change since the previous round as a count per state with its drill-down."""

import csv
import datetime
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import NationalStatus, StatusHistory
from regional.dashboards import REGION
from tests import factories, small_plan
from tests.conftest import make_cast, shared_data, shared_fixtures
from tests.factories import logged_in

pytestmark = pytest.mark.django_db

Status = NationalStatus.Status


def dashboard(user, plan, **params):
    url = reverse("reports:plan_dashboard", args=[plan.code])
    response = logged_in(user).get(url, params)
    assert response.status_code == 200
    return response


def row(response, label):
    return next(
        r for r in response.context["rows"] + [response.context["region"]] if r.label == label
    )


def query(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    """The small plan on 2021's plan, and on 2026's in two rounds (`two_rounds`), with the
    personas, made once for the module."""
    with shared_data(django_db_blocker):
        cast = make_cast("coordinator", "reviewer", "observer", "focal_point", plans=(2021, 2026))
        cast.small_2021 = small_plan.build(cast.plan_2021)
        cast.two_rounds = accepted_in_two_rounds(cast.plan_2026, cast.coordinator, cast.reviewer)
        yield cast


small_2021, two_rounds = shared_fixtures("small_2021", "two_rounds")
reviewer, observer, focal_point = shared_fixtures("reviewer", "observer", "focal_point")


def accepted_in_two_rounds(plan_2026, coordinator, reviewer):
    """Cambodia accepted in two rounds: 1.3 never updated in the first, in progress at 30 %
    in the second; then, live only, 1.2 completed."""
    built = small_plan.build(plan_2026)
    first = small_plan.make_round(plan_2026, "2026 annual")
    small_plan.accept_report(first, coordinator=coordinator, reviewer=reviewer)
    small_plan.close_round(first)
    factories.save_status(coordinator, built.items["1.3"], status=Status.IN_PROGRESS, progress=30)
    second = small_plan.make_round(plan_2026, "2027 annual")
    small_plan.accept_report(second, coordinator=coordinator, reviewer=reviewer)
    NationalStatus.objects.filter(pk=built.statuses["KH", "1.2"].pk).update(
        status=Status.COMPLETED, progress=100
    )
    built.first, built.second = first, second
    return built


# Live or accepted in a chosen round.


def test_a_reviewer_sees_live_figures_by_default(two_rounds, reviewer):
    response = dashboard(reviewer, two_rounds.plan)

    assert response.context["accepted"] is False
    fa1 = row(response, "Cambodia").cells[0].tally
    assert (fa1.completed, fa1.average_progress) == (2, pytest.approx(230 / 3))  # 100+100+30


@pytest.mark.parametrize(
    ("round_name", "completed", "progress"),
    [("2026 annual", 1, 140 / 3), ("2027 annual", 1, 170 / 3)],
)
def test_figures_as_accepted_in_a_chosen_round(
    two_rounds, reviewer, round_name, completed, progress
):
    chosen = two_rounds.first if round_name == "2026 annual" else two_rounds.second

    response = dashboard(reviewer, two_rounds.plan, figures=chosen.pk)

    assert response.context["accepted"] is True
    cambodia = row(response, "Cambodia")
    assert cambodia.submission.report.round == chosen
    fa1 = cambodia.cells[0].tally
    assert (fa1.completed, fa1.average_progress) == (completed, pytest.approx(progress))
    # Malaysia has no accepted report: no figures, and the region adds up Cambodia alone.
    assert row(response, "Malaysia").tally is None
    assert response.context["overall"].total == 5
    # Accepted numbers link to the report accepted in that round.
    report = reverse("reviews:report_detail", args=[chosen.pk, "KH"])
    assert cambodia.cells[0].progress_url == f"{report}?submission=1"
    page = response.content.decode()
    assert f'<option value="{chosen.pk}" selected>As accepted in {round_name}</option>' in page
    assert f"its report accepted in <strong>{round_name}</strong>" in page


def test_each_states_latest_accepted_report(two_rounds, reviewer):
    response = dashboard(reviewer, two_rounds.plan, figures="latest")

    cambodia = row(response, "Cambodia")
    assert cambodia.submission.report.round == two_rounds.second
    assert cambodia.cells[0].tally.average_progress == pytest.approx(170 / 3)


def test_an_unknown_choice_falls_back_to_live_figures(two_rounds, reviewer):
    response = dashboard(reviewer, two_rounds.plan, figures="999999", area="x")

    assert response.context["accepted"] is False
    assert response.context["area"] is None
    assert row(response, "Cambodia").cells[0].tally.completed == 2


def test_observers_cannot_choose_live_figures(two_rounds, observer):
    response = dashboard(observer, two_rounds.plan, figures="live")

    assert response.context["accepted"] is True
    assert row(response, "Cambodia").cells[0].tally.completed == 1  # as accepted
    assert 'value="live"' not in response.content.decode()


def test_a_focal_point_sees_their_own_accepted_figures_and_the_regional_ones(
    two_rounds, focal_point
):
    response = dashboard(focal_point, two_rounds.plan, figures=two_rounds.first.pk)

    assert [r.label for r in response.context["rows"]] == ["Cambodia"]
    assert row(response, REGION).tally.total == 5
    assert "Malaysia" not in response.content.decode()


# One focus area.


def test_one_focus_area_narrows_every_figure_and_link(small_2021, reviewer):
    response = dashboard(reviewer, small_2021.plan, area=1)

    assert response.context["area"] == small_2021.fa1
    cambodia = row(response, "Cambodia")
    assert [cell.area for cell in cambodia.cells] == [small_2021.fa1]
    assert (cambodia.tally.applicable, cambodia.tally.completed) == (3, 1)
    overall = response.context["overall"]
    assert (overall.applicable, overall.completed_share, overall.average_progress) == (5, 40, 60)
    assert overall.counts[Status.PLANNED] == 0  # 2.2, in focus area 2
    # Every number, totals included, drills down to exactly its rows in focus area 1.
    client = logged_in(reviewer)
    for r in [*response.context["rows"], response.context["region"]]:
        if r.tally is None:
            continue
        for url, count in [
            (r.total.progress_url, r.tally.applicable),
            (r.all_url, r.tally.total),
            *[(r.status_urls[value], r.tally.counts[value]) for value in r.status_urls],
        ]:
            assert query(url)["focus_area"] == "1", url
            assert client.get(url).context["table"].paginator.count == count, url
    page = response.content.decode()
    assert '<option value="1" selected>FA1 · Legal frameworks</option>' in page
    assert 'title="Services for child victims">FA2</abbr>' not in page  # its matrix column


def test_the_activity_of_one_focus_area(small_2021, reviewer):
    in_fa2 = small_2021.statuses["KH", "2.2"]
    month = timezone.make_aware(datetime.datetime(2025, 12, 10, 12))
    for version, status in enumerate([in_fa2, small_2021.statuses["KH", "1.1"]], start=1):
        StatusHistory.objects.create(
            national_status=status,
            version=version,
            changed_at=month,
            changes={"status": ["planned", "completed"]},
        )

    everything = dashboard(reviewer, small_2021.plan).context["activity"][-1]
    fa2 = dashboard(reviewer, small_2021.plan, area=2).context["activity"][-1]

    assert (everything[0].changes, fa2[0].changes) == (2, 1)
    assert query(fa2[1]["changes"])["focus_area"] == "2"


# Change since the previous round: a count per state, and its drill-down.


def test_change_since_the_previous_round_is_a_count_per_state(two_rounds, reviewer):
    response = dashboard(reviewer, two_rounds.plan)

    [change] = response.context["round_changes"]
    assert (change.member_state.code, change.count) == ("KH", 1)  # 1.3 only: 1.2 is live
    assert "1.3" not in response.content.decode()  # no list of the items


def test_the_change_count_drills_down_to_the_states_history_between_the_reports(
    two_rounds, reviewer
):
    kh_12 = two_rounds.statuses["KH", "1.2"]
    StatusHistory.objects.create(  # long before the first report: not in between
        national_status=kh_12,
        version=99,
        changed_at=timezone.now() - datetime.timedelta(days=400),
        changes={"progress": [0, 40]},
    )
    StatusHistory.objects.create(  # another state's change: not Cambodia's
        national_status=two_rounds.statuses["MY", "1.2"],
        version=99,
        changed_at=timezone.now(),
        changes={"progress": [50, 60]},
    )

    [change] = dashboard(reviewer, two_rounds.plan).context["round_changes"]

    assert query(change.url) == {
        "plan": two_rounds.plan.code,
        "state": "KH",
        "changed_since": timezone.localdate(change.previous.submitted_at).isoformat(),
        "changed_until": timezone.localdate(change.current.submitted_at).isoformat(),
    }
    table = logged_in(reviewer).get(change.url).context["table"]
    rows = list(table.data)
    changes = [(r.national_status.action_item.code, r.changes) for r in rows]
    assert [(code, c["status"], c["progress"]) for code, c in changes] == [
        ("1.3", [None, "in_progress"], [None, 30])  # its first save
    ]


def test_in_a_chosen_round_the_change_is_into_that_rounds_report(two_rounds, reviewer):
    first = dashboard(reviewer, two_rounds.plan, figures=two_rounds.first.pk)
    second = dashboard(reviewer, two_rounds.plan, figures=two_rounds.second.pk)

    assert first.context["round_changes"] == []  # nothing accepted before 2026 annual
    [change] = second.context["round_changes"]
    assert (change.previous.report.round, change.current.report.round, change.count) == (
        two_rounds.first,
        two_rounds.second,
        1,
    )
    assert "between its report accepted in 2027 annual and the one before" in (
        second.content.decode()
    )


@pytest.mark.parametrize(("area", "count"), [(1, 1), (2, 0)])
def test_the_change_count_of_one_focus_area(two_rounds, reviewer, area, count):
    [change] = dashboard(reviewer, two_rounds.plan, area=area).context["round_changes"]

    assert change.count == count
    assert query(change.url)["focus_area"] == str(area)


# The matrix download gives what the dashboard shows.


def test_the_matrix_download_follows_the_dashboards_choice(two_rounds, reviewer):
    params = {"figures": two_rounds.first.pk, "area": 1}
    page = dashboard(reviewer, two_rounds.plan, **params).content.decode()
    link = reverse("reports:plan_matrix_csv", args=[two_rounds.plan.code])
    assert f'href="{link}?figures={two_rounds.first.pk}&amp;area=1"' in page

    response = logged_in(reviewer).get(link, params)

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [
        (r["member_state_code"], r["focus_area"], r["average_progress"], r["source"], r["round"])
        for r in rows
    ] == [  # Cambodia as accepted in 2026 annual (140 / 3), focus area 1 only; Malaysia has
        # no accepted report; then the region (Cambodia's figures).
        ("KH", "1", "46.7", "accepted", "2026 annual"),
        ("KH", "", "46.7", "accepted", "2026 annual"),
        ("", "1", "46.7", "accepted", ""),
        ("", "", "46.7", "accepted", ""),
    ]


def test_the_matrix_download_without_a_choice_has_live_figures(two_rounds, reviewer):
    link = reverse("reports:plan_matrix_csv", args=[two_rounds.plan.code])

    response = logged_in(reviewer).get(link)

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text, newline="")) if r["scope"] == "state"]
    assert {r["source"] for r in rows} == {"live"}
    assert {r["member_state_code"] for r in rows} == {"KH", "MY", "TL"}
