import django_tables2 as tables
from django.utils import formats, timezone
from django.utils.html import format_html

from core.links import url_maker
from core.tables import PagedTable

from .models import NationalStatus
from .provenance import provisional_badge


class NationalStatusTable(PagedTable):
    """One state's statuses of a plan's items (rows from `ActionItem.with_national_status`)."""

    code = tables.Column("No.", order_by=("focus_area__number", "position", "code"))
    title = tables.Column("Action", order_by=("title",))
    focus_area = tables.Column(
        "Focus area", accessor="focus_area__number", order_by=("focus_area__number", "position")
    )
    status = tables.Column("Status")
    progress = tables.Column("Progress", default="—")
    updated_at = tables.Column("Last change", default="never")
    updated_by = tables.Column(
        "By", accessor="updated_by_name", empty_values=(), order_by=("updated_by_name",)
    )
    update = tables.Column("", empty_values=(), orderable=False)

    class Meta(PagedTable.Meta):
        template_name = "national/status_table.html"
        empty_text = "No actions match these filters."

    def __init__(self, data, *, caption, state_code=None, editable=False, **kwargs):
        super().__init__(data, caption=caption, exclude=() if editable else ("update",), **kwargs)
        self.state_code = state_code
        if state_code:
            self._detail_url = url_maker("national:state_status_detail", state_code)
        else:
            self._detail_url = url_maker("national:status_detail")
        self._edit_url = url_maker("national:status_edit")

    def detail_url(self, record):
        return self._detail_url(record.pk)

    def render_code(self, record, value):
        return format_html('<a href="{}">{}</a>', self.detail_url(record), value)

    def render_title(self, record, value):
        url = self.detail_url(record)
        return format_html('<a href="{}">{}</a> {}', url, value, provisional_badge(record))

    def render_status(self, record, value):
        label = NationalStatus.display_value("status", value)
        if record.updated_at is None:
            return format_html('{} <span class="muted">· never updated</span>', label)
        return label

    def render_progress(self, value):
        return f"{value} %"

    def render_updated_at(self, value):
        return formats.date_format(timezone.localtime(value), "j M Y, H:i")

    def render_updated_by(self, record):
        return record.updated_by_name or record.updated_by_email or "—"

    def render_update(self, record):
        return format_html(
            '<a href="{}">Update<span class="visually-hidden"> {}</span></a>',
            self._edit_url(record.pk),
            record.code,
        )
