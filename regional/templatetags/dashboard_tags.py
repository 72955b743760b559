"""Small helpers of the dashboard templates."""

from django import template
from django.utils.html import format_html

from actions.models import NationalStatus

register = template.Library()


@register.filter
def percent(value):
    """A share or average as a whole per cent ("33 %"), or "—" when there is none."""
    if value is None:
        return "—"
    return f"{int(value + 0.5)}\u00a0%"


@register.filter
def get(mapping, key):
    return mapping.get(key, "") if mapping else ""


@register.tag
def linked(parser, token):
    """{% linked url %}text{% endlinked %}: a link to `url` around the text, or the bare text
    when `url` is empty (a number whose rows the user may not see).

    {% linked url count %}: also the bare text when `count` is 0 (no rows to drill down to).
    """
    _, url, *count = token.split_contents()
    nodelist = parser.parse(("endlinked",))
    parser.delete_first_token()
    count = parser.compile_filter(count[0]) if count else None
    return LinkedNode(parser.compile_filter(url), nodelist, count)


class LinkedNode(template.Node):
    def __init__(self, url, nodelist, count=None):
        self.url, self.nodelist, self.count = url, nodelist, count

    def render(self, context):
        text = self.nodelist.render(context)
        url = self.url.resolve(context)
        if self.count is not None and self.count.resolve(context) == 0:
            return text
        return format_html('<a href="{}">{}</a>', url, text) if url else text


@register.filter
def status_label(value):
    """A status value as people read it ("in_progress" → "In progress")."""
    return NationalStatus.display_value("status", value)
