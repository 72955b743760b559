"""The rows of a table's download, in the table's current order (its filters and sort).

On PostgreSQL (`core.csv.sql_cells`) a download with SQL columns (history, evidence) reads
its values in SQL, no model built per row; otherwise each record goes through the Python
columns.
"""

from django.db import connection
from django.db.models import CharField, DateTimeField, F, TextField
from django.utils import timezone

from actions.models import Provenance
from core.csv import LocalTime, Neutralised, sql_cells

ITEM_PROVENANCE = "national_status__action_item__provenance"


def _item_of(record):
    """The action item of a download row (status rows are action items themselves)."""
    return record.national_status.action_item if hasattr(record, "national_status") else record


def is_provisional(record):
    """Whether the row's action is provisional (marked in the Excel download)."""
    return _item_of(record).provenance == Provenance.PROVISIONAL


def _expressions(values):
    """The SQL `values` as expressions named csv_0, csv_1, …"""
    return {
        f"csv_{index}": F(value) if isinstance(value, str) else value
        for index, (_, value) in enumerate(values)
    }


def csv_rows(rows, columns, values, chunk_size):
    """The CSV rows of `rows` (a queryset), fetched `chunk_size` at a time, and whether they
    are finished cells: on PostgreSQL, with SQL `values`, the database neutralises the texts
    and writes the times, so Python only joins them up."""
    if values and sql_cells(connection):
        expressions = _expressions(values)
        resolved = rows.annotate(**expressions).query.annotations
        zone = timezone.get_current_timezone_name()
        cells = {
            name: _as_cell(expression, resolved[name].output_field, zone)
            for name, expression in expressions.items()
        }
        rows = rows.annotate(**cells).values_list(*cells)
        return rows.iterator(chunk_size=chunk_size), True
    records = rows.iterator(chunk_size=chunk_size)
    return ([value(record) for _, value in columns] for record in records), False


def xlsx_rows(rows, columns, values, chunk_size):
    """The Excel rows of `rows`, each (values, is_provisional): on PostgreSQL, with SQL
    `values`, read typed straight from SQL (the workbook types each cell)."""
    if values and sql_cells(connection):
        expressions = _expressions(values)
        rows = rows.annotate(**expressions, xlsx_provenance=F(ITEM_PROVENANCE)).values_list(
            *expressions, "xlsx_provenance"
        )
        provisional = Provenance.PROVISIONAL
        return ((row[:-1], row[-1] == provisional) for row in rows.iterator(chunk_size=chunk_size))
    records = rows.iterator(chunk_size=chunk_size)
    return (([value(r) for _, value in columns], is_provisional(r)) for r in records)


def _as_cell(expression, field, zone):
    """`expression` as `core.csv.cell` writes a value of `field`, computed in SQL."""
    if isinstance(field, DateTimeField):
        return LocalTime(expression, zone)
    if isinstance(field, CharField | TextField):
        return Neutralised(expression)
    return expression
