"""{% provisional obj %}: the "Provisional" badge of an action or focus area (see provenance.py)."""

from django import template

from actions import provenance

register = template.Library()


@register.simple_tag
def provisional(obj):
    """The badge when `obj` (action, focus area, row or provenance value) is provisional."""
    return provenance.provisional_badge(obj)


@register.filter
def provisional_suffix(obj):
    """ " (provisional)" for plain text: e-mails, chart labels."""
    return provenance.provisional_suffix(obj)
