"""Progress summaries, and the e-mails made from them: digests and reminders."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.policy import scope_national, sees_accepted_data_only

# Of a summary's figures, those an observer sees whatever data they come from.
SHARED_FIGURES = ("version", "as_of", "period", "stale_after_days")
# An observer's figures of a summary made before any report was accepted.
NO_ACCEPTED_FIGURES = {
    "states": 0,
    "pairs": 0,
    "status_counts": {},
    "applicable": 0,
    "completed": 0,
    "completed_share": None,
    "average_progress": None,
    "never_updated": 0,
    "stale": 0,
    "focus_areas": [],
    "change": None,
    "overdue": None,
    "stale_items": [],
    "overdue_items": [],
    "compliance": None,
}


class ProgressSummaryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Region summaries for every signed-in user; a state's for those who may see the state.

        Observers see region summaries only, and in them only the figures from accepted
        reports (`figures_for`): a state's summary is built from its live data.
        """
        if not (user.is_authenticated and user.is_active):
            return self.none()
        states = scope_national(self.filter(member_state__isnull=False), user)
        return self.filter(member_state__isnull=True) | states

    def of_scope(self, plan, member_state):
        """The summaries of one plan for the region (member_state None) or one state."""
        return self.filter(plan=plan, member_state=member_state)

    def trend_until(self, summary, periods):
        """The last `periods` summaries of `summary`'s scope up to it, oldest first."""
        latest = (
            self.of_scope(summary.plan, summary.member_state)
            .filter(period_start__lte=summary.period_start)
            .order_by("-period_start")[:periods]
        )
        return list(latest)[::-1]

    def states_beside(self, summary):
        """The member states' summaries of a regional `summary`'s plan and period, by name."""
        if not summary.is_regional:
            return self.none()
        return (
            self.filter(plan=summary.plan, period_start=summary.period_start)
            .exclude(member_state__isnull=True)
            .select_related("member_state")
            .order_by("member_state__name")
        )

    def for_listing(self):
        return self.select_related("plan", "member_state").order_by(
            "-period_start", "plan__start_year", "member_state__name"
        )


class ProgressSummary(models.Model):
    """A dated snapshot of one plan's progress in the region or in one member state.

    Exactly one per (period, scope, plan). While its period runs the summary is provisional
    and refreshed as statuses change; the first job run after the period ends computes it a
    last time and makes it final, and nothing changes it after that.
    """

    plan = models.ForeignKey(
        "actions.Plan", on_delete=models.PROTECT, related_name="progress_summaries"
    )
    # None: the whole region (every state that reports on the plan).
    member_state = models.ForeignKey(
        "countries.MemberState",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="progress_summaries",
    )
    period_start = models.DateField()
    period_end = models.DateField()
    # See summaries.summaries.summary_figures for the keys.
    figures = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    computed_at = models.DateTimeField(default=timezone.now)
    final = models.BooleanField(default=False)

    objects = ProgressSummaryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "progress summaries"
        ordering = ["-period_start", "member_state__name"]
        constraints = [
            # Also the index of a state's trend: its summaries of a plan by period.
            models.UniqueConstraint(
                fields=["plan", "member_state", "period_start"],
                condition=Q(member_state__isnull=False),
                name="summary_one_per_state_period",
            ),
            # NULLs are distinct in a plain unique constraint: the region needs its own.
            # Also the index of the region's trend.
            models.UniqueConstraint(
                fields=["plan", "period_start"],
                condition=Q(member_state__isnull=True),
                name="summary_one_per_region_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="summary_period_ends_after_start",
            ),
        ]
        indexes = [
            # The list page and digests: the summaries of a period.
            models.Index(fields=["period_start"], name="summary_period_idx"),
        ]

    def __str__(self):
        return f"{self.plan} · {self.scope_name} · {self.period_label}"

    @property
    def is_regional(self):
        return self.member_state_id is None

    @property
    def scope_name(self):
        return "ASEAN region" if self.is_regional else str(self.member_state)

    def figures_for(self, user):
        """The figures `user` may see.

        Observers see figures from accepted reports only, here as on the dashboards: the
        region's accepted figures, without what only live data tells (items not updated,
        overdue, the open round).
        """
        if not sees_accepted_data_only(user):
            return self.figures
        shown = {key: self.figures[key] for key in SHARED_FIGURES if key in self.figures}
        return {
            **shown,
            **NO_ACCEPTED_FIGURES,
            **self.figures.get("accepted", {}),
            "accepted_only": True,
        }

    @property
    def is_monthly(self):
        return (self.period_end - self.period_start).days > 6

    @property
    def period_label(self):
        if self.is_monthly:
            return f"{self.period_start:%B %Y}"
        year, week, _ = self.period_start.isocalendar()
        return f"Week {week} of {year} ({self.period_start:%d %b} – {self.period_end:%d %b %Y})"

    @property
    def short_period_label(self):
        """For chart axes: 2026-W05, or 2026-02 for a month."""
        if self.is_monthly:
            return f"{self.period_start:%Y-%m}"
        year, week, _ = self.period_start.isocalendar()
        return f"{year}-W{week:02d}"


class DigestKind(models.TextChoices):
    REGION = "region", "The ASEAN region's progress summary"
    STATE = "state", "My member state's progress summary"


class DigestPreference(models.Model):
    """A user's choice about one kind of digest; without a row, the role's default applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_preferences"
    )
    kind = models.CharField(max_length=10, choices=DigestKind)
    enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="digest_preference_one_per_kind"),
        ]

    def __str__(self):
        return f"{self.user}: {self.kind} {'on' if self.enabled else 'off'}"
