"""The rows of a country report's table of actions, written in Python.

A page holds 50 actions, each row about forty template look-ups and conditions; one call per
row writes the same HTML (the template's layout and white space included) in a fraction of
the time. The comment thread under an action stays in the template.
"""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from actions.provenance import provisional_badge

register = template.Library()

CHANGED = (
    '<br><span class="badge live-change">Changed since submission</span> '
    '<span class="muted">the live status differs from what was submitted</span>'
)
NEVER_UPDATED = ' <span class="muted">· never updated</span>'
WITHDRAWN = mark_safe(' <span class="badge live-change">Withdrawn since submission</span>')
FACTS = (
    ("responsible_agency", "Agency"),
    ("narrative", "Narrative"),
    ("challenges", "Challenges"),
    ("next_steps", "Next steps"),
)


@register.simple_tag
def report_row(submitted, observer, reviewer) -> SafeString:
    """The `<tr>` of one action of the report (a reviews.queries.SubmittedRow)."""
    row = submitted.item
    html = [
        format_html('\n          <tr>\n            <th scope="row">{}</th>\n', row.code),
        "            <td>\n              ",
        _title(submitted),
        "\n              ",
        CHANGED if submitted.changed_since else "",
        "\n              ",
        _facts(row),
        "\n            </td>\n            <td>",
        conditional_escape(row.status_label),
        "" if row.was_updated else NEVER_UPDATED,
        "</td>\n            <td>",
        "—" if row.progress is None else f"{row.progress} %",
        "</td>\n            <td>",
        _last_change(submitted),
        "</td>\n            <td>",
        _evidence(submitted, observer, reviewer),
        "</td>\n            ",
        "" if observer else _comments(submitted),
        "\n          </tr>",
    ]
    return mark_safe("".join(html))  # every part is escaped above


def _title(submitted):
    row = submitted.item
    if submitted.item_url:
        title = format_html('<a href="{}">{}</a>', submitted.item_url, row.title)
    else:
        title = conditional_escape(row.title)
    return format_html("{} {}", title, provisional_badge(row))


def _facts(row):
    if not any(getattr(row, name) for name, _ in FACTS):
        return ""
    facts = []
    for name, label in FACTS:
        value = getattr(row, name)
        text = linebreaksbr(value) if name != "responsible_agency" else conditional_escape(value)
        facts.append(format_html("<dt>{}</dt><dd>{}</dd>", label, text) if value else "")
    return format_html(
        "\n              <details>\n"
        '                <summary>Narrative and more<span class="visually-hidden"> for {}'
        "</span></summary>\n"
        '                <dl class="facts">\n'
        "                  {}\n                  {}\n                  {}\n                  {}\n"
        "                </dl>\n              </details>\n              ",
        row.code,
        *facts,
    )


def _last_change(submitted):
    if not submitted.changed_iso:
        return "—"
    by = submitted.item.last_changed_by
    return format_html(
        '<time datetime="{}">{}</time>{}',
        submitted.changed_iso,
        submitted.changed_day,
        format_html('<br><span class="muted">{}</span>', by) if by else "",
    )


def _evidence(submitted, observer, reviewer):
    if not (submitted.evidence or submitted.added_since):
        return "—"
    row, see_all = submitted.item, submitted.item_url
    entries = "".join(_entry(evidence, observer, reviewer) for evidence in submitted.evidence)
    more = ""
    if submitted.more_evidence:
        where = (
            format_html(': <a href="{}">see {}</a>', see_all, row.code)
            if see_all
            else mark_safe(" (the PDF lists them)")
        )
        more = format_html(
            '<li class="muted">and {} more submitted{}</li>', submitted.more_evidence, where
        )
    more_added = ""
    if submitted.more_added:
        where = format_html(': <a href="{}">see {}</a>', see_all, row.code) if see_all else ""
        more_added = format_html(
            '<li class="muted">and {} more added since submission{}</li>',
            submitted.more_added,
            where,
        )
    return format_html(
        '<ul class="plain-list">\n              {}\n              {}\n              {}\n'
        "              {}\n            </ul>",
        mark_safe(entries),  # each entry escaped by `_entry`
        more,
        submitted.added_items,
        more_added,
    )


def _entry(evidence, observer, reviewer):
    """One submitted evidence entry, with what became of it since."""
    entry = evidence.entry
    title, live = entry.get("title", ""), evidence.live
    if entry.get("url"):
        shown = format_html(
            '<a href="{}" rel="noopener noreferrer nofollow">{}</a>', entry["url"], title
        )
    elif evidence.id and (reviewer or not observer and not evidence.withdrawn_since):
        shown = format_html(
            '<a href="{}">{}</a> <span class="muted">({}, as submitted)</span>',
            evidence.download_url,
            title,
            entry.get("file", ""),
        )
    else:
        shown = format_html('{} <span class="muted">({})</span>', title, entry.get("file", ""))
    now = ""
    if evidence.withdrawn_since:
        now = WITHDRAWN
    elif evidence.review_changed:
        now = format_html(
            ' <span class="badge live-change">Now: {}</span>', live.get_review_display()
        )
    elif live:
        now = format_html(' <span class="muted">· {}</span>', live.get_review_display())
    review = ""
    if reviewer and live and not evidence.withdrawn_since:
        review = format_html(
            ' · <a href="{}">Review<span class="visually-hidden"> {}</span></a>',
            evidence.review_url,
            title,
        )
    return format_html("<li>{}\n                {}\n                {}</li>", shown, now, review)


def _comments(submitted):
    count, row = submitted.comment_count, submitted.item
    if not count:
        return "<td>—</td>"
    return format_html(
        '<td><a href="#thread-item-{}">{} comment{}<span class="visually-hidden"> on {}</span>'
        "</a></td>",
        row.action_item_id,
        count,
        "" if count == 1 else "s",
        row.code,
    )
