"""Charts drawn on the server as inline SVG: no JavaScript, no style attributes (strict CSP).

Each function returns safe markup for a template: an <svg role="img"> labelled by its own
<title> and <desc> (`chart_id` makes their ids unique on the page). Colours are SVG
presentation attributes (fill=, stroke=), so the markup needs no stylesheet; every bar and
point also carries its number as text or as a <title>. A chart is never the only way to read
its figures: put a table with the same numbers next to it (the text alternative), which also
holds the links (an image holds none). A provisional focus area's label ends in
" (provisional)", which shortening keeps (see `area_label`).

    bar_chart([Bar("Cambodia", 40.0)], chart_id="progress", title=..., desc=...)
    stacked_bar_chart([StackedRow("Cambodia", {"completed": 3, ...})], chart_id=..., ...)
    trend_chart(["Jan", "Feb"], [Series("Changes", [4, 7])], chart_id=..., ...)
"""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import mark_safe

from actions.models import NationalStatus

from .provenance import provisional_suffix

WIDTH = 640
LABEL_WIDTH = 230
ROW_HEIGHT = 26
BAR_HEIGHT = 18
FONT_SIZE = 13
INK = "#1a1a1a"
MUTED = "#4a4a4a"
GRID = "#c7ced6"
BAR = "#0b4f8a"
# Each colour has at least 3:1 contrast with white, except "not applicable", which is drawn
# with a dark outline instead; segments are also told apart by their number and <title>.
STATUS_COLOURS = {
    NationalStatus.Status.NOT_STARTED: "#767676",
    NationalStatus.Status.PLANNED: "#a35200",
    NationalStatus.Status.IN_PROGRESS: "#0067a3",
    NationalStatus.Status.COMPLETED: "#00704a",
    NationalStatus.Status.ONGOING: "#6f3a8c",
    NationalStatus.Status.NOT_APPLICABLE: "#e4e7eb",
}
LIGHT_FILLS = {STATUS_COLOURS[NationalStatus.Status.NOT_APPLICABLE]}
SERIES_STYLES = [("#0b4f8a", ""), ("#a35200", "6 4"), ("#00704a", "2 3"), ("#6f3a8c", "10 3 2 3")]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: no figure (drawn as "—")


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    colour: str


STATUS_SEGMENTS = [
    Segment(value, label, STATUS_COLOURS[value]) for value, label in NationalStatus.Status.choices
]


@dataclass(frozen=True)
class StackedRow:
    label: str
    counts: dict  # segment key -> count
    note: str = ""  # shown instead of a bar when the row has no figures (e.g. not a member)


@dataclass(frozen=True)
class Series:
    label: str
    values: list  # one number per x label


def _fmt(number):
    if number is None:
        return "—"
    return f"{round(number):d}" if abs(number - round(number)) < 0.05 else f"{number:.1f}"


PROVISIONAL = provisional_suffix("provisional")


def area_label(number, title, provenance):
    """A focus area's label in a chart: "3. Specialised units (provisional)"."""
    return f"{number}. {title}{provisional_suffix(provenance)}"


def _short(text, length=26):
    """`text` cut to `length` characters with "…", keeping a " (provisional)" at its end."""
    text = str(text)
    suffix = PROVISIONAL if text.endswith(PROVISIONAL) else ""
    if suffix:
        length += 6  # the label column holds about 32 characters
    if len(text) <= length:
        return text
    return text[: length - 1 - len(suffix)] + "…" + suffix


def _open(chart_id, title, desc, height):
    ids = f"{chart_id}-title {chart_id}-desc"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="{escape(ids)}" font-size="{FONT_SIZE}" '
        f'font-family="system-ui, sans-serif">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
    )


def bar_chart(bars, *, chart_id, title, desc, max_value=100, unit=" %"):
    """Horizontal bars, one per `Bar`, on a scale from 0 to `max_value`, each with its number."""
    scale = (WIDTH - LABEL_WIDTH - 70) / (max_value or 1)
    height = ROW_HEIGHT * len(bars) + 8
    parts = [_open(chart_id, title, desc, height)]
    for index, bar in enumerate(bars):
        y = 4 + index * ROW_HEIGHT
        text_y = y + BAR_HEIGHT - 5
        shown = "no figure" if bar.value is None else f"{_fmt(bar.value)}{unit}"
        width = 0 if bar.value is None else max(0.0, min(bar.value, max_value)) * scale
        body = (
            f"<title>{escape(bar.label)}: {escape(shown)}</title>"
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end" fill="{INK}">'
            f"{escape(_short(bar.label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{WIDTH - LABEL_WIDTH - 70}" '
            f'height="{BAR_HEIGHT}" fill="#f2f5f8"/>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{BAR}"/>'
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{text_y}" fill="{INK}">'
            f"{escape(shown)}</text>"
        )
        parts.append(f'<g class="bar">{body}</g>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def stacked_bar_chart(rows, *, chart_id, title, desc, segments=STATUS_SEGMENTS):
    """One bar per `StackedRow`, split into `segments` in proportion to the row's counts.

    Each bar fills the width (shares of the row's total); a segment wide enough shows its
    count, and every segment has a <title> "row: segment count". A legend follows the bars.
    """
    legend_rows = (len(segments) + 1) // 2
    height = ROW_HEIGHT * len(rows) + 12 + legend_rows * 20
    area = WIDTH - LABEL_WIDTH - 10
    parts = [_open(chart_id, title, desc, height)]
    for index, row in enumerate(rows):
        y = 4 + index * ROW_HEIGHT
        text_y = y + BAR_HEIGHT - 5
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end" fill="{INK}">'
            f"<title>{escape(row.label)}</title>{escape(_short(row.label))}</text>"
        )
        total = sum(row.counts.get(segment.key, 0) for segment in segments)
        if not total:
            note = row.note or "no figures"
            parts.append(
                f'<text x="{LABEL_WIDTH}" y="{text_y}" fill="{MUTED}">{escape(note)}</text>'
            )
            continue
        x = float(LABEL_WIDTH)
        for segment in segments:
            count = row.counts.get(segment.key, 0)
            if not count:
                continue
            width = area * count / total
            parts.append(
                f'<g class="segment"><title>{escape(row.label)}: {escape(segment.label)} '
                f"{count}</title>"
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
                f'fill="{segment.colour}" stroke="{_outline(segment)}" stroke-width="1"/>'
            )
            if width >= 9 * len(str(count)) + 4:
                parts.append(
                    f'<text x="{x + width / 2:.1f}" y="{text_y}" text-anchor="middle" '
                    f'fill="{_text_on(segment)}">{count}</text>'
                )
            parts.append("</g>")
            x += width
    legend_y = 4 + len(rows) * ROW_HEIGHT + 10
    for index, segment in enumerate(segments):
        x = 10 + (index % 2) * 300
        y = legend_y + (index // 2) * 20
        parts.append(
            f'<rect x="{x}" y="{y}" width="14" height="14" fill="{segment.colour}" '
            f'stroke="{_outline(segment)}"/>'
            f'<text x="{x + 20}" y="{y + 12}" fill="{INK}">{escape(segment.label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _outline(segment):
    return INK if segment.colour in LIGHT_FILLS else "#ffffff"


def _text_on(segment):
    return INK if segment.colour in LIGHT_FILLS else "#ffffff"


def trend_chart(x_labels, series, *, chart_id, title, desc, max_value=None, unit=""):
    """Lines over `x_labels`, one per `Series` (told apart by colour and dash pattern).

    The y axis runs from 0 to `max_value` (default: the largest value, at least 1); each
    point has a <title> with its series, label and value. A legend follows the plot.
    """
    top = max_value or max([1, *(v for s in series for v in s.values if v is not None)])
    left, right, plot_top, plot_height = 48, 40, 10, 180
    width = WIDTH - left - right
    step = width / max(len(x_labels) - 1, 1)
    legend_y = plot_top + plot_height + 40
    height = legend_y + 20 * len(series) + 4
    parts = [_open(chart_id, title, desc, height)]
    for fraction in (0, 0.5, 1):
        y = plot_top + plot_height * (1 - fraction)
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{escape(_fmt(top * fraction))}{escape(unit)}</text>"
        )
    every = max(1, (len(x_labels) + 5) // 6)
    for index, label in enumerate(x_labels):
        if (len(x_labels) - 1 - index) % every == 0:  # evenly spaced, ending on the last
            x = left + index * step
            parts.append(
                f'<text x="{x:.1f}" y="{plot_top + plot_height + 18}" text-anchor="middle" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
    for number, line in enumerate(series):
        colour, dashes = SERIES_STYLES[number % len(SERIES_STYLES)]
        points = [
            (
                left + index * step,
                plot_top + plot_height * (1 - min(value, top) / top),
                value,
                label,
            )
            for index, (value, label) in enumerate(zip(line.values, x_labels, strict=False))
            if value is not None
        ]
        dash = f' stroke-dasharray="{dashes}"' if dashes else ""
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
        for x, y, value, label in points:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(line.label)}, {escape(label)}: {escape(_fmt(value))}"
                f"{escape(unit)}</title></circle>"
            )
        y = legend_y + number * 20
        parts.append(
            f'<line x1="10" x2="40" y1="{y + 7}" y2="{y + 7}" stroke="{colour}" '
            f'stroke-width="2.5"{dash}/>'
            f'<text x="48" y="{y + 12}" fill="{INK}">{escape(line.label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
