"""Each national page runs a fixed number of queries, however many items and changes exist.

Every signed-in request also runs factories.SESSION_AND_USER queries of its own; a page with
the site's header factories.SIGNED_IN_PAGE.
"""

import pytest
from django.urls import reverse

from accounts.models import Role
from actions.models import NationalStatus
from actions.services import national_status_update
from tests import factories
from tests.factories import SIGNED_IN_PAGE, logged_in


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


# The workspace: the member state, the current plan (with its predecessor), the current plan
# again (may the user edit it?), the number of rows, the attention counts, the focus areas
# of the filter, one page of rows with their statuses and editors, the number of items with
# evidence marked "needs more", and the open reporting round with the state's report state.
WORKSPACE = SIGNED_IN_PAGE + 9


@pytest.mark.parametrize("more_items", [0, 40])
def test_workspace_queries_do_not_grow_with_items(
    focal_point, editors, item, plan_2026, django_assert_num_queries, more_items
):
    add_items(plan_2026, more_items, editors)
    client = logged_in(focal_point)

    with django_assert_num_queries(WORKSPACE):
        response = client.get(reverse("national:workspace"), {"per_page": 100})

    assert response.status_code == 200
    assert len(response.context["table"].page.object_list) == more_items + 1


@pytest.mark.parametrize("more_items", [0, 40])
def test_filtered_workspace_queries_do_not_grow_with_items(
    focal_point, editors, item, plan_2026, django_assert_num_queries, more_items
):
    save(focal_point, item, 0, 50)
    add_items(plan_2026, more_items, editors)
    client = logged_in(focal_point)
    params = {"focus_area": item.focus_area_id, "status": "in_progress", "q": "Action"}

    # One more: the chosen focus area is looked up to validate it.
    with django_assert_num_queries(WORKSPACE + 1):
        response = client.get(reverse("national:workspace"), params)

    assert response.status_code == 200
    assert len(response.context["table"].page.object_list) == 1


@pytest.mark.parametrize("more_items", [0, 40])
def test_reviewers_state_page_queries_do_not_grow_with_items(
    reviewer, editors, item, plan_2026, django_assert_num_queries, more_items
):
    add_items(plan_2026, more_items, editors)
    client = logged_in(reviewer)

    # The state named in the URL, then as the workspace, except that a reviewer's right to
    # edit is settled without asking for the current plan.
    with django_assert_num_queries(WORKSPACE - 1):
        response = client.get(reverse("national:state_workspace", args=["KH"]))

    assert response.status_code == 200


def test_state_picker_queries(reviewer, cambodia, malaysia, plan_2026, django_assert_num_queries):
    client = logged_in(reviewer)

    # The current plan and the member states.
    with django_assert_num_queries(SIGNED_IN_PAGE + 2):
        response = client.get(reverse("national:workspace"))

    assert response.status_code == 200


# A status page: the member state, the item with its plan and focus area, the status row
# with its last editor, the current plan (may the user edit?), the latest history rows
# with their editors, the evidence, and the review comments on the item.
DETAIL = SIGNED_IN_PAGE + 7


@pytest.mark.parametrize("changes", [1, 25])
def test_status_page_queries_do_not_grow_with_history(
    focal_point, item, django_assert_num_queries, changes
):
    add_changes(focal_point, item, changes)
    client = logged_in(focal_point)

    with django_assert_num_queries(DETAIL):
        response = client.get(reverse("national:status_detail", args=[item.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("changes", [1, 25])
def test_history_page_queries_do_not_grow_with_history(
    focal_point, coordinator, item, django_assert_num_queries, changes
):
    add_changes(focal_point, item, changes)
    add_changes(coordinator, item, changes)
    client = logged_in(focal_point)

    # As the status page, without the current plan, the evidence and the review comments.
    with django_assert_num_queries(DETAIL - 3):
        response = client.get(reverse("national:status_history", args=[item.pk]))

    assert response.status_code == 200
    assert len(response.context["history"]) == 2 * changes


# The edit page: the member state, the item with its plan and focus area, the current plan
# (may the user edit?), the status row with its last editor.
EDIT = SIGNED_IN_PAGE + 4


@pytest.mark.parametrize("changes", [0, 25])
def test_edit_page_queries_do_not_grow_with_history(
    focal_point, item, django_assert_num_queries, changes
):
    add_changes(focal_point, item, changes)
    client = logged_in(focal_point)

    with django_assert_num_queries(EDIT):
        response = client.get(reverse("national:status_edit", args=[item.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("changes", [1, 25])
def test_saving_queries_do_not_grow_with_history(
    focal_point, item, django_assert_num_queries, changes
):
    add_changes(focal_point, item, changes)
    client = logged_in(focal_point)
    data = {"status": "completed", "progress": "100", "narrative": "Done.", "version": str(changes)}

    # As the edit page (but a redirect: no header's count), then in one savepoint: the current
    # plan, the row (locked), its update, one history row and the queued follow-up work (is a
    # refresh of this state and plan already queued in this window; queue one).
    with django_assert_num_queries(EDIT - 1 + 8):
        response = client.post(reverse("national:status_edit", args=[item.pk]), data)

    assert response.status_code == 302


@pytest.mark.parametrize("changes", [1, 25])
def test_conflict_page_queries_do_not_grow_with_history(
    focal_point, item, django_assert_num_queries, changes
):
    add_changes(focal_point, item, changes)
    client = logged_in(focal_point)
    data = {"status": "completed", "progress": "100", "narrative": "Done.", "version": "0"}

    # As the edit page, then a savepoint with the current plan, the row (locked) and what
    # changed since the version the form started from, rolled back and released.
    with django_assert_num_queries(EDIT + 6):
        response = client.post(reverse("national:status_edit", args=[item.pk]), data)

    assert response.status_code == 409
