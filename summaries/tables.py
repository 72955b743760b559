"""The list of progress summaries: its table and filters."""

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from accounts.policy import visible_states
from actions.models import Plan
from core.filters import ModelChoiceFilter
from core.tables import PagedTable

from .templatetags.summaries import percent, signed

REGION = "region"


def hidden_header(text):
    """A column header read by screen readers only."""
    return format_html('<span class="visually-hidden">{}</span>', text)


class SummaryFilter(django_filters.FilterSet):
    """Filters of the summary list; the queryset is already limited to what the user may see."""

    plan = ModelChoiceFilter(
        label="Plan",
        queryset=Plan.objects.order_by("start_year"),
        to_field_name="code",
        empty_label="All plans",
    )
    scope = django_filters.ChoiceFilter(
        label="Scope", choices=[], empty_label="Region and member states", method="filter_scope"
    )

    def __init__(self, data=None, *, queryset, user, **kwargs):
        super().__init__(data, queryset=queryset, **kwargs)
        states = visible_states(user).order_by("name").values_list("code", "name")
        self.filters["scope"].extra["choices"] = [(REGION, "ASEAN region"), *states]

    def filter_scope(self, queryset, name, value):
        if value == REGION:
            return queryset.filter(member_state__isnull=True)
        return queryset.filter(member_state__code=value)


class SummaryTable(PagedTable):
    """Progress summaries, newest period first."""

    period = tables.Column(
        "Period", accessor="period_start", order_by=("period_start", "member_state__name")
    )
    scope = tables.Column(
        "Scope",
        accessor="member_state__name",
        default="ASEAN region",
        order_by=("member_state__name",),
    )
    plan = tables.Column("Plan", accessor="plan__short_title", order_by=("plan__start_year",))
    average_progress = tables.Column("Average progress", empty_values=(), orderable=False)
    change = tables.Column("Change", empty_values=(), orderable=False)
    stale = tables.Column("Not updated", empty_values=(), orderable=False)
    final = tables.Column(hidden_header("State"), orderable=False)
    download = tables.Column(hidden_header("Download"), empty_values=(), orderable=False)

    class Meta(PagedTable.Meta):
        empty_text = "No summaries match these filters."

    def __init__(self, data, *, caption, user, **kwargs):
        super().__init__(data, caption=caption, **kwargs)
        self.user = user

    def render_period(self, record):
        url = reverse("summaries:detail", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, record.period_label)

    def render_average_progress(self, record):
        return percent(record.figures_for(self.user)["average_progress"])

    def render_change(self, record):
        change = record.figures_for(self.user)["change"] or {}
        return signed(change.get("average_progress"), " points")

    def render_stale(self, record):
        figures = record.figures_for(self.user)
        return "—" if figures.get("accepted_only") else figures["stale"]

    def render_final(self, value):
        return "Final" if value else "Provisional: the period is not over"

    def render_download(self, record):
        return format_html(
            '<a href="{}">CSV<span class="visually-hidden"> of {}</span></a>',
            reverse("summaries:csv", args=[record.pk]),
            record,
        )
