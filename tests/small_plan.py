"""A small plan with known figures: two reporting states × two focus areas, and Timor-Leste.

focus area 1: items 1.1, 1.2, 1.3        focus area 2: items 2.1, 2.2

Cambodia  1.1 completed 100   1.2 in progress 40   1.3 never updated
          2.1 not applicable  2.2 planned 10
Malaysia  1.1 not applicable  1.2 ongoing 60       1.3 completed 100
          2.1 never updated   2.2 in progress 50
Timor-Leste joined in 2025: not a member for RPA 2021–2025.
"""

import datetime
from types import SimpleNamespace

from django.utils import timezone

from actions.models import NationalStatus
from countries.models import MemberState
from tests import factories

Status = NationalStatus.Status


def _state(code):
    """The state made by a persona's fixture (e.g. `focal_point` makes Cambodia), or a new one."""
    return MemberState.objects.filter(code=code).first() or factories.make_state(code)


def build(plan, *, stale_days_ago=400):
    """Create the small plan's focus areas, items, states and statuses on `plan`."""
    kh, my, tl = (_state(code) for code in ("KH", "MY", "TL"))
    fa1 = factories.make_focus_area(plan, 1, title="Legal frameworks")
    fa2 = factories.make_focus_area(plan, 2, title="Services for child victims")
    items = {
        code: factories.make_item(area, code, position=position, title=f"Action {code}")
        for position, (code, area) in enumerate(
            [("1.1", fa1), ("1.2", fa1), ("1.3", fa1), ("2.1", fa2), ("2.2", fa2)]
        )
    }
    now = timezone.now()
    old = now - datetime.timedelta(days=stale_days_ago)
    rows = [
        (kh, "1.1", Status.COMPLETED, 100, now),
        (kh, "1.2", Status.IN_PROGRESS, 40, old),
        (kh, "2.1", Status.NOT_APPLICABLE, None, now),
        (kh, "2.2", Status.PLANNED, 10, now),
        (my, "1.1", Status.NOT_APPLICABLE, None, now),
        (my, "1.2", Status.ONGOING, 60, old),
        (my, "1.3", Status.COMPLETED, 100, old),
        (my, "2.2", Status.IN_PROGRESS, 50, now),
    ]
    statuses = {
        (state.code, code): factories.make_status(
            state,
            items[code],
            status=status,
            progress=progress,
            updated_at=updated_at,
            narrative=f"{state.name} narrative on {code}",
        )
        for state, code, status, progress, updated_at in rows
    }
    return SimpleNamespace(
        plan=plan, kh=kh, my=my, tl=tl, fa1=fa1, fa2=fa2, items=items, statuses=statuses
    )


def make_round(plan, name="2026 annual", *, opens=-10, due=20, closes=40):
    """A reporting round of `plan` dated relative to today (days)."""
    from reviews.models import ReportingRound, today

    day = today()
    return ReportingRound.objects.create(
        plan=plan,
        name=name,
        opens_on=day + datetime.timedelta(days=opens),
        due_on=day + datetime.timedelta(days=due),
        closes_on=day + datetime.timedelta(days=closes),
    )


def accept_report(reporting_round, *, coordinator, reviewer):
    """The coordinator's state submits its report in the (open) round; the reviewer accepts it."""
    from reviews import services

    report = services.report_for(
        reporting_round=reporting_round, member_state=coordinator.member_state
    )
    submission = services.report_submit(user=coordinator, report=report)
    services.report_accept(user=reviewer, report=report)
    return submission


def close_round(reporting_round, days_ago=30):
    """Date an open round in the past, so the plan can open the next one."""
    from reviews.models import ReportingRound, today

    day = today() - datetime.timedelta(days=days_ago)
    ReportingRound.objects.filter(pk=reporting_round.pk).update(
        opens_on=day - datetime.timedelta(days=60),
        due_on=day - datetime.timedelta(days=10),
        closes_on=day,
    )
