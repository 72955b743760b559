"""Every role × move × report state, through reviews.services and through the pages: the allowed
moves happen, every other is refused and changes nothing.

The report is brought to each state once for the module, and every case that starts from that
state runs on it: a case's own writes are rolled back after it, so each finds the report as
its state left it.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from reviews import services
from reviews.models import CountryReport, ReportTransition
from tests.conftest import shared_data
from tests.reviews.conftest import bring_to, everything, make_round, submit_data

pytestmark = pytest.mark.django_db

FROM_STATES = ("draft", "submitted", "returned", "accepted")
MOVES = {
    "submit": (lambda user, report: services.report_submit(user=user, report=report), "submitted"),
    "return": (
        lambda user, report: services.report_return(user=user, report=report, comment="Fix 1.1"),
        "returned",
    ),
    "accept": (lambda user, report: services.report_accept(user=user, report=report), "accepted"),
    "reopen": (
        lambda user, report: services.report_reopen(user=user, report=report, reason="Typo"),
        "returned",
    ),
}
# What each move's form posts (the submit form's, the check's counts: see `start`).
FORMS = {"return": {"comment": "Fix it"}, "accept": {}, "reopen": {"reason": "Typo"}}
# Everything else is refused: by role (PermissionDenied, 403) or by the report's state.
ALLOWED = {
    ("submit", "coordinator", "draft"),
    ("submit", "coordinator", "returned"),
    ("return", "reviewer", "submitted"),
    ("return", "secretariat", "submitted"),
    ("accept", "reviewer", "submitted"),
    ("accept", "secretariat", "submitted"),
    ("reopen", "reviewer", "accepted"),
    ("reopen", "secretariat", "accepted"),
}
MAY_ATTEMPT = {
    "submit": {"coordinator"},
    "return": {"reviewer", "secretariat"},
    "accept": {"reviewer", "secretariat"},
    "reopen": {"reviewer", "secretariat"},
}
ROLES = ("focal_point", "coordinator", "other_coordinator", "reviewer", "secretariat", "observer")


@pytest.fixture(scope="module", params=FROM_STATES)
def start(request, shared_world, django_db_blocker):
    """Cambodia's report in an open round of a plan of three items, brought to a state (the
    parameter): its id and the submit form's data as the check page would post it then."""
    rows, _ = shared_world
    with shared_data(django_db_blocker):
        report = CountryReport.objects.create(
            round=make_round(rows["plan_2026"]), member_state=rows["cambodia"]
        )
        report = bring_to(
            report, request.param, coordinator=rows["coordinator"], reviewer=rows["reviewer"]
        )
        yield request.param, report.pk, submit_data(report)


@pytest.fixture
def report(start):
    """The report as its state left it (a fresh instance for each case)."""
    return CountryReport.objects.get(pk=start[1])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("move", MOVES)
def test_every_role_and_state_may_make_exactly_the_allowed_moves(
    shared_world, start, report, move, role
):
    from_state = start[0]
    user = shared_world[0][role]
    act, to_state = MOVES[move]
    before = everything()

    if (move, role, from_state) in ALLOWED:
        act(user, report)

        report.refresh_from_db()
        assert report.state == to_state
        last = ReportTransition.objects.order_by("-pk").first()
        assert (last.from_state, last.to_state, last.by) == (from_state, to_state, user)
    else:
        refusal = PermissionDenied if role not in MAY_ATTEMPT[move] else Exception
        with pytest.raises(refusal) as raised:
            act(user, report)
        if role in MAY_ATTEMPT[move]:
            assert isinstance(raised.value, services.TransitionRefused)
        assert everything() == before


@pytest.mark.parametrize("role", [role for role in ROLES if role != "other_coordinator"])
@pytest.mark.parametrize("move", MOVES)
def test_each_role_may_move_the_report_only_as_allowed_through_the_pages(
    shared_world, sign_in, start, report, move, role
):
    from_state, _, submit_form = start
    client = sign_in(shared_world[0][role])
    before = everything()

    response = client.post(
        reverse(f"reviews:report_{move}", args=[report.round_id, "KH"]),
        submit_form if move == "submit" else FORMS[move],
    )

    report.refresh_from_db()
    if (move, role, from_state) in ALLOWED:
        assert response.status_code == 302
        assert report.state == MOVES[move][1]
    elif role in MAY_ATTEMPT[move]:
        # The right person at the wrong moment (a stale page): told why, nothing changes.
        assert response.status_code == 302
        assert everything() == before
        messages = [str(m) for m in response.wsgi_request._messages]
        assert messages and "not possible now" in messages[0]
    else:
        assert response.status_code == 403
        assert everything() == before
