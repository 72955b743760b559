"""Filters of the report tables. Every filter lives in the URL, so a filtered view can be shared.

Choices (plans, states, focus areas) are given by the view from lists it already loaded, so a
filter form costs no query of its own; the state choices are only the states the user may see.
A value that does not validate is reported on the form and ignored.
"""

import datetime

import django_filters
from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils import timezone

from actions.models import ActionItem, Evidence, NationalStatus
from actions.queries import stale_cutoff
from core.filters import given

APPLICABLE = "applicable"
EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2100, 12, 31)


class WholeNumberFilter(django_filters.Filter):
    field_class = forms.IntegerField


class DayFilter(django_filters.DateFilter):
    """A date between 2000 and 2100 (a date far outside would overflow time-zone arithmetic)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        kwargs.setdefault("validators", [MinValueValidator(EARLIEST), MaxValueValidator(LATEST)])
        super().__init__(*args, **kwargs)


def start_of(day):
    """The first moment of `day` in the current time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def stale_choices():
    return [
        ("stale", f"Last changed more than {settings.STALE_AFTER_DAYS} days ago"),
        ("never", "Never updated"),
        ("either", "Either of these"),
    ]


class ReportFilter(django_filters.FilterSet):
    """Shared set-up: choices from the view's lists; `plan` and `state` choices by code."""

    def __init__(self, data=None, *, plans=(), states=(), focus_areas=None, **kwargs):
        super().__init__(data, **kwargs)
        self.filters["plan"].extra["choices"] = [(p.code, p.short_title) for p in plans]
        self.filters["state"].extra["choices"] = [(s.code, s.name) for s in states]
        if focus_areas is not None:
            self.filters["focus_area"].extra["choices"] = [
                (str(area.number), f"{area.number}. {area.title}") for area in focus_areas
            ]


class StatusFilter(ReportFilter):
    """Filters of `queries.status_pairs`. The view picks the plan and states from the first two;
    the others are applied to each state's rows (`filter_queryset`)."""

    plan = django_filters.ChoiceFilter(label="Plan", empty_label=None, method="chosen_by_view")
    state = django_filters.ChoiceFilter(
        label="Member state", empty_label="All member states", method="chosen_by_view"
    )
    focus_area = django_filters.ChoiceFilter(
        label="Focus area", empty_label="All focus areas", field_name="focus_area__number"
    )
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=[*NationalStatus.Status.choices, (APPLICABLE, "Any but not applicable")],
        empty_label="Any status",
        method="filter_status",
    )
    progress_min = WholeNumberFilter(
        label="Progress at least (%)",
        field_name="progress",
        lookup_expr="gte",
        min_value=0,
        max_value=100,
    )
    progress_max = WholeNumberFilter(
        label="Progress at most (%)",
        field_name="progress",
        lookup_expr="lte",
        min_value=0,
        max_value=100,
    )
    stale = django_filters.ChoiceFilter(
        label="Not updated", choices=stale_choices, empty_label="Any", method="filter_stale"
    )
    changed_since = DayFilter(label="Changed on or after", method="filter_changed_since")
    q = django_filters.CharFilter(
        label="Number or title contains", method="filter_text", max_length=200
    )

    # Filters on the items' own columns (or chosen by the view); the others read statuses.
    ITEM_FILTERS = frozenset({"plan", "state", "focus_area", "q"})

    class Meta:
        model = ActionItem  # the rows of `status_pairs`; only used to build the form
        fields = []

    def reads_items_only(self):
        """Whether every filter given reads only the items' own columns: then
        `filter_queryset` also filters the plan's items alone."""
        return given(self) <= self.ITEM_FILTERS

    def chosen_by_view(self, queryset, name, value):
        return queryset

    def filter_status(self, queryset, name, value):
        if value == APPLICABLE:
            return queryset.exclude(status=NationalStatus.Status.NOT_APPLICABLE)
        if value == NationalStatus.Status.NOT_STARTED:  # saved so, or never saved
            return queryset.filter(status=value)
        # Only a saved status can have any other value: said on the saved row itself, the
        # database filters the statuses as it reads them rather than after joining them all.
        return queryset.filter(state_status__status=value)

    def filter_stale(self, queryset, name, value):
        never = Q(updated_at__isnull=True)
        stale = Q(updated_at__lt=stale_cutoff())
        return queryset.filter({"never": never, "stale": stale}.get(value, never | stale))

    def filter_changed_since(self, queryset, name, value):
        return queryset.filter(updated_at__gte=start_of(value))

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(title__icontains=value))

    def chosen(self, name):
        """The valid value of the `plan` or `state` filter, or None."""
        self.is_valid()
        return self.form.cleaned_data.get(name) or None


def _status_item_filters():
    """Plan, state and focus-area filters of rows hanging off a national status (history,
    evidence); made per filter set so each lists them first, in this order."""
    plan = django_filters.ChoiceFilter(
        label="Plan", empty_label="All plans", field_name="national_status__action_item__plan__code"
    )
    state = django_filters.ChoiceFilter(
        label="Member state",
        empty_label="All member states",
        field_name="national_status__member_state__code",
    )
    focus_area = WholeNumberFilter(
        label="Focus area number",
        field_name="national_status__action_item__focus_area__number",
        min_value=1,
        max_value=999,
    )
    return plan, state, focus_area


class HistoryFilter(ReportFilter):
    """Filters of status history rows."""

    plan, state, focus_area = _status_item_filters()
    field = django_filters.ChoiceFilter(
        label="Changed field",
        choices=[(f, NationalStatus.field_label(f)) for f in NationalStatus.TRACKED_FIELDS],
        empty_label="Any field",
        method="filter_field",
    )
    new_status = django_filters.ChoiceFilter(
        label="Status changed to",
        choices=NationalStatus.Status.choices,
        empty_label="Any",
        method="filter_new_status",
    )
    changed_since = DayFilter(label="Changed on or after", method="filter_changed_since")
    changed_until = DayFilter(label="Changed on or before", method="filter_changed_until")
    q = django_filters.CharFilter(
        label="Number or title contains", method="filter_text", max_length=200
    )

    def filter_field(self, queryset, name, value):
        return queryset.filter(changes__has_key=value)

    def filter_new_status(self, queryset, name, value):
        return queryset.filter(changes__status__1=value)

    def filter_changed_since(self, queryset, name, value):
        return queryset.filter(changed_at__gte=start_of(value))

    def filter_changed_until(self, queryset, name, value):
        return queryset.filter(changed_at__lt=start_of(value + datetime.timedelta(days=1)))

    def filter_text(self, queryset, name, value):
        item = "national_status__action_item__"
        return queryset.filter(
            Q(**{f"{item}code__icontains": value}) | Q(**{f"{item}title__icontains": value})
        )


class EvidenceFilter(ReportFilter):
    """Filters of evidence links and files."""

    plan, state, focus_area = _status_item_filters()
    review = django_filters.ChoiceFilter(
        label="Review", choices=Evidence.Review.choices, empty_label="Any review"
    )
    kind = django_filters.ChoiceFilter(
        label="Kind", choices=Evidence.Kind.choices, empty_label="Links and files"
    )
    withdrawn = django_filters.ChoiceFilter(
        label="Withdrawn",
        choices=[("no", "Current evidence only"), ("yes", "Withdrawn only")],
        empty_label="Current and withdrawn",
        method="filter_withdrawn",
    )
    added_since = DayFilter(label="Added on or after", method="filter_added_since")
    q = django_filters.CharFilter(label="Title contains", method="filter_text", max_length=200)

    def filter_withdrawn(self, queryset, name, value):
        return queryset.filter(withdrawn_at__isnull=value == "no")

    def filter_added_since(self, queryset, name, value):
        return queryset.filter(added_at__gte=start_of(value))

    def filter_text(self, queryset, name, value):
        return queryset.filter(title__icontains=value)
