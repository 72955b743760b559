"""Demo data for the embedded default: demo accounts for every role and a lived-in history.

Only `manage.py load_demo_data` uses this, and it refuses to run with DEBUG off unless forced.
Every choice comes from a fixed seed, so two fresh databases get the same demo data.

RPA 2021–2025 is closed and the write service refuses closed plans, so its demo history (what
states recorded while it was in force) is written by `demo_history_bulk_write`, which keeps
the service's rules: status and progress agree, one StatusHistory row per change holding
{field: [old, new]}, and versions numbered 1, 2, … as services.py and evidence.py number
them (an evidence link raises the version too). Entries on the plan open now go through the
real services.
"""

import datetime
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import DEMO_EMAIL_DOMAIN, Role, User
from accounts.policy import state_users
from actions.evidence import clean_title, clean_url, evidence_add_link
from actions.models import (
    ActionItem,
    Evidence,
    MonthlyActivity,
    NationalStatus,
    Plan,
    StatusHistory,
)
from actions.services import national_status_update
from countries.models import MemberState

from .stories import CURRENT_ENTRIES, CURRENT_EVIDENCE, GENERIC_STORY, STORIES, agency

SEED = "rpa-tracker-demo-2021"
HISTORY_PLAN = "rpa-2021-2025"
CURRENT_PLAN = "rpa-2026-2030"
CURRENT_PLAN_TITLE = "RPA 2026–2030"
Status = NationalStatus.Status


class DemoDataError(Exception):
    """The database lacks what the demo data builds on (the reference data)."""


# --- Accounts ---------------------------------------------------------------------------------

# Every state has a focal point (each state's history needs an author); five have a coordinator.
FOCAL_POINT_STATES = ("BN", "ID", "KH", "LA", "MM", "MY", "PH", "SG", "TH", "TL", "VN")
COORDINATOR_STATES = ("ID", "KH", "MY", "PH", "TH")
# (address before the @, role, name, time zone); the secretariat sits in Jakarta.
REGIONAL_ACCOUNTS = (
    ("reviewer", Role.REVIEWER, "DEMO ACWC reviewer", "Asia/Bangkok"),
    ("secretariat", Role.SECRETARIAT, "DEMO Secretariat admin", "Asia/Jakarta"),
    ("observer", Role.OBSERVER, "DEMO Observer (partner organisation)", "Asia/Bangkok"),
)


def demo_email(local_part):
    return f"{local_part}@{DEMO_EMAIL_DOMAIN}"


def demo_accounts_wanted(states):
    """Unsaved demo users, for the states present in `states` (code → MemberState)."""
    wanted = []
    for role, codes, prefix in (
        (Role.FOCAL_POINT, FOCAL_POINT_STATES, "focal"),
        (Role.COORDINATOR, COORDINATOR_STATES, "coordinator"),
    ):
        for code in codes:
            if code in states:
                state = states[code]
                wanted.append(
                    User(
                        email=demo_email(f"{prefix}.{code.lower()}"),
                        name=f"DEMO {role.label}, {state.name}",
                        role=role,
                        member_state=state,
                        time_zone=state.time_zone,
                    )
                )
    for local_part, role, name, time_zone in REGIONAL_ACCOUNTS:
        admin = role == Role.SECRETARIAT  # so that the admin site works in the demo
        wanted.append(
            User(
                email=demo_email(local_part),
                name=name,
                role=role,
                time_zone=time_zone,
                is_staff=admin,
                is_superuser=admin,
            )
        )
    return wanted


def demo_accounts_create(*, password, states):
    """Create the demo accounts that do not exist yet; return (created, already there).

    With no password (DEMO_PASSWORD is set only with DEBUG on) the accounts cannot log in.
    """
    wanted = demo_accounts_wanted(states)
    existing = set(
        User.objects.filter(email__in=[user.email for user in wanted]).values_list(
            "email", flat=True
        )
    )
    missing = [user for user in wanted if user.email not in existing]
    # One hash for all: the password is published anyway, and hashing each costs seconds.
    encoded = make_password(password)
    for user in missing:
        user.password = encoded
    User.objects.bulk_create(missing)
    return missing, len(existing)


# --- The demo history of RPA 2021–2025 --------------------------------------------------------

# How far each state got overall (0–1); the spread keeps the dashboards interesting.
STATE_LEVELS = {
    "TH": 0.85,
    "PH": 0.8,
    "SG": 0.8,
    "MY": 0.75,
    "ID": 0.7,
    "VN": 0.6,
    "KH": 0.55,
    "BN": 0.5,
    "LA": 0.35,
    "MM": 0.25,
}

# States report ahead of the yearly ASEAN meetings and for the 2024 mid-term and 2025
# end-of-term reviews, so their updates cluster in these periods (first and last day).
UPDATE_WINDOWS = (
    (datetime.date(2022, 5, 2), datetime.date(2022, 6, 30)),
    (datetime.date(2022, 10, 3), datetime.date(2022, 11, 30)),
    (datetime.date(2023, 4, 3), datetime.date(2023, 5, 31)),
    (datetime.date(2023, 10, 2), datetime.date(2023, 11, 30)),
    (datetime.date(2024, 3, 4), datetime.date(2024, 4, 30)),
    (datetime.date(2024, 9, 2), datetime.date(2024, 10, 31)),
    (datetime.date(2025, 4, 1), datetime.date(2025, 5, 30)),
    (datetime.date(2025, 9, 1), datetime.date(2025, 11, 14)),
)
MAX_HISTORY_ROWS = 4


@dataclass
class Event:
    """One change to a national status: new values, or an evidence link added."""

    at: datetime.datetime
    by: User
    values: dict | None = None
    evidence: tuple[str, str] | None = None  # (title, url)


@dataclass
class Timeline:
    """Everything that happened to one state's status of one action, oldest first."""

    member_state: MemberState
    action_item: ActionItem
    events: list[Event] = field(default_factory=list)


def _local_working_moment(rng, day, time_zone):
    """A time during office hours on `day` (or the next weekday) in the state's zone, in UTC."""
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    local = datetime.datetime.combine(
        day,
        datetime.time(rng.randint(8, 16), rng.randrange(0, 60)),
        tzinfo=ZoneInfo(time_zone),
    )
    return local.astimezone(datetime.UTC)


def _round5(value):
    return 5 * round(value / 5)


def _path(rng, state, item, story):
    """The stages a state went through on `item`, as (status, progress), oldest first."""
    level = STATE_LEVELS.get(state.code, 0.5)
    regional = item.level == ActionItem.Level.REGIONAL
    score = level + rng.uniform(-0.35, 0.35) + (0.1 if regional else 0)
    if item.end_year and item.end_year <= 2023:
        score += 0.1
    planned = (Status.PLANNED, _round5(rng.uniform(0, 10)))
    early = (Status.IN_PROGRESS, _round5(rng.uniform(15, 45)))
    late = (Status.IN_PROGRESS, _round5(rng.uniform(55, 90)))
    if regional and rng.random() < 0.05:
        return [planned, (Status.NOT_APPLICABLE, None)]
    if score >= 0.72:
        final = (
            (Status.ONGOING, _round5(rng.uniform(70, 100)))
            if story.continuous
            else (Status.COMPLETED, 100)
        )
        return [planned, early, late, final]
    if score >= 0.5:
        return [planned, early, late]
    if score >= 0.32:
        return [planned, early]
    if score >= 0.2:
        return [(Status.NOT_STARTED, 0), planned]
    return [(Status.NOT_STARTED, 0)]


def _values(status, progress, story, state, day):
    """What a focal point writes for a status at a stage of the work."""
    responsible = agency(state.code, story.area, day)
    texts = {
        Status.NOT_STARTED: (
            "Not started: no lead unit or budget assigned yet.",
            story.challenge,
            "Assign a lead unit and include the action in next year's budget.",
        ),
        Status.PLANNED: (
            story.planned,
            "",
            "Agree a work plan and a budget with the agencies concerned.",
        ),
        Status.IN_PROGRESS: (story.in_progress, story.challenge, story.next_step),
        Status.COMPLETED: (story.done, "", f"Carry the work forward under {CURRENT_PLAN_TITLE}."),
        Status.ONGOING: (story.done, story.challenge, f"Continue under {CURRENT_PLAN_TITLE}."),
        Status.NOT_APPLICABLE: (
            f"Regional action: {state.name} takes part through ACWC and the ASEAN sectoral "
            "bodies and has no separate national measure to report.",
            "",
            "",
        ),
    }
    narrative, challenges, next_steps = texts[status]
    return {
        "status": status.value,
        "progress": progress,
        "narrative": narrative,
        "challenges": challenges,
        "next_steps": next_steps,
        # Nobody is named responsible for work nobody has taken on yet.
        "responsible_agency": "" if status == Status.NOT_STARTED else responsible,
    }


def _evidence_link(story, state, item, day):
    title = clean_title(story.evidence)
    slug = slugify(f"{item.code} {story.evidence}")
    url = f"https://{state.code.lower()}.{DEMO_EMAIL_DOMAIN}/documents/{day.year}/{slug}.pdf"
    return title, clean_url(url)


def demo_timeline(state, item, authors):
    """The demo history of `state`'s status of `item`, or None when it was never updated.

    Drawn from a generator seeded by state and item, so it is the same in every database.
    """
    rng = random.Random(f"{SEED}:{state.code}:{item.plan.code}:{item.code}")
    story = STORIES.get(item.code, GENERIC_STORY)
    path = _path(rng, state, item, story)
    if path[-1][0] == Status.NOT_STARTED and rng.random() < 0.4:
        return None  # never updated: the workspace shows it as not started
    # The last stage is always recorded; earlier ones only when the state reported them then.
    stages = [stage for stage in path[:-1] if rng.random() < 0.6][-(MAX_HISTORY_ROWS - 1) :]
    stages.append(path[-1])
    done = path[-1][0] in (Status.COMPLETED, Status.ONGOING)
    with_evidence = len(stages) < MAX_HISTORY_ROWS and rng.random() < (
        0.6 if done else 0.3 if path[-1][0] == Status.IN_PROGRESS else 0
    )
    windows = [w for w in UPDATE_WINDOWS if not item.start_year or w[1].year >= item.start_year]
    chosen = sorted(rng.sample(range(len(windows)), min(len(stages), len(windows))))
    stages = stages[-len(chosen) :]
    # Most changes are the focal point's; the coordinator, where there is one, makes some.
    weights = [3] + [1] * (len(authors) - 1)
    timeline = Timeline(member_state=state, action_item=item)
    for (status, progress), index in zip(stages, chosen, strict=True):
        first, last = windows[index]
        day = first + datetime.timedelta(days=rng.randint(0, (last - first).days))
        timeline.events.append(
            Event(
                at=_local_working_moment(rng, day, state.time_zone),
                by=rng.choices(authors, weights)[0],
                values=_values(status, progress, story, state, day),
            )
        )
    if with_evidence:
        last_event = timeline.events[-1]
        day = last_event.at.date() + datetime.timedelta(days=rng.randint(1, 10))
        timeline.events.append(
            Event(
                at=_local_working_moment(rng, day, state.time_zone),
                by=last_event.by,
                evidence=_evidence_link(story, state, item, day),
            )
        )
    return timeline


def _status_changes(old, new):
    """{field: [old, new]} for the fields that differ, as national_status_update records them."""
    return {
        name: [old[name], new[name]]
        for name in NationalStatus.TRACKED_FIELDS
        if old[name] != new[name] and not (old[name] is None and new[name] == "")
    }


@transaction.atomic
def demo_history_bulk_write(timelines):
    """Write demo statuses with their whole history, bypassing the service's plan check.

    Demo only: the service refuses a closed plan, but the demo shows what states recorded
    while the plan was in force. Every other rule of the service holds (see the module's
    docstring); a timeline that breaks one raises ValueError and nothing is written.
    Returns (statuses, history rows, evidence links) written.
    """
    statuses, recorded = [], []
    for timeline in timelines:
        values = dict.fromkeys(NationalStatus.TRACKED_FIELDS)
        rows = []
        for version, event in enumerate(timeline.events, start=1):
            if rows and event.at <= rows[-1][1].at:
                raise ValueError(f"{timeline.action_item}: events out of order")
            if event.evidence is not None:
                if version == 1:
                    raise ValueError(f"{timeline.action_item}: evidence before any status")
                title, url = event.evidence
                changes = {"evidence_added": [None, f"{title} <{url}>"]}
            else:
                problem = NationalStatus.progress_problem(
                    event.values["status"], event.values["progress"]
                )
                changes = _status_changes(values, event.values)
                if problem or not changes:
                    raise ValueError(f"{timeline.action_item}: {problem or 'no change'}")
                values = event.values
            rows.append((version, event, changes))
        last = timeline.events[-1]
        status = NationalStatus(
            member_state=timeline.member_state,
            action_item=timeline.action_item,
            version=len(rows),
            updated_at=last.at,
            updated_by=last.by,
            **values,
        )
        statuses.append(status)
        recorded.append((status, rows))
    NationalStatus.objects.bulk_create(statuses)
    history, evidence = [], []
    for status, rows in recorded:
        for version, event, changes in rows:
            history.append(
                StatusHistory(
                    national_status=status,
                    version=version,
                    changed_at=event.at,
                    changed_by=event.by,
                    changes=changes,
                )
            )
            if event.evidence is not None:
                title, url = event.evidence
                evidence.append(
                    Evidence(
                        national_status=status,
                        kind=Evidence.Kind.LINK,
                        title=title,
                        url=url,
                        added_at=event.at,
                        added_by=event.by,
                    )
                )
    StatusHistory.objects.bulk_create(history)
    Evidence.objects.bulk_create(evidence)
    # bulk_create skips StatusHistory.save: count the months of the areas written to again.
    areas = {status.action_item.focus_area_id for status in statuses}
    MonthlyActivity.objects.rebuild(focus_areas=sorted(areas))
    return len(statuses), len(history), len(evidence)


def _demo_authors():
    """Each state's active demo state users, focal point first: {state id: [users]}."""
    authors = defaultdict(list)
    users = state_users().filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
    users = users.order_by("member_state_id", "-role", "email")  # descending: focal, coordinator
    for user in users:
        authors[user.member_state_id].append(user)
    return authors


def demo_history_create(plan):
    """Demo history of `plan` for every reporting state that has no status on it yet.

    Returns (states written, states skipped, statuses, history rows, evidence links).
    """
    items = list(
        ActionItem.objects.filter(plan=plan).select_related("plan").order_by("position", "code")
    )
    with_data = set(
        NationalStatus.objects.filter(action_item__plan=plan).values_list(
            "member_state_id", flat=True
        )
    )
    authors = _demo_authors()
    written, skipped, timelines = [], [], []
    for state in MemberState.objects.reporting_in(plan).order_by("code"):
        if state.pk in with_data or not authors[state.pk]:
            skipped.append(state)
            continue
        written.append(state)
        for item in items:
            timeline = demo_timeline(state, item, authors[state.pk])
            if timeline is not None:
                timelines.append(timeline)
    return (written, skipped, *demo_history_bulk_write(timelines))


# --- A few entries on the plan open now, through the real write services -----------------------


def demo_current_entries_create(plan):
    """A few entries on `plan` (open now) through the real services, where none exist yet.

    An entry the service refuses (say, the plan is not open to that state now) is left out,
    so that the demo never stops `make run`. Returns (entries written, evidence links
    written, entries refused).
    """
    items = {
        item.code: item for item in ActionItem.objects.filter(plan=plan).select_related("plan")
    }
    users = {
        user.email: user
        for user in User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").select_related(
            "member_state"
        )
    }
    taken = set(
        NationalStatus.objects.filter(action_item__plan=plan).values_list(
            "member_state_id", "action_item_id"
        )
    )
    written, refused = set(), 0
    for local_part, code, status, progress, narrative, next_step, area in CURRENT_ENTRIES:
        user, item = users.get(demo_email(local_part)), items.get(code)
        if user is None or item is None or (user.member_state_id, item.pk) in taken:
            continue
        try:
            national_status_update(
                user=user,
                member_state=user.member_state,
                action_item=item,
                expected_version=0,
                status=status,
                progress=progress,
                narrative=narrative,
                challenges="",
                next_steps=next_step,
                responsible_agency=agency(user.member_state.code, area, timezone.localdate()),
            )
        except PermissionDenied:
            refused += 1
            continue
        taken.add((user.member_state_id, item.pk))
        written.add((user.member_state.code, code))
    links = 0
    for local_part, code, title in CURRENT_EVIDENCE:
        user = users.get(demo_email(local_part))
        if user is None or (user.member_state.code, code) not in written:
            continue
        url = f"https://{user.member_state.code.lower()}.{DEMO_EMAIL_DOMAIN}/documents/"
        evidence_add_link(
            user=user, item=items[code], title=title, url=url + slugify(f"{code} {title}") + ".pdf"
        )
        links += 1
    return len(written), links, refused


# --- Everything ---------------------------------------------------------------------------------


@dataclass
class DemoReport:
    """What a run created, for the command's summary."""

    password_set: bool
    accounts_created: list = field(default_factory=list)
    accounts_existing: int = 0
    history_plan: str = ""
    history_states: list = field(default_factory=list)
    skipped_states: list = field(default_factory=list)
    statuses: int = 0
    history_rows: int = 0
    evidence_links: int = 0
    current_plan: str = ""
    current_entries: int = 0
    current_links: int = 0
    current_refused: int = 0
    status_counts: Counter = field(default_factory=Counter)

    @property
    def wrote_anything(self):
        return bool(self.accounts_created or self.statuses or self.current_entries)

    def lines(self):
        if not self.wrote_anything:
            return [
                f"Nothing to do: the {self.accounts_existing} demo accounts and the demo history "
                "are already there; nothing was written."
            ]
        lines = [
            f"Demo accounts: {len(self.accounts_created)} created, "
            f"{self.accounts_existing} already there."
        ]
        if self.accounts_created and not self.password_set:
            lines.append(
                "  No DEMO_PASSWORD (DEBUG is off): the new accounts cannot log in until "
                "someone sets a password."
            )
        lines.append(
            f"{self.history_plan} demo history: {len(self.history_states)} states, "
            f"{self.statuses} statuses, {self.history_rows} history rows, "
            f"{self.evidence_links} evidence links."
        )
        if self.status_counts:
            counts = ", ".join(
                f"{status.label.lower()} {self.status_counts[status.value]}"
                for status in Status
                if self.status_counts[status.value]
            )
            lines.append(f"  Statuses: {counts}.")
        if self.skipped_states:
            names = ", ".join(state.name for state in self.skipped_states)
            lines.append(f"  Skipped (statuses already there, or no demo account): {names}.")
        if self.current_plan:
            lines.append(
                f"{self.current_plan}: {self.current_entries} current entries and "
                f"{self.current_links} evidence links through the write services."
            )
        if self.current_refused:
            lines.append(
                f"  {self.current_refused} entries left out: the write service refused them "
                "(the plan is not open to those states now)."
            )
        return lines


@transaction.atomic
def load_demo_data(*, password):
    """Create what is missing of the demo accounts and history; return a DemoReport."""
    states = MemberState.objects.in_bulk(field_name="code")
    history_plan = Plan.objects.filter(code=HISTORY_PLAN).first()
    if not states or history_plan is None:
        raise DemoDataError(
            "The reference data is not loaded: run `python manage.py load_reference_data` first."
        )
    report = DemoReport(password_set=password is not None)
    report.accounts_created, report.accounts_existing = demo_accounts_create(
        password=password, states=states
    )
    report.history_plan = history_plan.short_title
    (
        report.history_states,
        report.skipped_states,
        report.statuses,
        report.history_rows,
        report.evidence_links,
    ) = demo_history_create(history_plan)
    if report.statuses:
        report.status_counts = Counter(
            NationalStatus.objects.filter(
                action_item__plan=history_plan, member_state__in=report.history_states
            ).values_list("status", flat=True)
        )
    current = Plan.objects.current()
    if current is not None and current.code == CURRENT_PLAN:
        report.current_plan = current.short_title
        report.current_entries, report.current_links, report.current_refused = (
            demo_current_entries_create(current)
        )
    return report
