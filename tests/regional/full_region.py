"""The whole region on RPA 2026–2030 from the reference data: all 11 member states, every
focus area, statuses of every kind, and every state's report accepted in two rounds with
changes in between; the largest dashboard there is, for size and layout tests."""

import io
import itertools

from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role
from actions.models import ActionItem, NationalStatus, Plan
from countries.models import MemberState
from tests import factories, small_plan

Status = NationalStatus.Status
PLAN = "rpa-2026-2030"
# Status and progress in turn (seven kinds, so states differ); every ninth pair is left never
# updated.
KINDS = [
    (Status.COMPLETED, 100),
    (Status.IN_PROGRESS, 40),
    (Status.PLANNED, 10),
    (Status.ONGOING, 70),
    (Status.NOT_APPLICABLE, None),
    (Status.IN_PROGRESS, 85),
    (Status.NOT_STARTED, 0),
]


def build(reviewer, *, rounds=True):
    call_command("load_reference_data", stdout=io.StringIO())
    plan = Plan.objects.get(code=PLAN)
    states = list(MemberState.objects.order_by("name"))
    items = list(ActionItem.objects.filter(plan=plan).order_by("focus_area__number", "code"))
    kinds = itertools.cycle(KINDS)
    now = timezone.now()
    statuses = []
    for n, (state, item) in enumerate(itertools.product(states, items)):
        if n % 9 == 0:
            continue
        status, progress = next(kinds)
        statuses.append(
            NationalStatus(
                member_state=state,
                action_item=item,
                status=status,
                progress=progress,
                updated_at=now,
                narrative="As reported",
            )
        )
    NationalStatus.objects.bulk_create(statuses)
    if rounds:
        coordinators = [
            factories.make_user(role=Role.COORDINATOR, member_state=state) for state in states
        ]
        first = small_plan.make_round(plan, "2026 annual")
        for coordinator in coordinators:
            small_plan.accept_report(first, coordinator=coordinator, reviewer=reviewer)
        small_plan.close_round(first)
        # Each state moves some actions on before the next round.
        NationalStatus.objects.filter(action_item__in=items[::3], status=Status.IN_PROGRESS).update(
            progress=95
        )
        second = small_plan.make_round(plan, "2027 annual")
        for coordinator in coordinators:
            small_plan.accept_report(second, coordinator=coordinator, reviewer=reviewer)
    return plan, states, items
