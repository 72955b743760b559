"""Pages of the review workflow: rounds, a state's report in a round, compliance, evidence review.

A state user's state comes from their account: another state named in the URL answers 404.
Reviewers and the secretariat see every state; observers see accepted submissions only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import policy
from actions.evidence import evidence_visible_to
from actions.models import Evidence, Plan
from countries.models import MemberState

from . import services
from .forms import (
    AcceptForm,
    CommentForm,
    EvidenceReviewForm,
    ReopenForm,
    ReportingRoundForm,
    ReturnForm,
    SubmitForm,
)
from .models import CountryReport, Notification, ReportingRound
from .pages import (
    check_page_context,
    compliance_context,
    coordinator_home_context,
    observer_home_context,
    report_page_context,
    secretariat_home_context,
)
from .queries import evidence_submitted_state, review_queue


def _round(round_id):
    return get_object_or_404(ReportingRound.objects.select_related("plan"), pk=round_id)


def _state(user, code, reporting_round):
    """The state a report page is about: a state user's own only; anyone else's by code."""
    if not (len(code) == 2 and code.isascii() and code.isalpha()):
        raise Http404("No such member state.")  # also keeps NUL bytes away from the database
    if policy.is_state_user(user):
        if code.upper() != user.member_state.code:
            raise Http404("No such report.")
        state = user.member_state
    else:
        state = get_object_or_404(MemberState, code=code.upper())
    if not state.reports_in(reporting_round.plan):
        raise Http404(f"{state} does not report on {reporting_round.plan}.")
    return state


def _report_url(reporting_round, state):
    return reverse("reviews:report_detail", args=[reporting_round.pk, state.code])


# --- Rounds --------------------------------------------------------------------------------------


@login_required
@require_safe
def round_list(request):
    rounds = list(ReportingRound.objects.for_listing())
    context = {
        "open_rounds": [r for r in rounds if r.is_open],
        "upcoming_rounds": [r for r in rounds if r.is_upcoming],
        "past_rounds": [r for r in rounds if r.is_past],
        "can_create": policy.may_manage_rounds(request.user),
    }
    return render(request, "reviews/reportinground_list.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def round_create(request):
    if not policy.may_manage_rounds(request.user):
        raise PermissionDenied("Only the secretariat creates reporting rounds.")
    form = ReportingRoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.round_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Round “{created.name}” of {created.plan} created.")
            return redirect("reviews:round_list")
    status = 400 if form.is_bound else 200
    return render(request, "reviews/reportinground_form.html", {"form": form}, status=status)


# --- A state's report -------------------------------------------------------------------------


@login_required
@require_safe
def report_detail(request, round_id, code):
    reporting_round = _round(round_id)
    state = _state(request.user, code, reporting_round)
    return _report_page(request, reporting_round, state)


def _report_page(request, reporting_round, state, *, bound=None, status=200):
    """The report page; `bound` holds a form the user sent back with errors, by its key.

    Reading it writes nothing: a report is started by the first POST that needs one.
    """
    report = CountryReport.objects.filter(round=reporting_round, member_state=state).first()
    context = report_page_context(
        request, reporting_round=reporting_round, state=state, report=report, bound=bound or {}
    )
    return render(request, "reviews/countryreport_detail.html", context, status=status)


def _transition(request, round_id, code, *, form_class, key, act, done):
    """A POST that moves the report: validate the form, call the service, go back to the page."""
    reporting_round = _round(round_id)
    state = _state(request.user, code, reporting_round)
    form = form_class(request.POST)
    if not form.is_valid():
        return _report_page(request, reporting_round, state, bound={key: form}, status=400)
    report = get_object_or_404(CountryReport, round=reporting_round, member_state=state)
    try:
        act(user=request.user, report=report, **form.cleaned_data)
    except services.TransitionRefused as refused:
        messages.error(request, str(refused))
    except ValidationError as error:
        form.add_error(None, error)
        return _report_page(request, reporting_round, state, bound={key: form}, status=400)
    else:
        messages.success(request, done)
    return redirect(_report_url(reporting_round, state))


def _move_view(*, form_class, key, act, done):
    """One of the POST views that move a report, each a `_transition` with its own form."""

    @login_required
    @require_POST
    def view(request, round_id, code):
        return _transition(
            request, round_id, code, form_class=form_class, key=key, act=act, done=done
        )

    view.__name__ = view.__qualname__ = f"report_{key}"
    return view


@login_required
@require_safe
def report_check(request, round_id, code):
    """What the report would be submitted with, gap by gap; the coordinator submits here."""
    reporting_round = _round(round_id)
    state = _state(request.user, code, reporting_round)
    if not policy.may_see_submission_check(request.user, state):
        raise PermissionDenied("The submission check is for the state's users and reviewers.")
    return _check_page(request, reporting_round, state)


def _check_page(request, reporting_round, state, *, form=None, status=200):
    context = check_page_context(request, reporting_round=reporting_round, state=state, form=form)
    return render(request, "reviews/countryreport_check.html", context, status=status)


@login_required
@require_POST
def report_submit(request, round_id, code):
    reporting_round = _round(round_id)
    state = _state(request.user, code, reporting_round)
    if not policy.may_submit(request.user, state):
        raise PermissionDenied("Only the state's national coordinator submits its report.")
    form = SubmitForm(request.POST)
    if form.is_valid():
        report = services.report_for(reporting_round=reporting_round, member_state=state)
        try:
            services.report_submit(user=request.user, report=report, **form.service_arguments())
        except services.SubmissionBlocked as blocked:
            form.add_error(None, str(blocked))
        except services.TransitionRefused as refused:
            messages.error(request, str(refused))
            return redirect(_report_url(reporting_round, state))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Report submitted. The reviewers have been told.")
            return redirect(_report_url(reporting_round, state))
    return _check_page(request, reporting_round, state, form=form, status=400)


report_return = _move_view(
    form_class=ReturnForm,
    key="return",
    act=services.report_return,
    done="Report returned to the member state with your comment.",
)
report_accept = _move_view(
    form_class=AcceptForm,
    key="accept",
    act=services.report_accept,
    done="Report accepted: the submission is locked.",
)
report_reopen = _move_view(
    form_class=ReopenForm,
    key="reopen",
    act=services.report_reopen,
    done="Report reopened: it is back with the member state.",
)


@login_required
@require_POST
def comment_add(request, round_id, code):
    reporting_round = _round(round_id)
    state = _state(request.user, code, reporting_round)
    if not policy.may_comment(request.user, state):
        raise PermissionDenied(
            "Reviewers, secretariat admins and the state's focal points and coordinators"
            " comment on its report."
        )
    form = CommentForm(request.POST, plan=reporting_round.plan)
    if form.is_valid():
        report = services.report_for(reporting_round=reporting_round, member_state=state)
        try:
            comment = services.comment_add(
                user=request.user,
                report=report,
                body=form.cleaned_data["body"],
                action_item=form.cleaned_data["item"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Comment added.")
            return redirect(f"{_report_url(reporting_round, state)}#comment-{comment.pk}")
    return _report_page(request, reporting_round, state, bound={"comment": form}, status=400)


@login_required
@require_safe
def my_report(request):
    """A state user's report in the open round of the current plan; others: compliance."""
    state = policy.editable_state(request.user)
    if state is None:
        return redirect("reviews:compliance")
    plan = Plan.objects.current()
    reporting_round = plan and ReportingRound.objects.open_for(plan)
    if reporting_round is None or not state.reports_in(plan):
        messages.info(request, "No reporting round is open now.")
        return redirect("reviews:round_list")
    url = _report_url(reporting_round, state)
    returned = CountryReport.objects.filter(
        round=reporting_round, member_state=state, state=CountryReport.State.RETURNED
    )
    # A returned report opens at what the reviewer asked.
    return redirect(f"{url}#asked" if returned.exists() else url)


# --- Compliance ----------------------------------------------------------------------------------


@login_required
@require_safe
def compliance(request, round_id=None):
    if round_id is not None:
        reporting_round = _round(round_id)
    else:
        plan = Plan.objects.current()
        reporting_round = plan and ReportingRound.objects.select_related("plan").open_for(plan)
    context = compliance_context(request.user, reporting_round)
    return render(request, "reviews/compliance.html", context)


# --- Evidence review -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def evidence_review(request, pk):
    if not policy.may_review(request.user):
        raise PermissionDenied("Only reviewers and the secretariat review evidence.")
    evidence = get_object_or_404(
        evidence_visible_to(request.user)
        .filter(withdrawn_at__isnull=True)
        .select_related(
            "national_status__member_state", "national_status__action_item", "reviewed_by"
        ),
        pk=pk,
    )
    status = evidence.national_status
    back = reverse(
        "national:state_status_detail", args=[status.member_state.code, status.action_item_id]
    )
    form = EvidenceReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_review(
                user=request.user, evidence_id=evidence.pk, **form.cleaned_data
            )
        except Evidence.DoesNotExist:
            messages.error(request, "That evidence has been withdrawn meanwhile.")
        else:
            messages.success(request, f"Review of “{evidence.title}” saved.")
        return redirect(f"{back}#evidence")
    context = {"form": form, "evidence": evidence, "status": status, "back": back}
    context |= evidence_submitted_state(evidence, status)
    return render(
        request, "reviews/evidence_review_form.html", context, status=400 if form.is_bound else 200
    )


# --- Notifications -------------------------------------------------------------------------------

NOTIFICATIONS_SHOWN = 50


@login_required
@require_safe
def notification_list(request):
    """The signed-in person's notifications, newest first (the latest 50)."""
    mine = Notification.objects.for_list(request.user)
    notifications = list(mine[: NOTIFICATIONS_SHOWN + 1])
    context = {
        "notifications": notifications[:NOTIFICATIONS_SHOWN],
        "more": len(notifications) > NOTIFICATIONS_SHOWN,
        "shown": NOTIFICATIONS_SHOWN,
    }
    return render(request, "reviews/notification_list.html", context)


@login_required
@require_POST
def notification_open(request, pk):
    """Mark one of the person's notifications read and go where it points."""
    notification = get_object_or_404(Notification.objects.filter(recipient=request.user), pk=pk)
    Notification.objects.filter(pk=notification.pk).unread().update(read_at=timezone.now())
    if not url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None):
        return redirect("reviews:notification_list")
    return redirect(notification.link)


@login_required
@require_POST
def notification_read_all(request):
    marked = (
        Notification.objects.filter(recipient=request.user).unread().update(read_at=timezone.now())
    )
    messages.success(request, f"{marked} notification{'s' if marked != 1 else ''} marked read.")
    return redirect("reviews:notification_list")


# --- Homes ---------------------------------------------------------------------------------------


@login_required
@require_safe
def home(request):
    """Each role's starting point after signing in, linked from the header as "My work"."""
    user = request.user
    if policy.may_manage_rounds(user):
        context = {"kind": "secretariat", "queue": review_queue(), **secretariat_home_context()}
    elif policy.may_review(user):
        context = {"kind": "reviewer", "queue": review_queue()}
    elif policy.may_submit(user, policy.editable_state(user)):
        context = {"kind": "coordinator", **coordinator_home_context(user)}
    elif policy.is_state_user(user):
        return redirect("national:workspace")  # what needs attention, as before
    else:
        context = {"kind": "observer", **observer_home_context()}  # the accepted data
    return render(request, "reviews/home.html", context)
