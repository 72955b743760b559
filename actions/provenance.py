"""The one way an action or focus area is labelled provisional: on pages, in e-mails, in CSVs.

Anything shown with an action or a focus area passes its provenance here (a model instance,
a row with a `provenance` key or attribute, or the value itself): provisional wording gets
the "Provisional" badge (text, not colour alone), confirmed wording gets nothing.
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString

from .models import Provenance

LABEL = "Provisional"


def provenance_of(obj) -> str | None:
    """The provenance value of `obj`: a string, a mapping or anything with `.provenance`."""
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, dict):
        return obj.get("provenance")
    return getattr(obj, "provenance", None)


def is_provisional(obj) -> bool:
    return provenance_of(obj) == Provenance.PROVISIONAL


def provisional_badge(obj) -> SafeString:
    """The badge for a provisional `obj` (HTML), or an empty string."""
    if not is_provisional(obj):
        return SafeString("")
    return format_html('<span class="badge provisional">{}</span>', LABEL)


def provisional_suffix(obj) -> str:
    """ " (provisional)" after the name of a provisional `obj` in plain text (e-mails, charts)."""
    return " (provisional)" if is_provisional(obj) else ""
