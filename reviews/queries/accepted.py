"""Accepted data: the figures of the reports accepted in a round, the review workflow's frozen
submissions."""

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from actions.models import Plan
from actions.queries import PlanFigures, Tally, states_and_areas
from countries.models import MemberState

from ..models import ReportingRound, Submission, SubmissionItem


def latest_accepted_submissions(
    plan: Plan,
    member_state: MemberState | None = None,
    reporting_round: ReportingRound | None = None,
) -> dict[int, Submission]:
    """{state id: its latest accepted submission in `plan`'s rounds}, in one query.

    "Accepted" means the report is accepted on that submission now (a reopened report's
    earlier acceptance no longer counts). Each submission comes with its report and round.
    With `reporting_round`, only the submissions accepted in that round.
    """
    rounds = {"report__round": reporting_round} if reporting_round else {}
    accepted = (
        Submission.objects.accepted()
        .filter(report__round__plan=plan, **rounds)
        .select_related("report__round", "report__member_state")
        .order_by("report__member_state_id", "-report__round__opens_on", "-number")
    )
    if member_state is not None:
        accepted = accepted.filter(report__member_state=member_state)
    latest: dict[int, Submission] = {}
    for submission in accepted:
        latest.setdefault(submission.report.member_state_id, submission)
    return latest


def accepted_plan_figures(
    plan: Plan,
    member_state: MemberState | None = None,
    reporting_round: ReportingRound | None = None,
) -> PlanFigures:
    """Like `plan_figures`, but from each state's latest accepted submission (in
    `reporting_round` when given): four queries.

    What observers see. States without an accepted report have no cells (as states that do
    not report); `figures.submissions` maps state id to the submission the figures come from.
    Stale counts are 0: a frozen snapshot does not age.
    """
    submissions = latest_accepted_submissions(plan, member_state, reporting_round)
    states, focus_areas = states_and_areas(plan, member_state)
    grouped = (
        SubmissionItem.objects.filter(submission__in=[s.pk for s in submissions.values()])
        .values("submission__report__member_state_id", "focus_area_number", "status")
        .annotate(
            pairs=Count("pk"),
            progress=Coalesce(Sum("progress"), 0),
            never=Count("pk", filter=Q(status_version=0)),
        )
        .order_by()
    )
    area_ids = {area.number: area.pk for area in focus_areas}
    cells = {
        (state.pk, area.pk): Tally()
        for state in states
        if state.reports_on_plan and state.pk in submissions
        for area in focus_areas
    }
    for row in grouped:
        area_id = area_ids.get(row["focus_area_number"])
        state_id = row["submission__report__member_state_id"]
        tally = None if area_id is None else cells.get((state_id, area_id))
        if tally is None:  # an item of a focus area since renumbered: not in today's matrix
            continue
        tally.counts[row["status"]] += row["pairs"]
        tally.progress_total += row["progress"]
        tally.never_updated += row["never"]
    return PlanFigures(
        plan=plan,
        focus_areas=focus_areas,
        states=states,
        cells=cells,
        accepted=True,
        submissions=submissions,
    )
