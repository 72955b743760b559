"""Small helpers of the dashboard templates."""

from django import template
from django.conf import settings
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

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


def _link(url, text, count=None):
    """What {% linked url count %}text{% endlinked %} writes, `text` already escaped."""
    if url and count != 0:
        return f'<a href="{conditional_escape(url)}">{text}</a>'
    return text


def _matrix_cell(cell):
    if cell.tally is None or not cell.tally.applicable:
        return '<td class="heat-none"><abbr title="none applicable">—</abbr></td>\n'
    text = conditional_escape(percent(cell.tally.average_progress))
    return f'<td class="heat-{cell.level}">{_link(cell.progress_url, text)}</td>\n'


@register.simple_tag
def matrix_cells(row, with_total=True):
    """A dashboard row's cells of the matrix (each focus area's, then with `with_total` the
    row's total): a shaded average progress linking to the actions behind it, or a dash when
    none is applicable. Written here rather than by a template per cell (a page has ~100)."""
    cells = [*row.cells, row.total] if with_total else row.cells
    return mark_safe("".join(_matrix_cell(cell) for cell in cells))


def _number(count):
    """A count as {{ count }} writes it: without thousands separators, plainly str()."""
    if type(count) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(count)
    return conditional_escape(localize(count))


def _count_cell(label, url, count):
    number = _number(count)
    label = conditional_escape(label)
    return f'<td class="num" data-label="{label}">{_link(url, number, count)}</td>'


@register.simple_tag
def status_cells(row, live=True):
    """A dashboard row's counts per status, its total and (`live`) the stale and the
    never-updated counts, each linking to the rows behind it when there are any."""
    tally, urls = row.tally, row.status_urls
    cells = [_count_cell(label, urls.get(value, ""), n) for value, label, n in tally.by_status()]
    cells.append(_count_cell("Total", row.all_url, tally.total))
    if live:
        cells.append(_count_cell("Stale", row.stale_url, tally.stale))
        cells.append(_count_cell("Never updated", row.never_url, tally.never_updated))
    return mark_safe("".join(cells))


@register.filter
def status_label(value):
    """A status value as people read it ("in_progress" → "In progress")."""
    return NationalStatus.display_value("status", value)
