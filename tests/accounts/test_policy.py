"""The access policy, driven by one table: every role × every decision → the expected answer.

Cambodia (KH) is the state of the focal point and the coordinator; Malaysia (MY) another state.
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts import policy
from accounts.models import Role
from tests import factories
from tests.conftest import shared_data

PERSONAS = ["anonymous", "focal_point", "coordinator", "reviewer", "secretariat", "observer"]
PERSONAS += ["inactive_reviewer"]

# decision → the personas for whom the answer is yes (everyone else: no).
YES = {
    "see national pages": {"focal_point", "coordinator", "reviewer", "secretariat"},
    "see every state": {"reviewer", "secretariat"},
    "see KH's live data": {"focal_point", "coordinator", "reviewer", "secretariat"},
    "see MY's live data": {"reviewer", "secretariat"},
    "edit KH's statuses on the current plan": {"focal_point", "coordinator"},
    "edit MY's statuses on the current plan": set(),
    "edit KH's statuses on a closed plan": set(),
    "submit KH's report": {"coordinator"},
    "submit MY's report": set(),
    "comment on KH's report": {"focal_point", "coordinator", "reviewer", "secretariat"},
    "comment on MY's report": {"reviewer", "secretariat"},
    "return, accept, reopen, review evidence": {"reviewer", "secretariat"},
    "see KH's submission check": {"focal_point", "coordinator", "reviewer", "secretariat"},
    "see accepted data only": {"observer"},
    "manage rounds": {"secretariat"},
    "invite": {"coordinator", "secretariat"},
    "withdraw anyone's invitation": {"secretariat"},
    "use the admin site": {"secretariat"},
    "see withdrawn evidence": {"reviewer", "secretariat"},
}


def _decisions(kh, my, current, closed):
    return {
        "see national pages": policy.has_national_access,
        "see every state": policy.sees_every_state,
        "see KH's live data": lambda u: policy.visible_states(u).filter(pk=kh.pk).exists(),
        "see MY's live data": lambda u: policy.visible_states(u).filter(pk=my.pk).exists(),
        "edit KH's statuses on the current plan": lambda u: policy.can_edit_status(u, kh, current),
        "edit MY's statuses on the current plan": lambda u: policy.can_edit_status(u, my, current),
        "edit KH's statuses on a closed plan": lambda u: policy.can_edit_status(u, kh, closed),
        "submit KH's report": lambda u: policy.may_submit(u, kh),
        "submit MY's report": lambda u: policy.may_submit(u, my),
        "comment on KH's report": lambda u: policy.may_comment(u, kh),
        "comment on MY's report": lambda u: policy.may_comment(u, my),
        "return, accept, reopen, review evidence": policy.may_review,
        "see KH's submission check": lambda u: policy.may_see_submission_check(u, kh),
        "see accepted data only": policy.sees_accepted_data_only,
        "manage rounds": policy.may_manage_rounds,
        "invite": policy.may_invite,
        "withdraw anyone's invitation": policy.may_revoke_any_invitation,
        "use the admin site": lambda u: u.is_authenticated and policy.may_use_admin_site(u),
        "see withdrawn evidence": policy.sees_withdrawn_evidence,
    }


pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The states, plans and one user per persona, built once for the whole table."""
    with shared_data(django_db_blocker):
        kh, my = factories.make_state("KH"), factories.make_state("MY")
        closed = factories.make_plan(2021, 2025)
        current = factories.make_plan(2026, 2030, predecessor=closed)
        users = {
            "anonymous": AnonymousUser(),
            "focal_point": factories.make_user(Role.FOCAL_POINT, kh),
            "coordinator": factories.make_user(Role.COORDINATOR, kh),
            "reviewer": factories.make_user(Role.REVIEWER),
            "secretariat": factories.make_user(Role.SECRETARIAT, is_staff=True),
            "observer": factories.make_user(Role.OBSERVER),
            "inactive_reviewer": factories.make_user(Role.REVIEWER, is_active=False),
        }
        yield users, _decisions(kh, my, current, closed)


@pytest.mark.parametrize("decision", sorted(YES))
def test_each_role_gets_the_answer_of_the_table(world, decision):
    users, decisions = world
    answers = {name: bool(decisions[decision](users[name])) for name in PERSONAS}
    assert answers == {name: name in YES[decision] for name in PERSONAS}


def test_the_table_covers_every_decision_the_policy_offers(world):
    _, decisions = world
    assert set(decisions) == set(YES)


def test_a_coordinator_invites_focal_points_only_and_the_secretariat_any_role(world):
    users, _ = world
    assert policy.invitable_roles(users["coordinator"]) == [Role.FOCAL_POINT]
    assert policy.invitable_roles(users["secretariat"]) == list(Role)
    assert policy.invitable_roles(users["focal_point"]) == []
