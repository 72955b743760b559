"""A member state's profile and one action across member states (and across plans)."""

import re
from html import unescape

import pytest
from django.urls import reverse

from actions.models import ContinuityLink, NationalStatus, Provenance, StatusHistory
from tests import factories, small_plan
from tests.factories import logged_in
from tests.query_counts import assert_flat

Status = NationalStatus.Status


@pytest.fixture
def small(plan_2021, cambodia, malaysia, timor_leste):
    return small_plan.build(plan_2021)


def text(response):
    plain = unescape(re.sub(r"<[^>]+>", "", response.content.decode()))
    return re.sub(r"\s+", " ", plain.replace("\u00a0", " "))


def profile(user, code, plan=None):
    params = {"plan": plan.code} if plan else {}
    return logged_in(user).get(reverse("reports:state_profile", args=[code]), params)


# The member state profile.


def test_profile_shows_progress_per_focus_area_items_and_recent_changes(small, reviewer):
    StatusHistory.objects.create(
        national_status=small.statuses["KH", "1.1"],
        version=1,
        changed_at=small.statuses["KH", "1.1"].updated_at,
        changes={"status": ["in_progress", "completed"]},
    )

    response = profile(reviewer, "KH", small.plan)

    assert response.status_code == 200
    row = response.context["row"]
    assert [(c.area.number, round(c.tally.average_progress)) for c in row.cells] == [
        (1, 47),
        (2, 10),
    ]
    assert row.tally.average_progress == 37.5
    items = list(response.context["items"])
    assert [(i.code, i.status, i.progress) for i in items] == [
        ("1.1", "completed", 100),
        ("1.2", "in_progress", 40),
        ("1.3", "not_started", 0),
        ("2.1", "not_applicable", None),
        ("2.2", "planned", 10),
    ]
    page = text(response)
    assert "In progress → Completed" in page
    assert 'aria-labelledby="state-progress-title state-progress-desc"' in response.content.decode()


def test_profile_defaults_to_the_current_plan_and_lists_the_others(small, plan_2026, reviewer):
    response = profile(reviewer, "KH")

    assert response.context["plan"] == plan_2026
    assert f"?plan={small.plan.code}" in response.content.decode()


def test_profile_of_timor_leste_on_the_2021_plan_says_not_a_member_then(small, reviewer):
    response = profile(reviewer, "TL", small.plan)

    assert response.status_code == 200
    assert response.context["reports"] is False
    assert "Not a member then" in text(response)
    assert "not started" not in text(response).lower()


def test_profile_round_history_lists_the_states_reports(
    plan_2026, cambodia, malaysia, timor_leste, coordinator, reviewer
):
    small_plan.build(plan_2026)
    reporting_round = small_plan.make_round(plan_2026, "2026 annual")
    small_plan.accept_report(reporting_round, coordinator=coordinator, reviewer=reviewer)

    response = profile(reviewer, "KH", plan_2026)

    [report] = response.context["round_history"]
    assert (report.round.name, report.state, report.submission_count) == (
        "2026 annual",
        "accepted",
        1,
    )
    csv_url = reverse("reports:round_report_csv", args=[reporting_round.pk, "KH"])
    assert csv_url in response.content.decode()


def test_a_focal_point_opens_their_own_profile_but_not_another_states(small, focal_point):
    assert profile(focal_point, "KH", small.plan).status_code == 200
    assert profile(focal_point, "kh", small.plan).status_code == 200
    assert profile(focal_point, "MY", small.plan).status_code == 404


def test_observers_have_no_state_profiles(small, observer):
    assert profile(observer, "KH", small.plan).status_code == 404


def test_profile_queries_do_not_grow(small, reviewer):
    def more_items_with_history():
        for n in range(15):
            item = factories.make_item(small.fa1, f"1.{n + 10}")
            status = factories.make_status(small.kh, item, status=Status.PLANNED, progress=5)
            StatusHistory.objects.create(
                national_status=status, version=1, changed_at=status.updated_at, changes={}
            )

    client = logged_in(reviewer)
    url = reverse("reports:state_profile", args=["KH"])

    assert_flat(
        client,
        "reports:state_profile",
        url,
        more_items_with_history,
        {"plan": "rpa-2021-2025"},
    )


# One action across member states.


def item_page(user, item):
    response = logged_in(user).get(reverse("reports:item_across_states", args=[item.pk]))
    assert response.status_code == 200
    return response


def test_reviewers_see_every_states_status_progress_and_narrative(small, reviewer):
    response = item_page(reviewer, small.items["1.2"])

    rows = {row.code: row for row in response.context["rows"]}
    assert (rows["KH"].status, rows["KH"].progress) == ("in_progress", 40)
    assert (rows["MY"].status, rows["MY"].progress) == ("ongoing", 60)
    page = text(response)
    assert "Cambodia narrative on 1.2" in page
    assert "Malaysia narrative on 1.2" in page
    tally = response.context["tally"]
    assert tally.average_progress == 50  # (40 + 60) / 2


def test_timor_leste_is_not_a_member_for_a_2021_action(small, reviewer):
    response = item_page(reviewer, small.items["1.1"])

    timor = next(row for row in response.context["rows"] if row.code == "TL")
    assert timor.reports_on_plan is False
    page = response.content.decode()
    timor_row = re.search(r"<tr><th scope=\"row\">Timor-Leste</th>.*?</tr>", page, re.S).group(0)
    assert "Not a member then" in timor_row
    assert "Not started" not in timor_row
    assert response.context["tally"].total == 2  # Cambodia and Malaysia only


def test_a_focal_point_sees_only_their_own_states_narrative(small, focal_point):
    response = item_page(focal_point, small.items["1.2"])

    assert [row.code for row in response.context["rows"]] == ["KH"]
    page = text(response)
    assert "Cambodia narrative on 1.2" in page
    assert "Malaysia" not in page
    assert response.context["tally"].total == 2  # the regional figures still count Malaysia


def test_an_observer_sees_accepted_records_only(
    plan_2026, cambodia, malaysia, timor_leste, coordinator, reviewer, observer
):
    built = small_plan.build(plan_2026)
    item = built.items["1.2"]
    assert item_page(observer, item).context["rows"] == []

    small_plan.accept_report(
        small_plan.make_round(plan_2026), coordinator=coordinator, reviewer=reviewer
    )
    NationalStatus.objects.filter(pk=built.statuses["KH", "1.2"].pk).update(
        narrative="Changed after acceptance"
    )
    response = item_page(observer, item)

    [row] = response.context["rows"]
    assert (row.code, row.status, row.progress) == ("KH", "in_progress", 40)
    page = text(response)
    assert "Cambodia narrative on 1.2" in page
    assert "Changed after acceptance" not in page
    assert "Malaysia narrative" not in page
    assert response.context["tally"].total == 1


@pytest.fixture
def linked(small, plan_2026):
    """1.2 of 2021–2025 continues as 1.1 of 2026–2030; Cambodia has updated both."""
    area = factories.make_focus_area(plan_2026, 1, title="Legal frameworks")
    successor = factories.make_item(area, "1.1", title="Successor action")
    ContinuityLink.objects.create(
        from_item=small.items["1.2"],
        to_item=successor,
        kind=ContinuityLink.Kind.CONTINUED,
        provenance=Provenance.PROVISIONAL,
    )
    factories.make_status(small.kh, successor, status=Status.IN_PROGRESS, progress=70)
    return successor


def test_the_predecessors_record_is_shown_next_to_its_successor(linked, small, reviewer):
    response = item_page(reviewer, linked)

    assert response.context["predecessors"] == [small.items["1.2"]]
    records = {row.code: (row, records) for row, records in response.context["comparison"]}
    kh, [kh_before] = records["KH"]
    assert (kh.status, kh.progress) == ("in_progress", 70)
    assert (kh_before.status, kh_before.progress) == ("in_progress", 40)
    my, [my_before] = records["MY"]
    assert (my.status, my.progress) == ("not_started", 0)
    assert (my_before.status, my_before.progress) == ("ongoing", 60)
    tl, [tl_before] = records["TL"]
    assert tl.reports_on_plan is True
    assert tl_before.reporting is False  # not a member for 2021–2025
    assert "Not a member then" in text(response)


def test_the_successor_is_shown_from_the_predecessor(linked, small, reviewer):
    response = item_page(reviewer, small.items["1.2"])

    assert response.context["successors"] == [linked]
    kh, [after] = next(pair for pair in response.context["comparison"] if pair[0].code == "KH")
    assert (after.status, after.progress) == ("in_progress", 70)


def test_a_focal_point_compares_only_their_own_states_records(linked, small, focal_point):
    response = item_page(focal_point, linked)

    assert [row.code for row, _ in response.context["comparison"]] == ["KH"]
    assert "Malaysia" not in response.content.decode()


def test_item_page_queries_do_not_grow(linked, small, reviewer):
    def more_states():
        for code in ["ID", "PH", "TH"]:
            state = factories.make_state(code)
            factories.make_status(state, linked, status=Status.PLANNED, progress=5)
            factories.make_status(state, small.items["1.2"], status=Status.PLANNED, progress=5)

    client = logged_in(reviewer)
    url = reverse("reports:item_across_states", args=[linked.pk])

    assert_flat(client, "reports:item_across_states", url, more_states)


def test_an_unknown_item_answers_404(reviewer):
    response = logged_in(reviewer).get(reverse("reports:item_across_states", args=[999999]))

    assert response.status_code == 404
