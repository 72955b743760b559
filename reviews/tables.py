import django_tables2 as tables
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class EvidenceFlagColumn(tables.Column):
    """A national status table's column flagging items whose evidence a reviewer marked
    "needs more" (rows annotated by reviews.queries.with_evidence_flags)."""

    def __init__(self, **kwargs):
        super().__init__(
            "Review",
            accessor="evidence_needs_more",
            order_by=("-evidence_needs_more", "focus_area__number", "position"),
            empty_values=(),
            **kwargs,
        )

    def render(self, value):
        if not value:
            return "—"
        if value == 1:
            return mark_safe('<span class="badge review-needs_more">Needs more evidence</span>')
        return format_html(
            '<span class="badge review-needs_more">Needs more evidence</span>'
            '<span class="evidence-meta">{} evidence items</span>',
            value,
        )
