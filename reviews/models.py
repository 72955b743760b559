"""Reporting rounds, country reports and their review: the models.

A country report moves draft → submitted → returned → submitted … → accepted (and, reopened,
back to returned). Every move is a ReportTransition; every submission freezes a snapshot of
the state's statuses (SubmissionItem rows), which nothing changes afterwards.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.models import AppendOnlyModel, AppendOnlyQuerySet
from core.validators import COMMENT_MAX_LENGTH, length_check, text_validators

# Rounds are dated within these bounds: a typo such as 0001 or 9999 is refused.
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
PLAUSIBLE = [
    MinValueValidator(EARLIEST_DATE, f"Give a date from {EARLIEST_DATE:%d %B %Y} on."),
    MaxValueValidator(LATEST_DATE, f"Give a date up to {LATEST_DATE:%d %B %Y}."),
]


def today():
    """The day rounds open and close by: the secretariat's zone, whatever the user's zone."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def local_day(moment):
    """The calendar day of `moment` in the zone rounds are dated in (see `today`)."""
    if moment is None:
        return None
    return timezone.localdate(moment, timezone=timezone.get_default_timezone())


class ReportingRoundQuerySet(models.QuerySet):
    def open_on(self, day):
        """Rounds accepting reports on `day` (from opening to closing, both included)."""
        return self.filter(opens_on__lte=day, closes_on__gte=day)

    def open_for(self, plan):
        """The round of `plan` open today, or None."""
        return self.filter(plan=plan).open_on(today()).order_by("-opens_on").first()

    def past(self):
        """Rounds that closed before today, latest first."""
        return self.filter(closes_on__lt=today()).order_by("-closes_on")

    def upcoming(self):
        return self.filter(opens_on__gt=today()).order_by("opens_on")

    def for_listing(self):
        return self.select_related("plan", "created_by").order_by("-opens_on", "name")


class ReportingRound(models.Model):
    """A plan's period for collecting updates from every member state, e.g. "2026 annual"."""

    plan = models.ForeignKey(
        "actions.Plan", on_delete=models.PROTECT, related_name="reporting_rounds"
    )
    name = models.CharField(
        max_length=100, help_text='For example "2026 annual".', validators=text_validators()
    )
    opens_on = models.DateField("opens on", validators=PLAUSIBLE)
    due_on = models.DateField(
        "due on", validators=PLAUSIBLE, help_text="Reports submitted after this day are late."
    )
    closes_on = models.DateField(
        "closes on",
        validators=PLAUSIBLE,
        help_text="The last day on which a report can be submitted.",
    )
    # Which findings of the submission check stop a report from being submitted in this
    # round; the others are shown, and the coordinator confirms them.
    block_never_updated = models.BooleanField(
        "never-updated actions block submission",
        default=False,
        help_text="A report cannot be submitted while an action was never updated.",
    )
    block_missing_narrative = models.BooleanField(
        "missing narratives block submission",
        default=False,
        help_text="A report cannot be submitted while a status that needs a narrative has none.",
    )
    block_missing_evidence = models.BooleanField(
        "missing evidence blocks submission",
        default=False,
        help_text=(
            "A report cannot be submitted while an action in progress or completed has no evidence."
        ),
    )
    block_unanswered_evidence = models.BooleanField(
        "unanswered evidence requests block submission",
        default=False,
        help_text=(
            "A report cannot be submitted while evidence a reviewer marked “needs more” "
            "has not been answered."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ReportingRoundQuerySet.as_manager()

    BLOCKING_FIELDS = (
        "block_never_updated",
        "block_missing_narrative",
        "block_missing_evidence",
        "block_unanswered_evidence",
    )

    class Meta:
        ordering = ["-opens_on", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "name"],
                name="round_name_per_plan",
                violation_error_message="This plan already has a round of that name.",
            ),
            models.CheckConstraint(
                condition=Q(opens_on__lte=F("due_on"), due_on__lte=F("closes_on")),
                name="round_opens_before_due_before_close",
                violation_error_message=(
                    "A round opens, falls due and closes in that order: the due date cannot "
                    "be before the opening date, nor the closing date before the due date."
                ),
            ),
            models.CheckConstraint(
                condition=Q(opens_on__gte=EARLIEST_DATE, closes_on__lte=LATEST_DATE),
                name="round_dates_plausible",
                violation_error_message=(
                    f"Give dates between {EARLIEST_DATE:%d %B %Y} and {LATEST_DATE:%d %B %Y}."
                ),
            ),
        ]
        indexes = [
            # open_for(plan): a plan's rounds by their dates.
            models.Index(fields=["plan", "opens_on", "closes_on"], name="round_plan_dates_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.plan})" if self.plan_id else self.name

    def is_open_on(self, day):
        return self.opens_on <= day <= self.closes_on

    @property
    def is_open(self):
        return self.is_open_on(today())

    @property
    def is_past(self):
        return self.closes_on < today()

    @property
    def is_upcoming(self):
        return self.opens_on > today()

    @property
    def days_until_due(self):
        """Days from today to the due day (negative once it has passed)."""
        return (self.due_on - today()).days

    @property
    def days_until_close(self):
        return (self.closes_on - today()).days

    def clean(self):
        if self.plan_id and self.opens_on:
            plan = self.plan
            # A plan's last round may be held in the year after it ends (its final report).
            if not plan.start_year <= self.opens_on.year <= plan.end_year + 1:
                raise ValidationError(
                    {
                        "opens_on": f"A round of {plan} opens between {plan.start_year} and "
                        f"{plan.end_year + 1}."
                    }
                )
            if self.closes_on:
                overlapping = ReportingRound.objects.filter(
                    plan=plan, opens_on__lte=self.closes_on, closes_on__gte=self.opens_on
                ).exclude(pk=self.pk)
                other = overlapping.order_by("opens_on").first()
                if other is not None:
                    raise ValidationError(
                        f"These dates overlap the round “{other.name}” "
                        f"({other.opens_on:%d %b %Y} – {other.closes_on:%d %b %Y}): "
                        "only one round of a plan can be open at a time."
                    )


class CountryReport(models.Model):
    """One member state's report in one round."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        RETURNED = "returned", "Returned"
        ACCEPTED = "accepted", "Accepted"

    round = models.ForeignKey(ReportingRound, on_delete=models.PROTECT, related_name="reports")
    member_state = models.ForeignKey(
        "countries.MemberState", on_delete=models.PROTECT, related_name="country_reports"
    )
    state = models.CharField(max_length=10, choices=State, default=State.DRAFT)
    # The submission a reviewer accepted, while the report stays accepted (reopening clears it).
    accepted_submission = models.OneToOneField(
        "Submission", null=True, blank=True, on_delete=models.PROTECT, related_name="accepted_for"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round", "member_state__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "member_state"], name="country_report_one_per_round_state"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "submitted", "returned", "accepted"]),
                name="country_report_state_known",
            ),
            models.CheckConstraint(
                condition=(
                    Q(state="accepted", accepted_submission__isnull=False)
                    | (~Q(state="accepted") & Q(accepted_submission__isnull=True))
                ),
                name="country_report_accepted_has_submission",
            ),
        ]

    def __str__(self):
        return f"{self.member_state} · {self.round}"

    @property
    def is_locked(self):
        return self.state == self.State.ACCEPTED


class ReportTransition(AppendOnlyModel):
    """An append-only record of one move of a country report: who, when, why."""

    report = models.ForeignKey(CountryReport, on_delete=models.PROTECT, related_name="transitions")
    from_state = models.CharField(max_length=10, choices=CountryReport.State)
    to_state = models.CharField(max_length=10, choices=CountryReport.State)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    # The cover note of a submission, the comment of a return, the reason of a reopening.
    reason = models.TextField(blank=True, validators=text_validators(COMMENT_MAX_LENGTH))
    submission = models.ForeignKey(
        "Submission", null=True, blank=True, on_delete=models.PROTECT, related_name="transitions"
    )

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            length_check("reason", COMMENT_MAX_LENGTH, "report_transition_reason_length"),
        ]

    def __str__(self):
        return f"{self.report}: {self.from_state} → {self.to_state}"


class SubmissionQuerySet(AppendOnlyQuerySet):
    """Submissions are frozen: only their acceptance time is ever set, once."""

    def mark_accepted(self, at):
        """Set the acceptance time of those not yet accepted; returns how many changed."""
        # The one write append-only rows allow, past AppendOnlyQuerySet's refusal.
        return models.QuerySet.update(self.filter(accepted_at__isnull=True), accepted_at=at)

    def accepted(self):
        """Submissions whose report is accepted on them now (what observers may see)."""
        return self.filter(accepted_for__isnull=False)


class Submission(AppendOnlyModel):
    """One submission of a country report, with the snapshot of what was submitted."""

    report = models.ForeignKey(CountryReport, on_delete=models.PROTECT, related_name="submissions")
    number = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()
    cover_note = models.TextField(blank=True, validators=text_validators(COMMENT_MAX_LENGTH))
    # What the submission check found, as the coordinator confirmed it: {finding: count}.
    check_counts = models.JSONField(default=dict, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="submission_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="submission_number_positive"),
            length_check("cover_note", COMMENT_MAX_LENGTH, "submission_cover_note_length"),
        ]
        indexes = [
            # Compliance: each report's first and latest submission times.
            models.Index(fields=["report", "submitted_at"], name="submission_report_at_idx"),
        ]

    def __str__(self):
        return f"{self.report} #{self.number}"


class ChangeCount(models.Model):
    """How many actions changed between a state's accepted submission and the one it accepted
    before it (in round order), per focus area of the plan; `focus_area_number` None: in all.

    Kept when a report is accepted or reopened (reviews.queries.keep_change_counts), so the
    dashboard's change since the previous round reads a few rows instead of comparing every
    action of both submissions. A row is only used for the pair it names.
    """

    submission = models.ForeignKey("Submission", on_delete=models.CASCADE, related_name="+")
    previous = models.ForeignKey("Submission", on_delete=models.CASCADE, related_name="+")
    focus_area_number = models.PositiveSmallIntegerField(null=True, blank=True)
    count = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.previous_id} → {self.submission_id}: {self.count}"


class SubmissionItem(AppendOnlyModel):
    """One action item of a submission, as the state's status stood when it was submitted."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="items")
    action_item = models.ForeignKey(
        "actions.ActionItem", on_delete=models.PROTECT, related_name="+"
    )
    # The item's number and title then: reference data may be reworded later.
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    focus_area_number = models.PositiveSmallIntegerField()
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20)
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    narrative = models.TextField(blank=True)
    challenges = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    responsible_agency = models.CharField(max_length=300, blank=True)
    # The status's version then (0: never updated), its last change and who made it.
    status_version = models.PositiveIntegerField(default=0)
    last_changed_at = models.DateTimeField(null=True, blank=True)
    last_changed_by = models.CharField(max_length=254, blank=True)
    # The evidence current then: [{"id", "title", "kind", "url", "file" (its name), "stored"
    # (the stored file), "content_type", "size", "added_at", "review", "review_comment"}, ...]
    # (submissions made before ids were kept have only title, kind, url, file and review).
    evidence = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["submission", "focus_area_number", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "action_item"], name="submission_item_one_per_action"
            ),
        ]

    def __str__(self):
        return f"{self.submission} · {self.code}"

    @property
    def status_label(self):
        from actions.models import NationalStatus

        return NationalStatus.display_value("status", self.status)

    @property
    def was_updated(self):
        return self.status_version > 0


class CommentQuerySet(models.QuerySet):
    def for_page(self):
        return self.select_related("author", "action_item").order_by("created_at", "id")


class Comment(models.Model):
    """A message between a member state and the reviewers, on a report or one of its items."""

    report = models.ForeignKey(CountryReport, on_delete=models.PROTECT, related_name="comments")
    action_item = models.ForeignKey(
        "actions.ActionItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_comments",
        help_text="Empty: a comment on the whole report.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(validators=text_validators(COMMENT_MAX_LENGTH))
    created_at = models.DateTimeField(default=timezone.now)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [length_check("body", COMMENT_MAX_LENGTH, "comment_body_length")]
        indexes = [
            # A thread (a report's, or one item's) in order; and a report's last activity.
            models.Index(fields=["report", "action_item", "created_at"], name="comment_thread_idx"),
        ]

    def __str__(self):
        return f"Comment by {self.author} on {self.report}"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)

    def for_list(self, user):
        """A person's notifications, newest first."""
        return self.filter(recipient=user).order_by("-created_at", "-id")


class Notification(models.Model):
    """An in-app copy of one e-mail about a report: the same event, to the same person.

    Created where the e-mail is queued, in the same transaction, so nobody depends on e-mail
    alone; at most one per (event, recipient), however often the job runs.
    """

    event = models.CharField(max_length=200, help_text='e.g. "transition:12" or "comment:7".')
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=300)
    # A path on this site (the report, at the comment or at what the reviewer asked).
    link = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient"], name="notification_once_per_recipient"
            ),
        ]
        indexes = [
            # The header's unread count and the list: a person's notifications, newest first.
            models.Index(
                fields=["recipient", "read_at", "created_at"], name="notification_inbox_idx"
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.recipient_id}"
