"""A member state's profile and an action across states: built from the named queries, scoped."""

from dataclasses import dataclass

from django.db.models import Count, Max

from accounts.policy import (
    scope_national,
    scope_submitted,
)
from actions import charts, queries
from actions.charts import Bar, area_label
from actions.models import NationalStatus
from reviews import queries as review_queries
from reviews.models import CountryReport

from .activity import report_url
from .dashboards import Scope, scope_row

Status = NationalStatus.Status


def state_profile(plan, state):
    """A member state's progress per focus area of `plan` (the caller checked visibility)."""
    figures = queries.plan_figures(plan, member_state=state)
    scope = Scope(plan, [state.pk], [state.pk])
    tally = figures.state_total(state)
    areas = [(area, figures.cell(state, area)) for area in figures.focus_areas] if tally else []
    row = scope_row(scope, state.name, state, tally, areas)
    bars = [
        Bar(area_label(area.number, area.title, area.provenance), cell.tally.average_progress)
        for area, cell in zip(figures.focus_areas, row.cells, strict=False)
    ]
    chart = charts.bar_chart(
        bars,
        chart_id="state-progress",
        title=f"{state.name}: average progress per focus area, {plan.short_title}",
        desc="Average progress of the state's applicable actions in each focus area, in per "
        "cent. The table below gives the same figures.",
    )
    reports = (
        CountryReport.objects.filter(member_state=state, round__plan=plan)
        .select_related("round", "accepted_submission")
        .annotate(
            submission_count=Count("submissions"), last_submitted=Max("submissions__submitted_at")
        )
        .order_by("-round__opens_on")
    )
    return {"figures": figures, "row": row, "chart": chart, "round_history": reports}


@dataclass
class LinkedRecord:
    item: object
    reporting: bool  # False: the state was not a member for the item's plan
    status: str = Status.NOT_STARTED
    progress: int | None = 0
    narrative: str = ""
    updated_at: object = None

    @property
    def status_label(self):
        return NationalStatus.display_value("status", self.status)


def continuity_rows(item, links, rows, user):
    """The records of `item`'s predecessors and successors beside each state's own row.

    `links` are the item's continuity links, `rows` the states from `item_across_states`
    (already scoped). One query, scoped through `scope_national`, whatever the number of links.
    """
    predecessors = [
        link.from_item for link in links if link.to_item_id == item.pk and link.from_item
    ]
    successors = [link.to_item for link in links if link.from_item_id == item.pk and link.to_item]
    linked = predecessors + successors
    found = {}
    if linked and rows:
        statuses = scope_national(NationalStatus.objects.all(), user).filter(
            action_item__in=linked, member_state__in=[row.pk for row in rows]
        )
        found = {(s.member_state_id, s.action_item_id): s for s in statuses}
    comparison = []
    for row in rows:
        records = []
        for other in linked:
            saved = found.get((row.pk, other.pk))
            record = LinkedRecord(other, reporting=row.reports_from <= other.plan.last_day)
            if saved is not None:
                record.status, record.progress = saved.status, saved.progress
                record.narrative, record.updated_at = saved.narrative, saved.updated_at
            records.append(record)
        comparison.append((row, records))
    return {
        "links": links,
        "predecessors": predecessors,
        "successors": successors,
        "linked": linked,
        "comparison": comparison,
    }


@dataclass
class AcceptedItemRow:
    """One state's accepted record of an item, shaped like `queries.item_across_states` rows."""

    state: object
    submission: object
    status: str
    progress: int | None
    narrative: str
    updated_at: object
    reports_on_plan: bool = True

    @property
    def name(self):
        return self.state.name

    @property
    def code(self):
        return self.state.code

    @property
    def url(self):
        return report_url(self.submission)


def accepted_item(item, user):
    """An item across states from each state's latest accepted report (what observers see).

    Two queries, plus one through `scope_submitted` to keep only what `user` may see.
    """
    from reviews.models import SubmissionItem

    submissions = review_queries.latest_accepted_submissions(item.plan)
    allowed = scope_submitted(
        SubmissionItem.objects.filter(
            submission__in=[s.pk for s in submissions.values()], action_item=item
        ),
        user,
        "submission",
    )
    by_pk = {s.pk: s for s in submissions.values()}
    rows = []
    tally = queries.Tally()
    for saved in allowed.order_by("submission__report__member_state__name"):
        submission = by_pk[saved.submission_id]
        rows.append(
            AcceptedItemRow(
                state=submission.report.member_state,
                submission=submission,
                status=saved.status,
                progress=saved.progress,
                narrative=saved.narrative,
                updated_at=saved.last_changed_at,
            )
        )
        tally.counts[saved.status] += 1
        tally.progress_total += saved.progress or 0
        tally.never_updated += saved.status_version == 0
    return {"rows": rows, "tally": tally, "accepted": True}
