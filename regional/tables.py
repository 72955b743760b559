"""Tables of national statuses, their history and their evidence, each with its CSV columns.

Sorting only follows the columns below (django-tables2 ignores any other `sort` key), each
with tie-breakers so pages are stable. `csv_columns` are the download's columns, documented
in docs/downloads.md: the table's columns in full (texts not shortened), with codes beside
names so a later bulk import can read them back.
"""

import django_tables2 as tables
from django.db import connection
from django.db.models import (
    CharField,
    DateTimeField,
    F,
    TextField,
)
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html

from actions.models import NationalStatus, Provenance
from actions.provenance import provisional_badge
from core.csv import LocalTime, Neutralised, sql_cells
from core.tables import PagedTable

from .sql_values import (
    ITEM_PROVENANCE_CSV_VALUE,
    STATUS_ITEM_CSV_VALUES,
    JsonKeys,
    changed_value,
    user_name,
)

SHORT_TEXT = 140


def _when(value):
    return formats.date_format(timezone.localtime(value), "j M Y, H:i")


def status_url(state_code, item_id):
    return reverse("national:state_status_detail", args=[state_code, item_id])


class ReportTable(PagedTable):
    """The report tables: paged, with their CSV columns."""

    csv_columns = ()  # (header, function of a record), in order
    # Or, for the long tables: (header, field path or expression), read as plain values in
    # SQL (no model built per row), so a million-row download keeps pace with the database.
    csv_values = ()

    @classmethod
    def csv_header(cls):
        return [header for header, _ in cls.csv_values or cls.csv_columns]

    @classmethod
    def csv_row(cls, record):
        return [value(record) for _, value in cls.csv_columns]

    @classmethod
    def is_provisional(cls, record):
        """Whether the row's action is provisional (marked in the Excel download)."""
        return _item_of(record).provenance == Provenance.PROVISIONAL

    def ordered_rows(self):
        """The table's rows in its current order, unpaginated (for the CSV)."""
        return self.data.data

    def xlsx_rows(self, chunk_size):
        return _xlsx_rows(self, chunk_size)

    def csv_rows(self, chunk_size):
        """The CSV rows of the table in its current order, fetched `chunk_size` at a time, and
        whether they are finished cells: on PostgreSQL (`core.csv.sql_cells`), a table with
        `csv_values` has the database neutralise the texts and write the times, so Python only
        joins them up; otherwise each record goes through `csv_columns` and `core.csv.cell`."""
        if self.csv_values and sql_cells(connection):
            names = [f"csv_{index}" for index in range(len(self.csv_values))]
            values = {
                name: F(value) if isinstance(value, str) else value
                for name, (_, value) in zip(names, self.csv_values, strict=True)
            }
            rows = self.ordered_rows()
            resolved = rows.annotate(**values).query.annotations
            zone = timezone.get_current_timezone_name()
            values = {
                name: _as_cell(value, resolved[name].output_field, zone)
                for name, value in values.items()
            }
            rows = rows.annotate(**values).values_list(*names)
            return rows.iterator(chunk_size=chunk_size), True
        records = self.ordered_rows().iterator(chunk_size=chunk_size)
        return (self.csv_row(record) for record in records), False


def _xlsx_rows(table, chunk_size):
    """The Excel rows of `table`, each (values, is_provisional), in its current order: on
    PostgreSQL a table with `csv_values` reads them typed straight from SQL (no cell making:
    the workbook types each cell), otherwise each record goes through `csv_columns`."""
    if table.csv_values and sql_cells(connection):
        names = [f"csv_{index}" for index in range(len(table.csv_values))]
        values = {
            name: F(value) if isinstance(value, str) else value
            for name, (_, value) in zip(names, table.csv_values, strict=True)
        }
        rows = (
            table.ordered_rows()
            .annotate(**values, xlsx_provenance=F("national_status__action_item__provenance"))
            .values_list(*names, "xlsx_provenance")
        )
        provisional = Provenance.PROVISIONAL
        return ((row[:-1], row[-1] == provisional) for row in rows.iterator(chunk_size=chunk_size))
    records = table.ordered_rows().iterator(chunk_size=chunk_size)
    return ((table.csv_row(record), table.is_provisional(record)) for record in records)


def _as_cell(expression, field, zone):
    """`expression` as `core.csv.cell` writes a value of `field`, computed in SQL."""
    if isinstance(field, DateTimeField):
        return LocalTime(expression, zone)
    if isinstance(field, CharField | TextField):
        return Neutralised(expression)
    return expression


def _item_of(record):
    """The action item of a report row (status rows are action items themselves)."""
    return record.national_status.action_item if hasattr(record, "national_status") else record


def _status_label(value):
    return NationalStatus.display_value("status", value)


class StatusTable(ReportTable):
    """Every (member state, action item) of a plan, from `queries.status_pairs`."""

    state = tables.Column(
        "State", accessor="state_name", order_by=("state_name", "focus_area_number", "position")
    )
    code = tables.Column("No.", order_by=("focus_area_number", "position", "code", "state_name"))
    title = tables.Column("Action", order_by=("title", "state_name"))
    focus_area = tables.Column(
        "Focus area",
        accessor="focus_area_number",
        order_by=("focus_area_number", "state_name", "position"),
    )
    status = tables.Column("Status", order_by=("status", "state_name", "position"))
    progress = tables.Column(
        "Progress",
        default="—",
        order_by=("progress", "state_name", "position"),
        attrs={"td": {"class": "num"}},
    )
    narrative = tables.Column("Narrative", orderable=False, default="")
    updated_at = tables.Column(
        "Last change", default="never", order_by=("updated_at", "state_name", "position")
    )
    updated_by = tables.Column("By", accessor="updated_by_name", default="—", orderable=False)

    csv_columns = (
        ("member_state_code", lambda r: r.state_code),
        ("member_state", lambda r: r.state_name),
        ("plan", lambda r: r.plan_code),
        ("focus_area", lambda r: r.focus_area_number),
        ("item_code", lambda r: r.code),
        ("item_title", lambda r: r.title),
        ("status", lambda r: r.status),
        ("status_label", lambda r: _status_label(r.status)),
        ("progress", lambda r: r.progress),
        ("narrative", lambda r: r.narrative),
        ("challenges", lambda r: r.challenges),
        ("next_steps", lambda r: r.next_steps),
        ("responsible_agency", lambda r: r.responsible_agency),
        ("updated_at", lambda r: r.updated_at),
        ("updated_by", lambda r: r.updated_by_name or r.updated_by_email),
        ("version", lambda r: r.status_version),
        ("provenance", lambda r: r.provenance),
    )

    class Meta(PagedTable.Meta):
        order_by = ("state", "code")
        empty_text = "No statuses match these filters."

    def render_code(self, record, value):
        return format_html('<a href="{}">{}</a>', status_url(record.state_code, record.pk), value)

    def render_title(self, record, value):
        url = status_url(record.state_code, record.pk)
        return format_html('<a href="{}">{}</a> {}', url, value, provisional_badge(record))

    def render_status(self, record, value):
        label = _status_label(value)
        if record.updated_at is None:
            return format_html('{} <span class="muted">· never updated</span>', label)
        return label

    def render_progress(self, value):
        return f"{value} %"

    def render_narrative(self, value):
        return truncatechars(value, SHORT_TEXT)

    def render_updated_at(self, value):
        return _when(value)

    def render_updated_by(self, record):
        return record.updated_by_name or record.updated_by_email or "—"


def _name(user):
    return user and (user.name or user.email)


def _state_and_item_columns(*then):
    """The state and item number columns of rows hanging off a national status, each sorted
    with the tie-breakers `then`."""
    state = tables.Column(
        "State",
        accessor="national_status__member_state__name",
        order_by=("national_status__member_state__name", *then),
    )
    code = tables.Column(
        "No.",
        accessor="national_status__action_item__code",
        order_by=("national_status__action_item__position", *then),
    )
    return state, code


# The first CSV columns of rows hanging off a national status (history, evidence).
STATUS_ITEM_CSV_COLUMNS = (
    ("member_state_code", lambda r: r.national_status.member_state.code),
    ("member_state", lambda r: r.national_status.member_state.name),
    ("plan", lambda r: r.national_status.action_item.plan.code),
    ("item_code", lambda r: r.national_status.action_item.code),
    ("item_title", lambda r: r.national_status.action_item.title),
)
# Their last CSV column: whether the action's wording is provisional or confirmed.
ITEM_PROVENANCE_CSV_COLUMN = ("provenance", lambda r: r.national_status.action_item.provenance)


def _changes_summary(record):
    return "; ".join(f"{label}: {old} → {new}" for label, old, new in record.field_changes)


def _old_new(field):
    def old(record):
        return record.changes.get(field, [None, None])[0]

    def new(record):
        return record.changes.get(field, [None, None])[1]

    return [(f"{field}_old", old), (f"{field}_new", new)]


class HistoryTable(ReportTable):
    """Status history rows (newest first), with their state, item and author."""

    state, code = _state_and_item_columns("-changed_at", "-pk")
    title = tables.Column("Action", accessor="national_status__action_item__title", orderable=False)
    version = tables.Column(
        "Version", attrs={"td": {"class": "num"}}, order_by=("version", "-changed_at", "-pk")
    )
    changed_at = tables.Column("When", order_by=("changed_at", "pk"))
    changed_by = tables.Column("By", accessor="changed_by__name", default="—", orderable=False)
    changes = tables.Column("Changes", empty_values=(), orderable=False)

    csv_columns = (
        *STATUS_ITEM_CSV_COLUMNS,
        ("version", lambda r: r.version),
        ("changed_at", lambda r: r.changed_at),
        ("changed_by", lambda r: _name(r.changed_by)),
        ("changed_fields", lambda r: " ".join(sorted(r.changes))),
        *(column for field in NationalStatus.TRACKED_FIELDS for column in _old_new(field)),
        ITEM_PROVENANCE_CSV_COLUMN,
    )
    csv_values = (
        *STATUS_ITEM_CSV_VALUES,
        ("version", "version"),
        ("changed_at", "changed_at"),
        ("changed_by", user_name("changed_by")),
        ("changed_fields", JsonKeys("changes")),
        *(
            (f"{field}_{end}", changed_value(field, index))
            for field in NationalStatus.TRACKED_FIELDS
            for end, index in (("old", 0), ("new", 1))
        ),
        ITEM_PROVENANCE_CSV_VALUE,
    )

    class Meta(PagedTable.Meta):
        order_by = ("-changed_at",)
        empty_text = "No changes match these filters."

    def _url(self, record):
        status = record.national_status
        return reverse(
            "national:state_status_history",
            args=[status.member_state.code, status.action_item_id],
        )

    def render_code(self, record, value):
        return format_html('<a href="{}">{}</a>', self._url(record), value)

    def render_title(self, record, value):
        return format_html("{} {}", value, provisional_badge(record.national_status.action_item))

    def render_changed_at(self, value):
        return _when(value)

    def render_changed_by(self, record):
        return _name(record.changed_by) or "—"

    def render_changes(self, record):
        return truncatechars(_changes_summary(record), SHORT_TEXT * 2) or "—"


class EvidenceTable(ReportTable):
    """Evidence links and files, with their state, item and review."""

    state, code = _state_and_item_columns("added_at", "pk")
    title = tables.Column("Evidence", order_by=("title", "pk"))
    kind = tables.Column("Kind", order_by=("kind", "added_at", "pk"))
    review = tables.Column("Review", order_by=("review", "added_at", "pk"))
    added_at = tables.Column("Added", order_by=("added_at", "pk"))
    withdrawn_at = tables.Column("Withdrawn", default="—", order_by=("withdrawn_at", "pk"))

    csv_columns = (
        *STATUS_ITEM_CSV_COLUMNS,
        ("evidence_id", lambda r: r.pk),
        ("kind", lambda r: r.kind),
        ("title", lambda r: r.title),
        ("url", lambda r: r.url),
        ("original_name", lambda r: r.original_name),
        ("content_type", lambda r: r.content_type),
        ("size", lambda r: r.size),
        ("added_at", lambda r: r.added_at),
        ("added_by", lambda r: _name(r.added_by)),
        ("review", lambda r: r.review),
        ("review_comment", lambda r: r.review_comment),
        ("reviewed_at", lambda r: r.reviewed_at),
        ("reviewed_by", lambda r: _name(r.reviewed_by)),
        ("withdrawn_at", lambda r: r.withdrawn_at),
        ITEM_PROVENANCE_CSV_COLUMN,
    )
    csv_values = (
        *STATUS_ITEM_CSV_VALUES,
        ("evidence_id", "pk"),
        ("kind", "kind"),
        ("title", "title"),
        ("url", "url"),
        ("original_name", "original_name"),
        ("content_type", "content_type"),
        ("size", "size"),
        ("added_at", "added_at"),
        ("added_by", user_name("added_by")),
        ("review", "review"),
        ("review_comment", "review_comment"),
        ("reviewed_at", "reviewed_at"),
        ("reviewed_by", user_name("reviewed_by")),
        ("withdrawn_at", "withdrawn_at"),
        ITEM_PROVENANCE_CSV_VALUE,
    )

    class Meta(PagedTable.Meta):
        order_by = ("-added_at",)
        empty_text = "No evidence matches these filters."

    def render_code(self, record, value):
        status = record.national_status
        url = status_url(status.member_state.code, status.action_item_id)
        badge = provisional_badge(status.action_item)
        return format_html('<a href="{}">{}</a> {}', url, value, badge)

    def render_added_at(self, value):
        return _when(value)

    def render_withdrawn_at(self, value):
        return _when(value)


# A state's report in a round: the frozen rows of one submission (review workflow).
ROUND_REPORT_COLUMNS = (
    ("member_state_code", lambda s, i: s.report.member_state.code),
    ("member_state", lambda s, i: s.report.member_state.name),
    ("plan", lambda s, i: s.report.round.plan.code),
    ("round", lambda s, i: s.report.round.name),
    ("submission", lambda s, i: s.number),
    ("submitted_at", lambda s, i: s.submitted_at),
    ("accepted_at", lambda s, i: s.accepted_at),
    ("focus_area", lambda s, i: i.focus_area_number),
    ("item_code", lambda s, i: i.code),
    ("item_title", lambda s, i: i.title),
    ("status", lambda s, i: i.status),
    ("status_label", lambda s, i: _status_label(i.status)),
    ("progress", lambda s, i: i.progress),
    ("narrative", lambda s, i: i.narrative),
    ("challenges", lambda s, i: i.challenges),
    ("next_steps", lambda s, i: i.next_steps),
    ("responsible_agency", lambda s, i: i.responsible_agency),
    ("updated_at", lambda s, i: i.last_changed_at),
    ("updated_by", lambda s, i: i.last_changed_by),
    ("version", lambda s, i: i.status_version),
    ("provenance", lambda s, i: i.provenance),  # the action's, annotated by the view
)
