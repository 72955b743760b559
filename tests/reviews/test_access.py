"""accounts.policy.scope_submitted: who sees which submitted reports."""

import pytest

from accounts.policy import scope_submitted
from reviews import services
from reviews.models import CountryReport, Submission, SubmissionItem
from tests.conftest import shared_data
from tests.reviews.conftest import bring_to, make_round

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


@pytest.fixture(scope="module")
def reports(shared_world, django_db_blocker):
    """Cambodia's report accepted; Malaysia's submitted only: made once for the module."""
    rows = shared_world[0]
    with shared_data(django_db_blocker):
        open_round = make_round(rows["plan_2026"])
        kh = CountryReport.objects.create(round=open_round, member_state=rows["cambodia"])
        bring_to(kh, "accepted", coordinator=rows["coordinator"], reviewer=rows["reviewer"])
        my = CountryReport.objects.create(round=open_round, member_state=rows["malaysia"])
        bring_to(my, "submitted", coordinator=rows["other_coordinator"], reviewer=rows["reviewer"])
        yield {"KH": kh.pk, "MY": my.pk}


@pytest.fixture
def submissions(reports):
    """Each report's submission, as each test starts."""
    return {code: Submission.objects.get(report_id=pk) for code, pk in reports.items()}


def visible(user, model=Submission, path=""):
    queryset = scope_submitted(model.objects.all(), user, path)
    if model is Submission:
        return sorted(s.report.member_state.code for s in queryset)
    return sorted({row.submission.report.member_state.code for row in queryset})


@pytest.mark.parametrize(
    "role, expected",
    [
        ("focal_point", ["KH"]),
        ("coordinator", ["KH"]),
        ("other_coordinator", ["MY"]),
        ("reviewer", ["KH", "MY"]),
        ("secretariat", ["KH", "MY"]),
        ("observer", ["KH"]),  # accepted data only, of every state
    ],
)
def test_each_role_sees_the_submissions_it_may(request, submissions, role, expected):
    user = request.getfixturevalue(role)

    assert visible(user) == expected
    assert visible(user, SubmissionItem, "submission") == expected


def test_anonymous_and_inactive_users_see_none(submissions, observer):
    from django.contrib.auth.models import AnonymousUser

    observer.is_active = False

    assert visible(AnonymousUser()) == []
    assert visible(observer) == []


def test_a_reopened_report_is_hidden_from_observers_again(submissions, observer, reviewer):
    report = submissions["KH"].report
    services.report_reopen(user=reviewer, report=report, reason="Wrong")

    assert visible(observer) == []


def test_an_observer_never_sees_submissions_of_a_report_accepted_later_on_another(
    submissions, observer, reviewer, coordinator, focal_point
):
    report = submissions["KH"].report
    services.report_reopen(user=reviewer, report=report, reason="Wrong")
    second = services.report_submit(user=coordinator, report=report)
    services.report_accept(user=reviewer, report=report)

    shown = list(scope_submitted(Submission.objects.filter(report=report), observer))

    assert shown == [second]
