import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from core.filters import ModelChoiceFilter, given

from .models import FocusArea, NationalStatus


class WholeNumberFilter(django_filters.Filter):
    field_class = forms.IntegerField


class NationalStatusFilter(django_filters.FilterSet):
    """Filters of one state's workspace; the queryset is `ActionItem.with_national_status`."""

    q = django_filters.CharFilter(
        label="Number or title contains", method="filter_text", max_length=200
    )
    focus_area = ModelChoiceFilter(
        label="Focus area", queryset=FocusArea.objects.none(), empty_label="All focus areas"
    )
    status = django_filters.ChoiceFilter(
        label="Status", choices=NationalStatus.Status.choices, empty_label="Any status"
    )
    not_updated_days = WholeNumberFilter(
        label="Not updated for at least (days)",
        min_value=1,
        max_value=36_500,
        method="filter_not_updated",
        error_messages={"invalid": "Enter a whole number of days, e.g. 90."},
    )
    attention = django_filters.ChoiceFilter(
        label="Needs attention",
        choices=[("yes", "Only items that need attention")],
        empty_label="All items",
        method="filter_attention",
    )

    def __init__(self, data=None, *, queryset, plan, **kwargs):
        super().__init__(data, queryset=queryset, **kwargs)
        self.filters["focus_area"].queryset = FocusArea.objects.filter(plan=plan).order_by("number")

    def narrows(self):
        """Whether a filter was given (and valid): the rows are then fewer than the plan's."""
        return bool(given(self))

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(title__icontains=value))

    def filter_not_updated(self, queryset, name, value):
        cutoff = timezone.now() - datetime.timedelta(days=value)
        return queryset.filter(Q(updated_at__isnull=True) | Q(updated_at__lt=cutoff))

    def filter_attention(self, queryset, name, value):
        return queryset.needing_attention()
