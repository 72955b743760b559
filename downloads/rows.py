"""The rows of a table's download, in the table's current order (its filters and sort).

On PostgreSQL (`core.copy.available`) a download with SQL columns (history, evidence) comes
straight out of the database: the CSV as `COPY … (FORMAT csv)` of finished cells
(`core.csv.copy_csv_lines`), the Excel file's sheet as XML rows (`core.xlsx_sql`).
Otherwise each record goes through the Python columns.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import (
    BooleanField,
    CharField,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    TextField,
)
from django.utils import timezone

from actions.models import Provenance
from core import copy
from core.csv import copy_csv_lines, csv_response
from core.xlsx import xlsx_response
from core.xlsx_sql import xlsx_stream_response

from .columns import header

ITEM_PROVENANCE = "national_status__action_item__provenance"


def _item_of(record):
    """The action item of a download row (status rows are action items themselves)."""
    return record.national_status.action_item if hasattr(record, "national_status") else record


def is_provisional(record):
    """Whether the row's action is provisional (marked in the Excel download)."""
    return _item_of(record).provenance == Provenance.PROVISIONAL


def python_rows(records, columns, chunk_size):
    """Each record's values, through the Python columns."""
    records = records.iterator(chunk_size=chunk_size)
    return ([value(record) for _, value in columns] for record in records)


def _expressions(values):
    """The SQL `values` as expressions named csv_0, csv_1, …"""
    return {
        f"csv_{index}": F(value) if isinstance(value, str) else value
        for index, (_, value) in enumerate(values)
    }


def csv_download(name, rows, columns, values, chunk_size):
    """The CSV download of `rows` (a queryset in its final order): with SQL `values` on
    PostgreSQL, COPY of cells made in SQL; otherwise the Python columns, row by row."""
    if values and copy.available():
        expressions = _expressions(values)
        typed = rows.annotate(**expressions)
        kinds = [_kind(typed.query.annotations[name].output_field) for name in expressions]
        if all(kinds):
            try:
                sql, params = typed.values_list(*expressions).query.sql_with_params()
            except EmptyResultSet:  # no row can match (e.g. a user who may see none)
                return csv_response(name, header(columns), ())
            zone = timezone.get_current_timezone_name()
            lines = copy_csv_lines(header(columns), sql, params, kinds, zone=zone)
            return csv_response(name, header(columns), (), lines=lines)
    return csv_response(name, header(columns), python_rows(rows, columns, chunk_size))


def xlsx_download(name, rows, columns, values, chunk_size, *, title, provenance=ITEM_PROVENANCE):
    """The Excel download of `rows`: with SQL `values` on PostgreSQL, the sheet's rows are
    written by the database (`core.xlsx_sql`); otherwise by XlsxWriter, record by record.
    `provenance` is the path from a row to its action's provenance (provisional rows are
    marked)."""
    if values and copy.available():
        expressions = _expressions(values)
        provisional = ExpressionWrapper(
            Q(**{provenance: Provenance.PROVISIONAL}), output_field=BooleanField()
        )
        typed = rows.annotate(**expressions, xlsx_provisional=provisional)
        fields = [typed.query.annotations[name].output_field for name in expressions]
        kinds = [_XLSX_KINDS.get(_kind(field)) for field in fields]
        if all(kinds):
            query = typed.values_list(*expressions, "xlsx_provisional").query
            try:
                sql, params = query.sql_with_params()
            except EmptyResultSet:  # no row can match (e.g. a user who may see none)
                return xlsx_response(name, header(columns), [], title=title, provisional_rows=True)
            return xlsx_stream_response(name, header(columns), sql, params, kinds, title=title)
    records = rows.iterator(chunk_size=chunk_size)
    lines = (([value(r) for _, value in columns], is_provisional(r)) for r in records)
    return xlsx_response(name, header(columns), lines, title=title, provisional_rows=True)


# The kinds of cell `core.xlsx_sql` writes, by the kind of value (`_kind`).
_XLSX_KINDS = {"time": "moment", "text": "text", "number": "number"}


def _kind(field):
    """How COPY writes a value of `field` as `core.csv.cell` does: "text", "time" or
    "number"; None for a type it does not (then the download takes the Python path)."""
    if isinstance(field, DateTimeField):
        return "time"
    if isinstance(field, CharField | TextField):
        return "text"
    if isinstance(field, IntegerField):
        return "number"
    return None
