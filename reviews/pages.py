"""What the review pages show, gathered in a fixed number of queries for the views."""

from dataclasses import dataclass, field
from functools import lru_cache

from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.utils import dateformat, timezone, translation
from django.utils.html import format_html_join

from accounts import policy
from accounts.models import Invitation, User
from accounts.policy import scope_submitted
from actions.models import ActionItem, NationalStatus, Plan
from core.links import url_maker

from .forms import AcceptForm, CommentForm, ReopenForm, ReturnForm, SubmitForm
from .models import (
    CountryReport,
    ReportingRound,
    ReportTransition,
    Submission,
    SubmissionItem,
    today,
)
from .queries import (
    CHECK_FINDINGS,
    compliance_rows,
    compliance_summary,
    latest_accepted_submissions,
    open_round_with_report,
    submission_check,
    submitted_rows,
)

State = CountryReport.State
# Actions per page of a report: a plan of 1,500 actions is not one page of 2 MB (the PDF lists
# them all).
REPORT_ITEMS = 50


@dataclass
class Thread:
    """The comments on a report (item None) or on one of its items, oldest first."""

    item: ActionItem | None
    comments: list = field(default_factory=list)

    @property
    def anchor(self):
        return f"thread-item-{self.item.pk}" if self.item else "thread-report"

    @property
    def item_id(self):
        return self.item.pk if self.item else ""


def threads_of(comments):
    """Comments grouped into threads: the report's first, then by item order."""
    threads = {}
    for comment in comments:
        thread = threads.setdefault(comment.action_item_id, Thread(item=comment.action_item))
        thread.comments.append(comment)
    general = threads.pop(None, None)
    ordered = sorted(threads.values(), key=lambda t: (t.item.position, t.item.code))
    return ([general] if general else []) + ordered


def _chosen(submissions, wanted):
    """The submission asked for by its number (?submission=N), else the latest."""
    by_number = {str(s.number): s for s in submissions}
    return by_number.get(wanted) or (submissions[-1] if submissions else None)


def report_page_context(request, *, reporting_round, state, report, bound, paged=True):
    """The report page's context. Queries: the submissions, the shown snapshot (`paged`: its
    count per status and one page of REPORT_ITEMS actions; else every action, as the PDF lists
    them), and for everyone but observers the transitions and the comments; for reviewers the
    page's actions for a new comment."""
    user = request.user
    observer = policy.sees_accepted_data_only(user)
    submissions = []
    if report is not None:
        submissions = list(
            scope_submitted(Submission.objects.filter(report=report), user)
            .select_related("submitted_by")
            .order_by("number")
        )
    shown = _chosen(submissions, request.GET.get("submission", ""))
    snapshot, items_page, status_counts = [], None, []
    if shown is not None:
        items = (
            scope_submitted(SubmissionItem.objects.filter(submission=shown), user, "submission")
            # The action's provenance now: a provisional wording stays labelled as such.
            .annotate(provenance=F("action_item__provenance"))
            .order_by("focus_area_number", "position", "code")
        )
        if paged:
            counts = dict(items.values_list("status").annotate(n=Count("pk")).order_by())
            status_counts = [
                (value, label, counts[value])
                for value, label in NationalStatus.Status.choices
                if counts.get(value)
            ]
            paginator = Paginator(items, REPORT_ITEMS)
            paginator.count = sum(counts.values())  # known from the counts: no query of its own
            items_page = paginator.get_page(request.GET.get("page"))
            snapshot = list(items_page.object_list)
        else:
            snapshot = list(items)
    transitions, threads = [], []
    if report is not None and not observer:
        transitions = list(report.transitions.select_related("by", "submission"))
        threads = threads_of(report.comments.for_page())
    report_state = report.state if report else State.DRAFT
    reviewer = policy.may_review(user)
    round_open = reporting_round.is_open_on(today())
    can_submit = policy.may_submit(user, state) and report_state in (State.DRAFT, State.RETURNED)
    shown_counts = []
    if shown is not None and shown.check_counts:
        shown_counts = [(label, shown.check_counts.get(key, 0)) for key, label in CHECK_FINDINGS]
    new_comment_form = None
    if reviewer:
        # The select offers the actions listed on this page (the form takes any of the plan's).
        plan_items = ActionItem.objects.filter(
            plan=reporting_round.plan, pk__in=[item.action_item_id for item in snapshot]
        ).order_by("position", "code")
        new_comment_form = bound.get("comment") or CommentForm(
            plan=reporting_round.plan, items=list(plan_items.only("pk", "code", "title"))
        )
    comment_counts = {t.item.pk: len(t.comments) for t in threads if t.item}
    rows = submitted_rows(shown, snapshot, state, live=not observer)
    item_thread = {t.item.pk: t for t in threads if t.item}
    for row in rows:
        row.comment_count = comment_counts.get(row.item.action_item_id, 0)
        row.thread = item_thread.get(row.item.action_item_id)
    _link_rows(rows, state, reviewer=reviewer, state_user=policy.is_state_user_of(user, state))
    in_snapshot = {row.item.action_item_id for row in rows}
    returns = [t for t in transitions if t.to_state == State.RETURNED]
    asked = returns[-1] if returns and report_state == State.RETURNED else None
    return {
        "round": reporting_round,
        "state": state,
        "report": report,
        "report_state": report_state,
        "report_state_label": State(report_state).label,
        "observer": observer,
        "reviewer": reviewer,
        "state_user": policy.is_state_user_of(user, state),
        "submissions": submissions,
        "shown": shown,
        "rows": rows,
        "items_page": items_page,  # None: every action is in `rows`
        "status_counts": status_counts,  # [(status, label, count)] of the whole submission
        "item_count": items_page.paginator.count if items_page else len(rows),
        # (frozen row, comment count) pairs, as the PDF (reviews.documents) reads them.
        "snapshot": [(row.item, row.comment_count) for row in rows],
        "transitions": transitions,
        "threads": threads,
        # Item threads are shown at their action on this page of the snapshot; the rest here.
        "other_threads": [t for t in threads if not t.item or t.item.pk not in in_snapshot],
        "can_comment": policy.may_comment(user, state),
        "comment_errors": bound.get("comment"),
        "new_comment_form": new_comment_form,
        "round_open": round_open,
        "can_submit": can_submit and round_open,
        "submit_closed": can_submit and not round_open,
        "shown_counts": shown_counts,
        "asked": asked,
        "item_threads": [t for t in threads if t.item],
        "can_decide": reviewer and report_state == State.SUBMITTED,
        "return_form": bound.get("return") or ReturnForm(),
        "accept_form": bound.get("accept") or AcceptForm(),
        "can_reopen": reviewer and report_state == State.ACCEPTED,
        "reopen_form": bound.get("reopen") or ReopenForm(),
    }


@lru_cache(maxsize=1024)
def _day(day, language):
    """A day as {{ value|date:"j M Y" }} writes it (the month's name in `language`)."""
    return dateformat.format(day, "j M Y")


def _link_rows(rows, state, *, reviewer, state_user):
    """Each row's links, each route reversed once for the page: the action's status page
    (reviewers: the state's; the state's users: their own), and each evidence entry's download
    and review pages (the template shows those the user may follow), the evidence added since
    written as list items; and the row's last change as the date filters would write it, each
    day's name made once."""
    if not rows:
        return
    language = translation.get_language()
    for row in rows:
        if row.item.last_changed_at is not None:
            local = timezone.template_localtime(row.item.last_changed_at)
            row.changed_iso = local.isoformat()
            row.changed_day = _day(local.date(), language)
    item_url = None
    if reviewer:
        item_url = url_maker("national:state_status_detail", state.code)
    elif state_user:
        item_url = url_maker("national:status_detail")
    download_url = url_maker("national:evidence_download")
    review_url = url_maker("reviews:evidence_review")
    for row in rows:
        if item_url is not None:
            row.item_url = item_url(row.item.action_item_id)
        for evidence in row.evidence:
            if evidence.id:
                evidence.download_url = download_url(evidence.id)
                evidence.review_url = review_url(evidence.id)
        row.added_items = _added_items(row.added_since, review_url if reviewer else None)


ADDED = '<li><span class="badge live-change">Added since submission</span> {}'
REVIEW = ' · <a href="{}">Review<span class="visually-hidden"> {}</span></a>'


def _added_items(added_since, review_url):
    """The list items of the evidence added since the submission, each with its review link
    when `review_url` is given: written here, about 130 of them on a page of a decade of
    evidence, rather than by a template loop."""
    if review_url is None:
        return format_html_join("", ADDED + "</li>", ((added.title,) for added in added_since))
    return format_html_join(
        "",
        ADDED + REVIEW + "</li>",
        ((added.title, review_url(added.pk), added.title) for added in added_since),
    )


def check_page_context(request, *, reporting_round, state, form=None):
    """The submission check page: the report's state (1 query) and the check (2 queries)."""
    user = request.user
    report = CountryReport.objects.filter(round=reporting_round, member_state=state).first()
    report_state = report.state if report else State.DRAFT
    check = submission_check(reporting_round, state)
    may_submit = policy.may_submit(user, state) and report_state in (State.DRAFT, State.RETURNED)
    round_open = reporting_round.is_open_on(today())
    if form is None:
        form = SubmitForm(check=check)
    else:
        # Shown again after an error: with the counts as they are now, to be confirmed anew.
        form.data = form.data.copy()
        form.data["counts"] = SubmitForm.encode(check.counts)
        form.data.pop("confirm", None)
        form.fields["confirm"].label = SubmitForm(check=check).fields["confirm"].label
    return {
        "round": reporting_round,
        "state": state,
        "report": report,
        "report_state": report_state,
        "report_state_label": State(report_state).label,
        "check": check,
        "own": policy.is_state_user_of(user, state),
        "reviewer": policy.may_review(user),
        "can_submit": may_submit and round_open and not check.blocking,
        "submit_closed": may_submit and not round_open,
        "form": form,
    }


def compliance_context(user, reporting_round):
    """Every state's reporting in the round; a state user sees the regional counts and their
    own row only (other states' detail is not theirs to see)."""
    if reporting_round is None:
        return {"round": None, "rounds": list(ReportingRound.objects.for_listing()[:12])}
    rows = compliance_rows(reporting_round)
    summary = compliance_summary(rows)
    own_only = policy.is_state_user(user)
    if own_only:
        rows = [row for row in rows if row.state.pk == user.member_state_id]
    return {"round": reporting_round, "rows": rows, "summary": summary, "own_only": own_only}


# --- Homes ---------------------------------------------------------------------------------------

INVITATIONS_ON_HOME = 10
ROUNDS_ON_HOME = 6


def coordinator_home_context(user):
    """This round's status, its completeness check and what the reviewer asked: 1 query for
    the plan, 1 for the open round with the report's state, and with a round open 2 for the
    check and 1 for the latest return."""
    state = policy.editable_state(user)
    plan = Plan.objects.current()
    open_round = open_round_with_report(plan, state)
    context = {"state": state, "plan": plan, "open_round": open_round}
    if open_round is not None:
        context["check"] = submission_check(open_round.round, state)
        if open_round.report_state == State.RETURNED:
            context["asked"] = (
                ReportTransition.objects.filter(
                    report__round=open_round.round,
                    report__member_state=state,
                    to_state=State.RETURNED,
                )
                .select_related("by")
                .order_by("-at")
                .first()
            )
    return context


def secretariat_home_context():
    """Rounds, compliance of the current plan's open round, pending invitations and accounts:
    a fixed number of queries (see the home page's test)."""
    plan = Plan.objects.current()
    open_round = plan and ReportingRound.objects.select_related("plan").open_for(plan)
    compliance = compliance_summary(compliance_rows(open_round)) if open_round else None
    pending = Invitation.objects.usable()
    accounts = User.objects.aggregate(
        active=Count("pk", filter=Q(is_active=True)),
        inactive=Count("pk", filter=Q(is_active=False)),
    )
    return {
        "rounds": list(ReportingRound.objects.for_listing()[:ROUNDS_ON_HOME]),
        "open_round": open_round,
        "compliance": compliance,
        "invitations": list(
            pending.select_related("member_state").order_by("expires_at")[:INVITATIONS_ON_HOME]
        ),
        "invitation_count": pending.count(),
        "accounts": accounts,
    }


def observer_home_context():
    """Each state's latest accepted report of the current plan and the one before: 1 query for
    the plans, 1 per plan (two at most)."""
    plans = [p for p in Plan.objects.for_listing().order_by("-start_year")[:2]]
    accepted = []
    for plan in plans:
        latest = latest_accepted_submissions(plan)
        rows = sorted(latest.values(), key=lambda s: s.report.member_state.name)
        accepted.append((plan, rows))
    return {"accepted": accepted}
