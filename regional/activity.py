"""What moved on a plan, for its dashboard: compliance in the open round, each state's change
since its previous accepted report (counted, with a drill-down), and the status changes per
month. A state user sees their own state's rows and the regional counts only.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from accounts.policy import is_state_user, scope_submitted, sees_live_figures
from actions import charts, queries
from actions.charts import Series
from actions.models import NationalStatus
from reviews.models import CountryReport, ReportingRound, Submission, today
from reviews.queries import change_counts_since_previous_round, compliance_rows, compliance_summary

Status = NationalStatus.Status


def report_url(submission):
    """The review workflow's page of `submission` (its report, that submission shown)."""
    report = submission.report
    url = reverse("reviews:report_detail", args=[report.round_id, report.member_state.code])
    return f"{url}?{urlencode({'submission': submission.number})}"


def activity_context(plan, area, now=None, *, linked=True):
    """The plan's status changes per month (in `area` only, when given), each month's counts
    linked to the history rows behind them when `linked`, and their chart."""
    activity = queries.monthly_activity(plan, now=_activity_end(plan, now), focus_area=area)
    number = area.number if area is not None else None
    path = reverse("reports:history")
    links = [_month_links(plan, m.month, number, path=path) if linked else {} for m in activity]
    return {
        "activity": list(zip(activity, links, strict=True)),
        "activity_chart": _activity_chart(activity),
    }


@dataclass
class StateChange:
    """One state's change between its two latest accepted reports, counted, with a drill-down."""

    member_state: object
    previous: object  # Submission
    current: object  # Submission
    count: int  # actions whose status or progress changed
    url: str  # the history between the two submissions (observers: the later report)


def round_sections(plan, user, *, area=None, accepted_in=None, rounds=None):
    """Compliance in `plan`'s open round, and each state's change since its previous accepted
    report (in `area` only, when given; into its report accepted in the round `accepted_in`,
    when given). A state user sees their own state's rows and the regional counts only.
    `rounds`: the plan's rounds, latest first, when the caller has read them (the open one is
    then found among them, as ReportingRound.objects.open_for would find it)."""
    if rounds is None:
        reporting_round = ReportingRound.objects.select_related("plan").open_for(plan)
    else:
        day = today()
        reporting_round = next((r for r in rounds if r.is_open_on(day)), None)
        if reporting_round is not None:
            reporting_round.plan = plan
    context = {"round": reporting_round, "compliance": [], "compliance_summary": None}
    own_only = is_state_user(user)
    if reporting_round is not None:
        rows = compliance_rows(reporting_round)
        summary = compliance_summary(rows)
        context["compliance_summary"] = summary
        context["compliance_counts"] = [
            (value, label, summary["by_state"][value])
            for value, label in CountryReport.State.choices
        ]
        if own_only:
            rows = [row for row in rows if row.state.pk == user.member_state_id]
        context["compliance"] = rows
    changes = change_counts_since_previous_round(
        plan,
        reporting_round=accepted_in,
        focus_area_number=area.number if area is not None else None,
    )
    if changes:
        seen = set(
            scope_submitted(
                Submission.objects.filter(pk__in=[c.current.pk for c in changes]), user
            ).values_list("pk", flat=True)
        )
        changes = [c for c in changes if c.current.pk in seen]
    live_allowed = sees_live_figures(user)
    path = reverse("reports:history")
    context["round_changes"] = [
        StateChange(
            member_state=c.member_state,
            previous=c.previous,
            current=c.current,
            count=c.count,
            url=_changes_url(plan, c, area, path) if live_allowed else report_url(c.current),
        )
        for c in changes
    ]
    context["change_groups"] = _by_rounds(context["round_changes"])
    return context


def _by_rounds(changes):
    """[(previous round, later round, [StateChange, ...])]: states that moved between the same
    two rounds together (usually all of them), so the rounds are named once."""
    groups = {}
    for change in changes:
        rounds = (change.previous.report.round, change.current.report.round)
        groups.setdefault(rounds, []).append(change)
    return [(previous, current, group) for (previous, current), group in groups.items()]


def _changes_url(plan, changes, area, path=None):
    """The history table of one state between its two latest accepted submissions."""
    return history_url(
        path=path,
        plan=plan.code,
        state=changes.member_state.code,
        focus_area=area.number if area is not None else None,
        changed_since=timezone.localdate(changes.previous.submitted_at),
        changed_until=timezone.localdate(changes.current.submitted_at),
    )


def _activity_end(plan, now=None):
    """The last month the activity chart shows: this month, or a closed plan's last month."""
    now = now or timezone.now()
    last_day = datetime.datetime.combine(plan.last_day, datetime.time(12))
    return min(now, timezone.make_aware(last_day))


def history_url(*, path=None, **filters):
    """The history table filtered by `filters` (None values left out); `path`: the table's
    path when the caller already has it."""
    params = {key: value for key, value in filters.items() if value not in (None, "")}
    return f"{path or reverse('reports:history')}?{urlencode(params)}"


def _month_links(plan, month, focus_area=None, *, path=None):
    """The history rows behind a month's counts: its changes, and those to completed."""
    last = (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    period = {
        "plan": plan.code,
        "focus_area": focus_area,
        "changed_since": month,
        "changed_until": last,
    }
    return {
        "changes": history_url(path=path, **period),
        "completions": history_url(path=path, **period, new_status=Status.COMPLETED),
    }


def _activity_chart(activity):
    labels = [month.month.strftime("%b %Y") for month in activity]
    return charts.trend_chart(
        labels,
        [
            Series("Status changes", [month.changes for month in activity]),
            Series("Marked completed", [month.completions for month in activity]),
        ],
        chart_id="activity",
        title="Status changes per month",
        desc="How many status changes all reporting states recorded each month, and how many "
        "of them marked an action completed. The table below gives the same figures.",
    )
