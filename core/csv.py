"""CSV downloads: streamed in constant memory, safe to open in a spreadsheet.

- UTF-8 with a byte-order mark, so Excel reads Khmer, Thai, Lao, Burmese and Vietnamese;
- RFC 4180: comma-separated, CRLF line ends; every text cell is quoted, numbers are not, so
  a spreadsheet reads numbers as numbers (-5 is written as -5) and text as text;
- formula injection neutralised (security.md, OWASP) also for a spreadsheet that splits on
  another separator: see `neutralised`;
- rows come from a generator (`queryset.iterator(chunk_size=...)`), never a list.

The columns of each download, and the neutralising rule, are in docs/downloads.md.
"""

import csv
import datetime
import re
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
# Where a spreadsheet may start a new cell inside our text: Excel's list separator is `,` or
# `;` depending on the locale, imports may split on tabs, and a file parsed with the other
# separator loses track of our quotes, so a line break starts a new row too.
SEPARATORS = ",;\t\r\n"
# A part of a text that starts (after spaces and apostrophes) with a formula character, at the
# start of the text or after a separator. Spaces count because some imports trim them;
# apostrophes count so that the one we add can always be told from one that was typed.
_UNSAFE_PART = re.compile(r"(^|[,;\t\r\n])(?=[ ']*[=+\-@\t\r\x00])")
ROWS_PER_CHUNK = 200
ITERATOR_CHUNK = 500  # rows fetched from the database at a time


def neutralised(text):
    """`text` with an apostrophe before each part a spreadsheet could read as a formula.

    A part is the text's start and whatever follows a separator (`,` `;` tab CR LF); it is
    unsafe when it starts, after any spaces and apostrophes, with = + - @ tab CR or NUL. So
    `x;=1+2;` becomes `x;'=1+2;`: Excel with `;` as its list separator sees a cell `'=1+2`,
    which it shows as the text =1+2. An importer removes the apostrophe at the start and after
    each separator where the same pattern follows it, and gets back exactly what was typed.
    """
    return _UNSAFE_PART.sub(r"\1'", text)


_GUARD = re.compile(r"(^|[,;\t\r\n])'(?=[ ']*[=+\-@\t\r\x00])")


def restored(text):
    """`text` as typed, from a cell written by `neutralised`: exactly its inverse."""
    return _GUARD.sub(r"\1", text)


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
    return neutralised(str(value))


class _Echo:
    """A file-like object whose write returns what it was given, for csv.writer."""

    def write(self, value):
        return value


def csv_lines(header, rows):
    """The CSV text of `header` and `rows` (iterables of values), in chunks of lines."""
    # QUOTE_NONNUMERIC: every cell that `cell` left a string is quoted, numbers are not.
    writer = csv.writer(_Echo(), lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
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
