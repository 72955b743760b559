"""A state's profile lists the plan's actions a page at a time, with links between pages."""

import pytest
from django.urls import reverse

from accounts.models import Role
from regional.views import STATE_PROFILE_ITEMS
from tests import factories


@pytest.fixture
def long_plan(cambodia):
    plan = factories.make_plan(2026, 2030, status="in_force")
    area = factories.make_focus_area(plan)
    for _ in range(STATE_PROFILE_ITEMS + 3):
        factories.make_item(area)
    return plan


def profile(user, plan, page=None):
    params = {"plan": plan.code, **({"page": page} if page else {})}
    return factories.logged_in(user).get(reverse("reports:state_profile", args=["KH"]), params)


def test_a_long_plan_is_listed_a_page_at_a_time(long_plan):
    reviewer = factories.make_user(Role.REVIEWER)

    first = profile(reviewer, long_plan)
    second = profile(reviewer, long_plan, page=2)

    codes = [item.code for item in first.context["items"]]
    rest = [item.code for item in second.context["items"]]
    assert len(codes) == STATE_PROFILE_ITEMS and len(rest) == 3
    assert set(codes).isdisjoint(rest)
    assert f"1–{STATE_PROFILE_ITEMS} of {STATE_PROFILE_ITEMS + 3}" in first.text
    assert f"?plan={long_plan.code}&amp;page=2#items-heading" in first.text
    assert f"?plan={long_plan.code}&amp;page=1#items-heading" in second.text
