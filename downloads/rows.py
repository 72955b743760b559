"""The rows of a table's download, in the table's current order (its filters and sort).

On PostgreSQL (`core.copy.available`) a download with SQL columns (history, evidence) comes
straight out of the database: the CSV as `COPY … (FORMAT csv)` of finished cells
(`core.csv.copy_csv_lines`). Otherwise each record goes through the Python columns.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import (
    CharField,
    DateTimeField,
    F,
    IntegerField,
    TextField,
)
from django.utils import timezone

from actions.models import Provenance
from core import copy
from core.csv import copy_csv_lines, csv_response

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


def xlsx_rows(rows, columns, values, chunk_size):
    """The Excel rows of `rows`, each (values, is_provisional): on PostgreSQL, with SQL
    `values`, read typed straight from SQL (the workbook types each cell)."""
    if values and copy.available():
        expressions = _expressions(values)
        rows = rows.annotate(**expressions, xlsx_provenance=F(ITEM_PROVENANCE)).values_list(
            *expressions, "xlsx_provenance"
        )
        provisional = Provenance.PROVISIONAL
        return ((row[:-1], row[-1] == provisional) for row in rows.iterator(chunk_size=chunk_size))
    records = rows.iterator(chunk_size=chunk_size)
    return (([value(r) for _, value in columns], is_provisional(r)) for r in records)


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
