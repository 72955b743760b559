import datetime
import functools
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Count, F, FilteredRelation, Q, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from core.models import AppendOnlyModel
from core.validators import (
    COMMENT_MAX_LENGTH,
    LONG_TEXT_MAX_LENGTH,
    is_whole_number,
    length_check,
    text_validators,
)


class Provenance(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    PROVISIONAL = "provisional", "Provisional"


class Body(models.Model):
    """An ASEAN body or partner that leads or supports actions."""

    class Kind(models.TextChoices):
        ASEAN = "asean", "ASEAN body"
        PARTNER = "partner", "Partner"

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.ASEAN)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "bodies"

    def __str__(self):
        return self.code


class PlanQuerySet(models.QuerySet):
    def with_counts(self):
        return self.annotate(
            focus_area_count=models.Count("focus_areas", distinct=True),
            action_item_count=models.Count("action_items", distinct=True),
            provisional_item_count=models.Count(
                "action_items",
                filter=Q(action_items__provenance=Provenance.PROVISIONAL),
                distinct=True,
            ),
        )

    def in_force(self):
        return self.filter(status=Plan.Status.IN_FORCE)

    def current(self):
        """The plan states report on now: the one in force, else the newest draft; or None."""
        return (
            self.filter(status__in=[Plan.Status.IN_FORCE, Plan.Status.DRAFT])
            .order_by(
                Case(When(status=Plan.Status.IN_FORCE, then=Value(0)), default=Value(1)),
                "-start_year",
            )
            .first()
        )

    def for_listing(self):
        """Plans with their counts and neighbours, oldest first, in one query."""
        return self.with_counts().select_related("predecessor", "successor").order_by("start_year")

    def for_detail(self):
        """A plan page: counts, neighbours, focus areas, items and lead bodies."""
        items = ActionItem.objects.order_by("position", "code").prefetch_related("lead_bodies")
        focus_areas = FocusArea.objects.order_by("number").prefetch_related(
            models.Prefetch("action_items", queryset=items)
        )
        return self.for_listing().prefetch_related(
            models.Prefetch("focus_areas", queryset=focus_areas)
        )

    def with_reporting_by(self, member_state):
        """Mark each plan with whether `member_state` reports on it (see reporting_in)."""
        return self.annotate(
            reported_by_state=models.ExpressionWrapper(
                Q(end_year__gte=member_state.reports_from.year),
                output_field=models.BooleanField(),
            )
        )


class Plan(models.Model):
    """A regional plan of action, e.g. RPA 2021–2025."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_FORCE = "in_force", "In force"
        CLOSED = "closed", "Closed"

    code = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=300)
    short_title = models.CharField(max_length=60, unique=True)
    start_year = models.PositiveSmallIntegerField()
    end_year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    predecessor = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="successor"
    )
    description = models.TextField(blank=True)
    provenance = models.CharField(max_length=12, choices=Provenance, default=Provenance.CONFIRMED)
    source_note = models.TextField(blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["start_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_year__gte=2000, start_year__lte=2100),
                name="plan_start_year_plausible",
            ),
            models.CheckConstraint(
                condition=Q(end_year__gte=F("start_year"), end_year__lte=2100),
                name="plan_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=F("id")), name="plan_not_its_own_predecessor"
            ),
        ]

    def __str__(self):
        return self.short_title

    @property
    def last_day(self):
        return datetime.date(self.end_year, 12, 31)

    @property
    def period(self):
        return f"{self.start_year}–{self.end_year}"

    @property
    def is_closed(self):
        return self.status == self.Status.CLOSED

    def open_for_updates(self):
        """Whether states update their statuses on this plan now: it is the current plan."""
        if self.is_closed:
            return False
        current = Plan.objects.current()
        return current is not None and current.pk == self.pk


class FocusArea(models.Model):
    """A numbered part of one plan."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="focus_areas")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    provenance = models.CharField(max_length=12, choices=Provenance)
    source_note = models.TextField(blank=True)

    class Meta:
        ordering = ["plan__start_year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="focus_area_number_per_plan"),
            models.CheckConstraint(condition=Q(number__gte=1), name="focus_area_number_positive"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"

    @property
    def is_provisional(self):
        return self.provenance == Provenance.PROVISIONAL


class ActionItemQuerySet(models.QuerySet):
    def for_listing(self):
        """Everything a list of items shows, in a fixed number of queries."""
        return self.select_related("focus_area", "plan").prefetch_related(
            "lead_bodies", "supporting_bodies"
        )

    def with_national_status(self, member_state):
        """Annotate each item with `member_state`'s status, in the same query.

        Items the state never updated have no row: they read as not started, 0 %, with
        `updated_at` None.
        """
        row = "state_status"
        return self.annotate(
            state_status=FilteredRelation(
                "national_statuses", condition=Q(national_statuses__member_state=member_state)
            ),
            status_id=F(f"{row}__id"),
            status=Coalesce(F(f"{row}__status"), Value(NationalStatus.Status.NOT_STARTED)),
            progress=Case(
                When(**{f"{row}__id__isnull": True}, then=Value(0)),
                default=F(f"{row}__progress"),
                output_field=models.PositiveSmallIntegerField(),
            ),
            status_version=Coalesce(F(f"{row}__version"), Value(0)),
            updated_at=F(f"{row}__updated_at"),
            updated_by_name=F(f"{row}__updated_by__name"),
            updated_by_email=F(f"{row}__updated_by__email"),
        )

    def needing_attention(self):
        """Of items annotated by `with_national_status`: never updated, stale or not started."""
        return self.filter(NationalStatus.attention_condition())

    def attention_counts(self):
        """How many items need attention, and why, in one query (needs `with_national_status`)."""
        stale_before = NationalStatus.stale_before()
        never = Q(updated_at__isnull=True)
        stale = Q(updated_at__lt=stale_before)
        not_started = Q(updated_at__gte=stale_before, status=NationalStatus.Status.NOT_STARTED)
        return self.aggregate(
            total=Count("pk"),
            never_updated=Count("pk", filter=never),
            stale=Count("pk", filter=stale),
            not_started=Count("pk", filter=not_started),
            attention=Count("pk", filter=never | stale | not_started),
        )

    def for_detail(self):
        """An item page: its plan and neighbours, bodies and continuity links both ways."""
        related = self.for_listing().select_related("plan__predecessor", "plan__successor")
        return related.prefetch_related(
            models.Prefetch(
                "predecessor_links",
                queryset=ContinuityLink.objects.select_related("from_item__plan"),
            ),
            models.Prefetch(
                "successor_links",
                queryset=ContinuityLink.objects.select_related("to_item__plan"),
            ),
        )


class ActionItem(models.Model):
    """A numbered action of a plan, e.g. 1.2 of RPA 2021–2025."""

    class Level(models.TextChoices):
        NATIONAL = "national", "National"
        REGIONAL = "regional", "Regional"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="action_items")
    focus_area = models.ForeignKey(FocusArea, on_delete=models.PROTECT, related_name="action_items")
    code = models.CharField(max_length=20, help_text="Number within the plan, e.g. 1.2")
    position = models.PositiveIntegerField(default=0, help_text="Order within the plan.")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    level = models.CharField(max_length=10, choices=Level, default=Level.NATIONAL)
    lead_bodies = models.ManyToManyField(Body, blank=True, related_name="leads")
    supporting_bodies = models.ManyToManyField(Body, blank=True, related_name="supports")
    start_year = models.PositiveSmallIntegerField(null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(null=True, blank=True)
    indicator = models.TextField(blank=True)
    target = models.TextField(blank=True)
    provenance = models.CharField(max_length=12, choices=Provenance)
    source_note = models.TextField(blank=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["plan__start_year", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="action_item_code_per_plan"),
            models.CheckConstraint(
                condition=(
                    Q(start_year__isnull=True, end_year__isnull=True)
                    | Q(
                        start_year__isnull=False,
                        end_year__isnull=False,
                        start_year__gte=2000,
                        end_year__gte=F("start_year"),
                        end_year__lte=2100,
                    )
                ),
                name="action_item_valid_timeframe",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_loaded_focus_area_id", None)
        super().save(*args, **kwargs)
        if loaded is not None and loaded != self.focus_area_id:
            # The action's changes now count in its new focus area.
            MonthlyActivity.objects.rebuild(focus_areas=[loaded, self.focus_area_id])
        self._loaded_focus_area_id = self.focus_area_id

    @classmethod
    def from_db(cls, db, field_names, values):
        item = super().from_db(db, field_names, values)
        item._loaded_focus_area_id = item.__dict__.get("focus_area_id")
        return item

    @property
    def is_provisional(self):
        return self.provenance == Provenance.PROVISIONAL

    @property
    def timeframe(self):
        if self.start_year is None:
            return ""
        if self.start_year == self.end_year:
            return str(self.start_year)
        return f"{self.start_year}–{self.end_year}"

    def clean(self):
        if self.focus_area_id and self.plan_id and self.focus_area.plan_id != self.plan_id:
            raise ValidationError({"focus_area": "The focus area belongs to another plan."})
        if (self.start_year is None) != (self.end_year is None):
            raise ValidationError("Give both the start and the end year, or neither.")
        if (
            self.start_year
            and self.plan_id
            and not (
                self.plan.start_year <= self.start_year and self.end_year <= self.plan.end_year
            )
        ):
            raise ValidationError("The timeframe must lie within the plan's period.")


class ContinuityLink(models.Model):
    """How an action of one plan continues in the next."""

    class Kind(models.TextChoices):
        CONTINUED = "continued", "Continued"
        MERGED = "merged", "Merged into"
        SPLIT = "split", "Split into"
        DROPPED = "dropped", "Dropped"
        NEW = "new", "New"

    from_item = models.ForeignKey(
        ActionItem, null=True, blank=True, on_delete=models.CASCADE, related_name="successor_links"
    )
    to_item = models.ForeignKey(
        ActionItem,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="predecessor_links",
    )
    kind = models.CharField(max_length=10, choices=Kind)
    note = models.TextField(blank=True)
    provenance = models.CharField(max_length=12, choices=Provenance)

    class Meta:
        ordering = ["from_item__code", "to_item__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_item", "to_item"], name="continuity_one_per_pair"
            ),
            # A dropped item has one "dropped" link; a new item has one "new" link.
            models.UniqueConstraint(
                fields=["from_item"],
                condition=Q(to_item__isnull=True),
                name="continuity_one_drop_per_item",
            ),
            models.UniqueConstraint(
                fields=["to_item"],
                condition=Q(from_item__isnull=True),
                name="continuity_one_new_per_item",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="new", from_item__isnull=True, to_item__isnull=False)
                    | Q(kind="dropped", from_item__isnull=False, to_item__isnull=True)
                    | (
                        Q(kind__in=["continued", "merged", "split"])
                        & Q(from_item__isnull=False, to_item__isnull=False)
                    )
                ),
                name="continuity_kind_matches_ends",
            ),
            models.CheckConstraint(
                condition=~Q(from_item=F("to_item")), name="continuity_not_to_itself"
            ),
        ]

    def __str__(self):
        return f"{self.from_item or '—'} → {self.get_kind_display()} → {self.to_item or '—'}"

    def clean(self):
        if (
            self.from_item_id
            and self.to_item_id
            and self.to_item.plan.predecessor_id != self.from_item.plan_id
        ):
            raise ValidationError("A link joins an item to one of the next plan.")


class WholePercentField(models.PositiveSmallIntegerField):
    """A whole per cent. Unlike Django's integer fields it never rounds: 55.7, NaN, 1e3,
    "fifty" or True are refused, not stored as 55, 1000 or 1 (digits as text, as a fixture
    or the admin may give them, are read as the number)."""

    # Only None means "no figure": "" or [] are checked (and refused), not skipped.
    empty_values = [None]

    def to_python(self, value):
        if value is None or is_whole_number(value):
            return value
        if isinstance(value, str) and value.strip().isdecimal() and value.strip().isascii():
            return int(value)
        raise ValidationError(
            self.error_messages["invalid"], code="invalid", params={"value": value}
        )


class NationalStatusQuerySet(models.QuerySet):
    def for_page(self):
        """What a status page shows about the row itself."""
        return self.select_related("updated_by")

    def get_for(self, member_state, action_item):
        """The state's row for the item, or None, with both attached so nothing reloads them."""
        row = self.filter(member_state=member_state, action_item=action_item).order_by("pk").first()
        if row is not None:
            row.member_state, row.action_item = member_state, action_item
        return row


class NationalStatus(models.Model):
    """One member state's implementation of one action item."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        ONGOING = "ongoing", "Ongoing (continuous measure)"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    member_state = models.ForeignKey(
        "countries.MemberState", on_delete=models.PROTECT, related_name="national_statuses"
    )
    action_item = models.ForeignKey(
        ActionItem, on_delete=models.PROTECT, related_name="national_statuses"
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.NOT_STARTED)
    progress = WholePercentField(
        null=True,
        blank=True,
        help_text="Whole per cent, 0–100; empty when not applicable.",
        error_messages={"invalid": "Progress is a whole number from 0 to 100."},
    )
    narrative = models.TextField(blank=True, validators=text_validators(LONG_TEXT_MAX_LENGTH))
    challenges = models.TextField(blank=True, validators=text_validators(LONG_TEXT_MAX_LENGTH))
    next_steps = models.TextField(blank=True, validators=text_validators(LONG_TEXT_MAX_LENGTH))
    responsible_agency = models.CharField(max_length=300, blank=True, validators=text_validators())
    # Raised by one on every save: a save that started from an older version is a conflict.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The fields a user edits; each change to one of them is recorded in StatusHistory.
    TRACKED_FIELDS = (
        "status",
        "progress",
        "narrative",
        "challenges",
        "next_steps",
        "responsible_agency",
    )

    objects = NationalStatusQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "national statuses"
        ordering = ["member_state__name", "action_item__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["member_state", "action_item"], name="national_status_one_per_state_item"
            ),
            models.CheckConstraint(
                condition=(
                    # Progress is compared only when present: SQL lets NULL pass a CHECK.
                    Q(status="not_applicable", progress__isnull=True)
                    | Q(status="completed", progress__isnull=False, progress=100)
                    | Q(status="not_started", progress__isnull=False, progress=0)
                    | Q(
                        status__in=["planned", "in_progress", "ongoing"],
                        progress__isnull=False,
                        progress__gte=0,
                        progress__lte=100,
                    )
                ),
                name="national_status_progress_matches_status",
            ),
            *(
                length_check(field, LONG_TEXT_MAX_LENGTH, f"national_status_{field}_length")
                for field in ("narrative", "challenges", "next_steps")
            ),
        ]
        indexes = [
            # The workspace's "not updated for N days" filter and stale-item alerts.
            models.Index(fields=["member_state", "updated_at"], name="status_state_updated_idx"),
        ]

    def __str__(self):
        return f"{self.member_state} · {self.action_item.code}"

    @classmethod
    def blank(cls, member_state, action_item):
        """The unsaved status of an item the state never updated: edits start from version 0."""
        return cls(
            member_state=member_state,
            action_item=action_item,
            status=cls.Status.NOT_STARTED,
            progress=0,
            version=0,
        )

    @property
    def is_recorded(self):
        return self.pk is not None

    def tracked_values(self):
        return {field: getattr(self, field) for field in self.TRACKED_FIELDS}

    @classmethod
    def progress_problem(cls, status, progress):
        """Why `progress` does not fit `status`, or None when it does."""
        if status == cls.Status.NOT_APPLICABLE:
            if progress is not None:
                return "Not applicable means no progress figure: leave progress empty."
            return None
        if progress is None:
            return "Enter progress from 0 to 100 (leave it empty only for not applicable)."
        if not is_whole_number(progress):
            return None  # not a number at all: the field itself says so
        if status == cls.Status.COMPLETED and progress != 100:
            return "Completed means 100 %: set progress to 100 or choose another status."
        if status == cls.Status.NOT_STARTED and progress != 0:
            return "Not started means 0 %: set progress to 0 or choose another status."
        if not 0 <= progress <= 100:
            return "Progress is a whole number from 0 to 100."
        return None

    # Statuses that say nothing happened yet: every other status says what was done.
    NEEDS_NO_NARRATIVE = (Status.NOT_STARTED, Status.NOT_APPLICABLE)

    @classmethod
    def needs_narrative(cls, status):
        return status not in cls.NEEDS_NO_NARRATIVE

    @classmethod
    def narrative_problem(cls, status, narrative):
        """Why `narrative` is not enough for `status`, or None when it is."""
        if cls.needs_narrative(status) and not str(narrative or "").strip():
            label = cls.Status(status).label if status in cls.Status.values else status
            return (
                f"{label} needs a narrative: say in a sentence or two what has been done "
                "(only not started and not applicable can go without one)."
            )
        return None

    def clean(self):
        errors = {}
        problem = self.progress_problem(self.status, self.progress)
        if problem:
            errors["progress"] = problem
        problem = self.narrative_problem(self.status, self.narrative)
        if problem:
            errors["narrative"] = problem
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def stale_before():
        return timezone.now() - datetime.timedelta(days=settings.STALE_AFTER_DAYS)

    @classmethod
    def attention_condition(cls):
        """Items (annotated by `with_national_status`) a state should look at."""
        return (
            Q(updated_at__isnull=True)
            | Q(updated_at__lt=cls.stale_before())
            | Q(status=cls.Status.NOT_STARTED)
        )

    @classmethod
    def display_value(cls, field, value):
        """A tracked field's value as people read it."""
        if value is None or value == "":
            return "—"
        if field == "status":
            return _status_labels().get(value, str(value))
        if field == "progress":
            return f"{value} %"
        return str(value)

    @classmethod
    def field_label(cls, field):
        return cls._meta.get_field(field).verbose_name.capitalize()


@functools.cache
def _status_labels():
    """{status value: its label}, made once (a table shows a status on every row)."""
    return dict(NationalStatus.Status.choices)


class StatusHistory(AppendOnlyModel):
    """An append-only record of one change to a national status."""

    national_status = models.ForeignKey(
        NationalStatus, on_delete=models.PROTECT, related_name="history"
    )
    version = models.PositiveIntegerField()
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {"field": [old, new], ...}
    changes = models.JSONField(default=dict)

    class Meta:
        verbose_name_plural = "status history"
        ordering = ["-changed_at", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["national_status", "version"], name="status_history_one_per_version"
            ),
        ]
        indexes = [
            # The history table's default order (newest first: changed_at DESC, id DESC), so a
            # page is read from the index instead of joining and sorting every row; also its
            # changed_since / changed_until filters and the monthly activity's date range.
            models.Index(fields=["changed_at", "id"], name="history_changed_at_idx"),
        ]

    def __str__(self):
        return f"{self.national_status} v{self.version}"

    def save(self, *args, **kwargs):
        adding = self.pk is None
        super().save(*args, **kwargs)
        if adding:
            MonthlyActivity.objects.count_change(self)

    @property
    def field_changes(self):
        """The recorded changes as (label, old, new) for display, in the form's field order."""
        ordered = [f for f in NationalStatus.TRACKED_FIELDS if f in self.changes]
        ordered += [f for f in self.changes if f not in NationalStatus.TRACKED_FIELDS]
        return [
            (
                NationalStatus.field_label(field)
                if field in NationalStatus.TRACKED_FIELDS
                else field.replace("_", " ").capitalize(),
                NationalStatus.display_value(field, self.changes[field][0]),
                NationalStatus.display_value(field, self.changes[field][1]),
            )
            for field in ordered
        ]


# The zone of MonthlyActivity's months: the Secretariat's (Jakarta, no daylight saving), the
# site's default. Fixed here, not read from settings, so a change of TIME_ZONE cannot mix two
# zones' months in one table; a reader in another zone gets exact figures too (see
# actions.queries.monthly_activity), at the cost of reading the history rows of the hours
# between the two zones' month starts.
ACTIVITY_TIME_ZONE = zoneinfo.ZoneInfo("Asia/Jakarta")


def activity_month(moment: datetime.datetime) -> datetime.date:
    """The first day of `moment`'s calendar month in ACTIVITY_TIME_ZONE: the month
    MonthlyActivity counts it in."""
    return moment.astimezone(ACTIVITY_TIME_ZONE).date().replace(day=1)


def completes(changes) -> bool:
    """Whether a history row's `changes` set the status to completed."""
    status = changes.get("status") if isinstance(changes, dict) else None
    return (
        isinstance(status, list)
        and len(status) > 1
        and status[1] == NationalStatus.Status.COMPLETED
    )


class MonthlyActivityManager(models.Manager):
    def count_change(self, history: StatusHistory) -> None:
        """Count one new history row in its month (2 queries; 3 or 4 for a month's first)."""
        status = history.national_status
        if NationalStatus.action_item.is_cached(status):
            plan_id, area_id = status.action_item.plan_id, status.action_item.focus_area_id
        else:
            plan_id, area_id = ActionItem.objects.values_list("plan_id", "focus_area_id").get(
                pk=status.action_item_id
            )
        key = {
            "focus_area_id": area_id,
            "member_state_id": status.member_state_id,
            "month": activity_month(history.changed_at),
        }
        completed = int(completes(history.changes))
        added = {"changes": F("changes") + 1, "completions": F("completions") + completed}
        if self.filter(**key).update(**added):
            return
        try:
            with transaction.atomic():
                self.create(plan_id=plan_id, changes=1, completions=completed, **key)
        except IntegrityError:  # another save counted the month's first change meanwhile
            self.filter(**key).update(**added)

    def rebuild(self, *, focus_areas=None) -> None:
        """Count every history row again (of the items now in `focus_areas`, when given)."""
        rebuild_monthly_activity(self.model, StatusHistory, focus_areas=focus_areas)


def rebuild_monthly_activity(activity_model, history_model, *, focus_areas=None) -> None:
    """Replace the MonthlyActivity rows (of `focus_areas`, when given: a list of ids) by the
    counts of the history rows, in one grouped query. Takes the models so that a data
    migration can call it with its historical ones."""
    rows = activity_model.objects.all()
    history = history_model.objects.all()
    if focus_areas is not None:
        rows = rows.filter(focus_area_id__in=focus_areas)
        history = history.filter(national_status__action_item__focus_area_id__in=focus_areas)
    grouped = (
        history.annotate(month=TruncMonth("changed_at", tzinfo=ACTIVITY_TIME_ZONE))
        .values(
            "national_status__action_item__plan_id",
            "national_status__action_item__focus_area_id",
            "national_status__member_state_id",
            "month",
        )
        .annotate(
            changes_count=Count("pk"),
            completions_count=Count(
                "pk", filter=Q(changes__status__1=NationalStatus.Status.COMPLETED)
            ),
        )
        .order_by()
    )
    rows.delete()
    activity_model.objects.bulk_create(
        [
            activity_model(
                plan_id=row["national_status__action_item__plan_id"],
                focus_area_id=row["national_status__action_item__focus_area_id"],
                member_state_id=row["national_status__member_state_id"],
                month=_as_date(row["month"]),
                changes=row["changes_count"],
                completions=row["completions_count"],
            )
            for row in grouped
        ],
        batch_size=1000,
    )


def _as_date(month) -> datetime.date:
    if isinstance(month, datetime.datetime):
        return month.astimezone(ACTIVITY_TIME_ZONE).date()
    return month


class MonthlyActivity(models.Model):
    """How many history rows each member state recorded on each focus area in one calendar
    month (in ACTIVITY_TIME_ZONE), and how many of them set the status to completed.

    Derived from StatusHistory and kept with it: every history row saved is counted here in the
    same transaction (`StatusHistory.save`), so the dashboards' activity chart reads a dozen
    rows per state and focus area instead of every history row. Moving an action to another
    focus area counts those two areas again (`ActionItem.save`); `MonthlyActivity.objects.
    rebuild()` counts everything again (history written in bulk, e.g. the demo data).
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    focus_area = models.ForeignKey(FocusArea, on_delete=models.CASCADE, related_name="+")
    member_state = models.ForeignKey(
        "countries.MemberState", on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(help_text="The first day of the month (Asia/Jakarta).")
    changes = models.PositiveIntegerField(default=0)
    completions = models.PositiveIntegerField(default=0)

    objects = MonthlyActivityManager()

    class Meta:
        verbose_name_plural = "monthly activity"
        constraints = [
            models.UniqueConstraint(
                fields=["focus_area", "member_state", "month"],
                name="monthly_activity_one_per_month",
            ),
        ]
        indexes = [models.Index(fields=["plan", "month"], name="monthly_activity_plan_idx")]

    def __str__(self):
        return f"{self.member_state_id} · {self.focus_area_id} · {self.month:%Y-%m}"


class ReferenceChange(AppendOnlyModel):
    """An append-only record of a change to reference data (plans, focus areas, items, links)."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        DELETED = "deleted", "Deleted"

    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=200, help_text="What made the change, e.g. the loader.")
    object_type = models.CharField(max_length=40)
    object_key = models.CharField(max_length=200, help_text="Natural key, e.g. rpa-2021-2025/1.2")
    action = models.CharField(max_length=10, choices=Action)
    # {"field": [old, new], ...}
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            # The admin's history of one object.
            models.Index(fields=["object_type", "object_key"], name="refchange_object_idx"),
        ]

    def __str__(self):
        return f"{self.object_type} {self.object_key} {self.action}"


def evidence_upload_to(instance, filename):
    """A server-chosen name: the user's file name is kept only as a label."""
    extension = EVIDENCE_EXTENSIONS.get(instance.content_type, "")
    return f"evidence/{uuid.uuid4().hex}{extension}"


EVIDENCE_EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}


class Evidence(models.Model):
    """A link or file that backs up a national status, reviewable by a reviewer."""

    class Kind(models.TextChoices):
        LINK = "link", "Link"
        FILE = "file", "File"

    class Review(models.TextChoices):
        PENDING = "pending", "Pending review"
        ACCEPTED = "accepted", "Accepted"
        NEEDS_MORE = "needs_more", "Needs more"

    national_status = models.ForeignKey(
        NationalStatus, on_delete=models.PROTECT, related_name="evidence"
    )
    kind = models.CharField(max_length=4, choices=Kind)
    title = models.CharField(max_length=300, validators=text_validators())
    url = models.URLField(max_length=2000, blank=True, validators=text_validators())
    file = models.FileField(upload_to=evidence_upload_to, blank=True, max_length=200)
    original_name = models.CharField(max_length=255, blank=True, validators=text_validators())
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Evidence is withdrawn, never deleted, so the history keeps what was shown.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    review = models.CharField(max_length=12, choices=Review, default=Review.PENDING)
    review_comment = models.TextField(blank=True, validators=text_validators(COMMENT_MAX_LENGTH))
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["added_at", "id"]
        indexes = [
            # The evidence table's default order (newest first: added_at DESC, id DESC) and
            # the model's ordering (added_at, id): a page is read from the index.
            models.Index(fields=["added_at", "id"], name="evidence_added_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="link", file="") & ~Q(url="") | Q(kind="file", url="") & ~Q(file="")
                ),
                name="evidence_link_or_file",
            ),
            length_check("review_comment", COMMENT_MAX_LENGTH, "evidence_review_comment_length"),
        ]

    def __str__(self):
        return self.title
