"""Each national page runs a fixed number of queries, however many items and changes exist.

The pages' ceilings, and what their queries are, are in tests.query_counts.
"""

import pytest
from django.urls import reverse

from accounts.models import Role
from actions.models import NationalStatus
from actions.services import national_status_update
from tests import factories
from tests.factories import logged_in
from tests.query_counts import assert_flat, count_queries


@pytest.fixture
def item(plan_2026):
    return factories.make_item(factories.make_focus_area(plan_2026))


def save(user, item, version, progress):
    return national_status_update(
        user=user,
        member_state=user.member_state,
        action_item=item,
        expected_version=version,
        status=NationalStatus.Status.IN_PROGRESS,
        progress=progress,
        narrative=f"Step {version}",
        challenges="",
        next_steps="",
        responsible_agency="",
    )


def add_items(plan, count, editors):
    """`count` more items over several focus areas, each updated by one of `editors`."""
    areas = [factories.make_focus_area(plan) for _ in range(3)]
    for n in range(count):
        new = factories.make_item(areas[n % 3])
        save(editors[n % len(editors)], new, 0, n % 100)


def add_changes(user, item, count):
    """`count` saved versions of `user`'s state's status of `item`."""
    row = NationalStatus.objects.filter(member_state=user.member_state, action_item=item).first()
    version = row.version if row else 0
    for n in range(count):
        save(user, item, version + n, (version + n) % 100)


@pytest.fixture
def editors(focal_point, coordinator):
    extra = factories.make_user(Role.FOCAL_POINT, focal_point.member_state)
    return [focal_point, coordinator, extra]


def test_workspace_queries_do_not_grow_with_items(focal_point, editors, item, plan_2026):
    client = logged_in(focal_point)
    url = reverse("national:workspace")

    assert_flat(
        client,
        "national:workspace",
        url,
        lambda: add_items(plan_2026, 3, editors),
        {"per_page": 100},
    )

    response = client.get(url, {"per_page": 100})
    assert len(response.context["table"].page.object_list) == 3 + 1


def test_filtered_workspace_queries_do_not_grow_with_items(focal_point, editors, item, plan_2026):
    save(focal_point, item, 0, 50)
    client = logged_in(focal_point)
    url = reverse("national:workspace")
    params = {"focus_area": item.focus_area_id, "status": "in_progress", "q": "Action"}

    assert_flat(client, "national:workspace", url, lambda: add_items(plan_2026, 3, editors), params)

    assert len(client.get(url, params).context["table"].page.object_list) == 1


def test_reviewers_state_page_queries_do_not_grow_with_items(reviewer, editors, item, plan_2026):
    client = logged_in(reviewer)
    url = reverse("national:state_workspace", args=["KH"])

    # Two rows a page: one page of one row, then two pages, the first of two rows.
    assert_flat(
        client,
        "national:state_workspace",
        url,
        lambda: add_items(plan_2026, 3, editors),
        {"per_page": 2},
    )
    assert client.get(url, {"per_page": 2}).context["table"].paginator.num_pages == 2


def test_state_picker_queries_do_not_grow_with_states(reviewer, cambodia, malaysia, plan_2026):
    def more_states():
        for code in ["ID", "PH", "TH"]:
            factories.make_state(code)

    client = logged_in(reviewer)

    assert_flat(client, "national:workspace", reverse("national:workspace"), more_states)


def test_status_page_queries_do_not_grow_with_history(focal_point, item):
    add_changes(focal_point, item, 1)
    client = logged_in(focal_point)
    url = reverse("national:status_detail", args=[item.pk])

    # From one change to more than the page lists (HISTORY_ON_DETAIL, 10): a link to the rest.
    assert_flat(client, "national:status_detail", url, lambda: add_changes(focal_point, item, 10))
    assert client.get(url).context["more_history"]


def test_history_page_queries_do_not_grow_with_history(focal_point, coordinator, item):
    def changes(count):
        add_changes(focal_point, item, count)
        add_changes(coordinator, item, count)

    changes(1)
    client = logged_in(focal_point)
    url = reverse("national:status_history", args=[item.pk])

    assert_flat(client, "national:status_history", url, lambda: changes(3))

    assert len(client.get(url).context["history"]) == 2 * 4


def test_edit_page_queries_do_not_grow_with_history(focal_point, item):
    client = logged_in(focal_point)
    url = reverse("national:status_edit", args=[item.pk])

    assert_flat(client, "national:status_edit", url, lambda: add_changes(focal_point, item, 3))


@pytest.mark.parametrize("changes", [1, 4])
def test_saving_queries_do_not_grow_with_history(
    focal_point, item, django_assert_num_queries, changes
):
    add_changes(focal_point, item, changes)
    client = logged_in(focal_point)
    url = reverse("national:status_edit", args=[item.pk])
    edit_page = count_queries(client, url)
    data = {"status": "completed", "progress": "100", "narrative": "Done.", "version": str(changes)}

    # As the edit page (but a redirect: no header's count), then in one savepoint: the current
    # plan, the row (locked), its update, one history row, its month's activity count (the
    # month's row is there: one update) and the queued follow-up work (is a refresh of this
    # state and plan already queued in this window; queue one).
    with django_assert_num_queries(edit_page - 1 + 9):
        response = client.post(url, data)

    assert response.status_code == 302


@pytest.mark.parametrize("changes", [1, 4])
def test_conflict_page_queries_do_not_grow_with_history(
    focal_point, item, django_assert_num_queries, changes
):
    add_changes(focal_point, item, changes)
    client = logged_in(focal_point)
    url = reverse("national:status_edit", args=[item.pk])
    edit_page = count_queries(client, url)
    data = {"status": "completed", "progress": "100", "narrative": "Done.", "version": "0"}

    # As the edit page (whose ceiling is in tests.query_counts), then a savepoint with the
    # current plan, the row (locked) and what changed since the version the form started from,
    # rolled back and released.
    with django_assert_num_queries(edit_page + 6):
        response = client.post(url, data)

    assert response.status_code == 409
