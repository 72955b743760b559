"""CSV downloads: streamed in constant memory, safe to open in a spreadsheet.

- UTF-8 with a byte-order mark, so Excel reads Khmer, Thai, Lao, Burmese and Vietnamese;
- RFC 4180: comma-separated, CRLF line ends, fields quoted only when they need it;
- formula injection neutralised (security.md, OWASP): a text cell starting with =, +, -, @,
  tab, CR or NUL gets a leading apostrophe. Numbers stay numbers: -5 is written as -5;
- rows come from a generator (`queryset.iterator(chunk_size=...)`), never a list.

The columns of each download are listed in docs/csv-columns.md.
"""

import csv
import datetime
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
ROWS_PER_CHUNK = 200
ITERATOR_CHUNK = 500  # rows fetched from the database at a time


def cell(value):
    """One value as a CSV cell: numbers as numbers, text neutralised, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write returns what it was given, for csv.writer."""

    def write(self, value):
        return value


def csv_lines(header, rows):
    """The CSV text of `header` and `rows` (iterables of values), in chunks of lines."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield BOM + writer.writerow([cell(name) for name in header])
    chunk = []
    for row in rows:
        chunk.append(writer.writerow([cell(value) for value in row]))
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def dated_filename(name, day=None):
    """E.g. rpa-statuses-2026-11-28.csv, dated in the current time zone."""
    return f"rpa-{name}-{(day or timezone.localdate()).isoformat()}.csv"


def csv_response(name, header, rows):
    """A streamed CSV download of `rows` under a dated file name (see `dated_filename`).

    Times are written in the user's zone, which is kept for the rows streamed after the view
    returned.
    """
    zone = timezone.get_current_timezone()

    def lines():
        with timezone.override(zone):
            yield from csv_lines(header, rows)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dated_filename(name)}"'
    response["Cache-Control"] = "private, no-store"
    return response
