"""A demo reporting round for the embedded default, made through the real review services."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from actions.models import Plan
from demo.national import demo_email
from reviews.models import ReportingRound
from reviews.services import (
    comment_add,
    report_accept,
    report_for,
    report_return,
    report_submit,
    round_create,
)

# (state, how far its report has come, the reviewer's comment when it was returned)
REPORTS = (
    ("PH", "accepted", ""),
    ("KH", "submitted", ""),
    (
        "MY",
        "returned",
        "Thank you. Please add the evidence for 2.1 (the training records) and say which "
        "agency leads 4.1 before resubmitting.",
    ),
)


def _demo_user(local_part):
    return User.objects.select_related("member_state").get(email=demo_email(local_part))


@transaction.atomic
def demo_round_create(*, today=None):
    """An open round on the current plan with a few reports along the way; lines to print.

    Does nothing when the current plan already has a round, so a second run writes nothing.
    """
    plan = Plan.objects.current()
    if plan is None or ReportingRound.objects.filter(plan=plan).exists():
        return []
    today = today or timezone.localdate()
    try:
        reporting_round = round_create(
            user=_demo_user("secretariat"),
            plan=plan,
            name=f"{today.year} annual",
            opens_on=today - datetime.timedelta(days=30),
            due_on=today + datetime.timedelta(days=21),
            closes_on=today + datetime.timedelta(days=60),
        )
    except ValidationError as error:
        return [f"No demo reporting round: {'; '.join(error.messages)}"]
    reviewer = _demo_user("reviewer")
    for code, stage, comment in REPORTS:
        coordinator = _demo_user(f"coordinator.{code.lower()}")
        report = report_for(reporting_round=reporting_round, member_state=coordinator.member_state)
        report_submit(
            user=coordinator,
            report=report,
            cover_note=f"{coordinator.member_state}'s report for {reporting_round.name}.",
        )
        if stage == "returned":
            comment_add(user=reviewer, report=report, body=comment)
            report_return(user=reviewer, report=report, comment=comment)
        elif stage == "accepted":
            report_accept(user=reviewer, report=report)
    stages = ", ".join(f"{code} {stage}" for code, stage, _ in REPORTS)
    return [
        f"Reporting round “{reporting_round.name}” of {plan.short_title}: open until "
        f"{reporting_round.closes_on:%d %b %Y}, due {reporting_round.due_on:%d %b %Y}; "
        f"reports: {stages}, the others draft."
    ]
