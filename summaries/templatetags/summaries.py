"""Filters that show a progress summary's stored figures (JSON) to people."""

import datetime

from django import template

from actions.models import NationalStatus
from reviews.models import CountryReport

register = template.Library()


@register.filter
def iso_date(value):
    return datetime.date.fromisoformat(value) if value else None


@register.filter
def iso_datetime(value):
    return datetime.datetime.fromisoformat(value) if value else None


@register.filter
def percent(value):
    """40.0 → "40 %", 37.5 → "37.5 %", None → "—"."""
    if value is None:
        return "—"
    shown = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return f"{shown} %"


@register.filter
def signed(value, unit=""):
    """A change: +3, −2.5, ±0 (with `unit` after it), "—" when there is none."""
    if value is None:
        return "—"
    if value == 0:
        return f"±0{unit}"
    shown = f"{abs(value):.0f}" if float(value).is_integer() else f"{abs(value):.1f}"
    return f"{'+' if value > 0 else '−'}{shown}{unit}"


@register.filter
def status_label(value):
    return NationalStatus.display_value("status", value)


@register.filter
def report_state(value):
    return (
        CountryReport.State(value).label.lower() if value in CountryReport.State.values else value
    )


@register.filter
def status_rows(figures):
    """[{value, label, count, change}, ...] in the status vocabulary's order."""
    counts = figures.get("status_counts", {})
    changes = (figures.get("change") or {}).get("status_counts", {})
    return [
        {
            "value": value,
            "label": label,
            "count": counts.get(value, 0),
            "change": changes.get(value),
        }
        for value, label in NationalStatus.Status.choices
    ]


@register.filter
def area_change(figures, number):
    """The change of one focus area's average progress since the previous summary, or None."""
    return ((figures.get("change") or {}).get("focus_areas") or {}).get(str(number))
