"""What the dashboard pages show, built from the named queries, with the user's scope applied.

Per-state figures are shown only for states the user may see (`visible_states`, which goes
through `scope_national`); the regional aggregates for everyone signed in. A number links to
the status table filtered to the rows behind it only when the user may see all of those rows.
"""

from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import quote_plus, urlencode

from django.urls import reverse

from accounts.policy import (
    scope_submitted,
    sees_live_figures,
    visible_states,
)
from actions import queries
from actions.models import NationalStatus
from reviews import queries as review_queries
from reviews.models import ReportingRound, Submission

from .activity import activity_context, report_url, round_sections

Status = NationalStatus.Status
REGION = "All reporting states"


LIVE = "live"  # the `figures` choice of live figures
LATEST = "latest"  # each state's latest accepted report; otherwise a round's id

# The matrix's shades by average progress: a sequential scale (ColorBrewer YlGnBu) whose
# steps differ in lightness as well as hue, so they read in grayscale and with colour-blind
# eyes; the number in each cell is always shown. Colours are in static/css/reports.css.
HEAT_BANDS = ("under 20 %", "20–39 %", "40–59 %", "60–79 %", "80 % or more")


def statuses_url(plan, *, path=None, **filters):
    """The status table of `plan` filtered by `filters` (None values left out); `path`: the
    table's path when the caller already has it (a dashboard links hundreds of numbers)."""
    params = {"plan": plan.code}
    params.update({key: value for key, value in filters.items() if value not in (None, "")})
    return f"{path or reverse('reports:statuses')}?{urlencode(params)}"


@lru_cache(maxsize=4096)
def _query_pair(key, value):
    """`key=value` as urlencode writes it (a dashboard joins a few of these for each of its
    hundreds of links; the pairs repeat across rows and columns)."""
    return f"{quote_plus(key)}={quote_plus(str(value))}"


def heat_level(average):
    """0–4 for the matrix's shading by average progress (the number is always shown too)."""
    return 0 if average is None else min(int(average // 20), 4)


@dataclass
class Cell:
    tally: queries.Tally
    area: object = None  # None: all focus areas
    completed_url: str = ""
    progress_url: str = ""
    not_applicable_url: str = ""

    @property
    def level(self):
        return heat_level(self.tally.average_progress)


@dataclass
class Row:
    label: str
    state: object = None  # None for the region
    tally: queries.Tally | None = None  # None: the state does not report on the plan
    cells: list = field(default_factory=list)
    total: Cell | None = None
    status_urls: dict = field(default_factory=dict)  # status value -> drill-down URL
    stale_url: str = ""
    never_url: str = ""
    all_url: str = ""  # every row of the state (or region)
    submission: object = None  # accepted figures: the submission they come from

    @property
    def is_region(self):
        return self.state is None


class Scope:
    """Which states' rows a user sees, and where their numbers link.

    Live figures link to the status table filtered to the rows behind the number (within the
    chosen focus area), when the user may see all of those rows. Accepted figures link to the
    accepted report.
    """

    def __init__(self, plan, visible_ids, reporting_ids, submissions=None, focus_area=None):
        self.plan = plan
        self.visible_ids = set(visible_ids)
        self.submissions = submissions  # None: live figures
        self.focus_area = focus_area.number if focus_area is not None else None
        self.sees_region_rows = submissions is None and set(reporting_ids) <= self.visible_ids
        self._statuses_path = None

    def statuses_path(self):
        """The status table's path, reversed once for all of the page's links."""
        if self._statuses_path is None:
            self._statuses_path = reverse("reports:statuses")
        return self._statuses_path

    def link(self, state):
        """A function of table filters giving the drill-down URL for `state`'s numbers
        (None: the region), or "" when its numbers do not link."""
        if self.submissions is not None:
            submission = state and self.submissions.get(state.pk)
            url = submission and report_url(submission)
            return lambda **filters: url or ""
        if (state is None and self.sees_region_rows) or (state and state.pk in self.visible_ids):
            code = state.code if state is not None else None
            chosen = self.focus_area
            path = self.statuses_path()
            start = {"plan": self.plan.code, "state": code}

            def url(focus_area=None, **filters):
                # statuses_url(plan, state=code, focus_area=..., **filters), from the pairs
                # encoded once: the same parameters in the same order.
                given = {**start, "focus_area": chosen if focus_area is None else focus_area}
                given.update(filters)
                query = "&".join(
                    _query_pair(key, value)
                    for key, value in given.items()
                    if value is not None and value != ""
                )
                return f"{path}?{query}"

            return url
        return lambda **filters: ""


def scope_row(scope, label, state, tally, areas):
    url = scope.link(state)

    def cell(tally, area=None):
        number = area.number if area is not None else None
        return Cell(
            tally,
            area=area,
            completed_url=url(focus_area=number, status=Status.COMPLETED),
            progress_url=url(focus_area=number, status="applicable"),
            not_applicable_url=url(focus_area=number, status=Status.NOT_APPLICABLE),
        )

    row = Row(label=label, state=state, tally=tally)
    if tally is None:
        return row
    row.cells = [cell(t, area) for area, t in areas]
    row.total = cell(tally)
    row.status_urls = {value: url(status=value) for value in queries.STATUS_ORDER}
    row.stale_url, row.never_url = url(stale="stale"), url(stale="never")
    row.all_url = url()
    return row


def figures_for(plan, user, now, *, accepted=None, reporting_round=None):
    """The figures `user` sees, the states whose figures they see, and the states listed.

    Live figures with the states `user` may see; accepted figures (always for observers, or
    when asked; those of `reporting_round`, else each state's latest) with the states whose
    accepted reports `user` may see. Observers list every state, with or without figures.
    """
    live_allowed = sees_live_figures(user)
    if accepted is None:
        accepted = not live_allowed
    if not accepted:
        figures = queries.plan_figures(plan, now=now)
        visible = set(visible_states(user).values_list("pk", flat=True))
        return figures, visible, visible
    figures = review_queries.accepted_plan_figures(plan, reporting_round=reporting_round)
    shown = set(
        scope_submitted(
            Submission.objects.filter(pk__in=[s.pk for s in figures.submissions.values()]), user
        ).values_list("report__member_state_id", flat=True)
    )
    if live_allowed:
        listed = set(visible_states(user).values_list("pk", flat=True))
    else:
        listed = {state.pk for state in figures.states}
    return figures, shown, listed


@dataclass
class Choice:
    """What the dashboard shows, chosen in the URL (a GET form): whose figures, which area."""

    figures: str  # LIVE, LATEST or a round's id
    options: list  # [(value, label)] the user may choose from
    reporting_round: object = None  # the round whose accepted figures are shown
    area: str = ""  # a focus area's number, or "" for all
    rounds: list | None = None  # all the plan's rounds, latest first, when they were read

    @property
    def accepted(self):
        return self.figures != LIVE


def choice_from_request(request, plan):
    """The dashboard's figures and focus area, as the URL asks (one query: the plan's rounds)."""
    rounds = list(ReportingRound.objects.filter(plan=plan).order_by("-opens_on"))
    choice = dashboard_choice(request.user, rounds, request.GET)
    choice.rounds = rounds
    return choice


def dashboard_choice(user, rounds, params):
    """The figures and focus area asked for in `params` (a QueryDict); anything else falls
    back to the default: live figures, or for observers each state's latest accepted report."""
    options = [(LIVE, "Live: as saved now")] if sees_live_figures(user) else []
    options.append((LATEST, "Each state's latest accepted report"))
    options += [(str(r.pk), f"As accepted in {r.name}") for r in rounds]
    wanted = params.get("figures", "")
    figures = wanted if wanted in dict(options) else options[0][0]
    reporting_round = next((r for r in rounds if str(r.pk) == figures), None)
    return Choice(figures, options, reporting_round, area=params.get("area", ""))


def narrowed(figures, area):
    """`figures` of one focus area only (its totals are then the area's)."""
    if area is None:
        return figures
    cells = {key: tally for key, tally in figures.cells.items() if key[1] == area.pk}
    return replace(figures, focus_areas=[area], cells=cells)


def plan_dashboard(plan, user, *, choice=None, now=None):
    """Everything the regional dashboard of `plan` shows to `user`, as `choice` asks."""
    choice = choice or dashboard_choice(user, [], {})
    figures, shown_ids, listed_ids = figures_for(
        plan, user, now, accepted=choice.accepted, reporting_round=choice.reporting_round
    )
    all_areas = figures.focus_areas
    area = next((a for a in all_areas if str(a.number) == choice.area), None)
    figures = narrowed(figures, area)
    reporting_ids = [state.pk for state in figures.reporting_states]
    accepted = figures.accepted
    scope = Scope(
        plan, shown_ids, reporting_ids, figures.submissions if accepted else None, focus_area=area
    )
    rows = []
    for state in figures.states:
        if state.pk not in listed_ids:
            continue
        tally = figures.state_total(state) if state.pk in shown_ids else None
        cells = [(a, figures.cell(state, a)) for a in figures.focus_areas] if tally else []
        row = scope_row(scope, state.name, state, tally, cells)
        row.submission = figures.submissions.get(state.pk) if accepted else None
        rows.append(row)
    overall = figures.overall
    region = scope_row(scope, REGION, None, overall, figures.by_focus_area())
    chosen = {"figures": choice.figures, "area": area.number if area is not None else ""}
    context = {
        "choice": choice,
        "choice_query": urlencode({key: value for key, value in chosen.items() if value}),
        "focus_areas": all_areas,
        "area": area,
        "figures": figures,
        "accepted": accepted,
        "live_allowed": sees_live_figures(user),
        "rows": rows,
        "region": region,
        "overall": overall,
        "sees_region_rows": scope.sees_region_rows,
        "heat_bands": list(enumerate(HEAT_BANDS)),
    }
    if not accepted:
        context.update(activity_context(plan, area, now, linked=scope.sees_region_rows))
    context.update(
        round_sections(
            plan, user, area=area, accepted_in=choice.reporting_round, rounds=choice.rounds
        )
    )
    return context
