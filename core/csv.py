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
import io
import itertools
import re
from decimal import Decimal

from django.db.models import Func, TextField
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
    if _FORMULA_CHARACTERS.isdisjoint(text):  # most texts: no need for the pattern
        return text
    return _UNSAFE_PART.sub(r"\1'", text)


_GUARD = re.compile(r"(^|[,;\t\r\n])'(?=[ ']*[=+\-@\t\r\x00])")


def restored(text):
    """`text` as typed, from a cell written by `neutralised`: exactly its inverse."""
    return _GUARD.sub(r"\1", text)


# Every character after which `_UNSAFE_PART` can match: a text with none of them is safe.
_FORMULA_CHARACTERS = frozenset("=+-@\t\r\x00")


def cell(value, zone=None):
    """One value as a CSV cell: numbers as numbers, text neutralised, None empty.

    Times are written in `zone` (default: the current time zone).
    """
    kind = type(value)
    if kind is str:  # the common cases first: a download calls this for every cell
        return neutralised(value)
    if value is None:
        return ""
    if kind is int:
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, zone)
        return value.isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return neutralised(str(value))


class _Echo:
    """A file-like object whose write returns what it was given, for csv.writer."""

    def write(self, value):
        return value


def csv_lines(header, rows, *, cells=False):
    """The CSV text of `header` and `rows` (iterables of values), in chunks of lines.

    With `cells`, each value of `rows` is already what `cell` makes of it (text neutralised,
    times formatted, numbers as numbers, None for empty: see `sql_cells`), and the rows go to
    the writer as they are.
    """
    # QUOTE_NONNUMERIC: every cell that `cell` left a string is quoted, numbers are not.
    writer = csv.writer(_Echo(), lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    yield BOM + writer.writerow([cell(name) for name in header])
    if cells:
        yield from _prepared_lines(rows)
        return
    zone = timezone.get_current_timezone()
    chunk = []
    for row in rows:
        chunk.append(writer.writerow([cell(value, zone) for value in row]))
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def _prepared_lines(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    rows = iter(rows)
    while True:
        writer.writerows(itertools.islice(rows, ROWS_PER_CHUNK))
        text = buffer.getvalue()
        if not text:
            return
        yield text
        buffer.seek(0)
        buffer.truncate()


# _UNSAFE_PART for PostgreSQL, as an SQL string literal (its text never holds NUL).
_SQL_UNSAFE_PART = "'" + _UNSAFE_PART.pattern.replace(r"\x00", "").replace("'", "''") + "'"


class Neutralised(Func):
    """A text column as `cell` writes it, computed by PostgreSQL with `neutralised`'s pattern;
    elsewhere the text unchanged (`cell` neutralises it in Python)."""

    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        text, params = compiler.compile(self.source_expressions[0])
        # Most texts hold none of the characters the pattern looks for (as in `neutralised`).
        sql = (
            f"CASE WHEN ({text}) ~ '[=+@\\t\\r-]' "
            f"THEN regexp_replace(({text}), {_SQL_UNSAFE_PART}, '\\1''', 'g') ELSE ({text}) END"
        )
        return sql, (*params, *params, *params)


class LocalTime(Func):
    """A time as `cell` writes it (ISO 8601 to the second, in `zone`, with its offset),
    computed by PostgreSQL; elsewhere the time itself (`cell` formats it in Python)."""

    def __init__(self, expression, zone):
        super().__init__(expression)
        self.zone = zone

    def as_postgresql(self, compiler, connection, **extra):
        moment, params = compiler.compile(self.source_expressions[0])
        local = f"(({moment}) AT TIME ZONE %s)"
        minutes = f"(extract(epoch FROM {local} - (({moment}) AT TIME ZONE 'UTC')) / 60)::int"
        sql = (
            f"(to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
            f"CASE WHEN {minutes} < 0 THEN '-' ELSE '+' END || "
            f"lpad((abs({minutes}) / 60)::text, 2, '0') || ':' || "
            f"lpad((abs({minutes}) %% 60)::text, 2, '0'))"
        )
        local_params = (*params, self.zone)
        minute_params = (*local_params, *params)
        return sql, (*local_params, *minute_params, *minute_params, *minute_params)

    @property
    def output_field(self):
        return self.source_expressions[0].output_field


def sql_cells(connection):
    """Whether `Neutralised` and `LocalTime` make whole cells in SQL on `connection`."""
    return connection.vendor == "postgresql"


def dated_filename(name, day=None):
    """E.g. rpa-statuses-2026-11-28.csv, dated in the current time zone."""
    return f"rpa-{name}-{(day or timezone.localdate()).isoformat()}.csv"


def csv_response(name, header, rows, *, cells=False):
    """A streamed CSV download of `rows` under a dated file name (see `dated_filename`).

    Times are written in the user's zone, which is kept for the rows streamed after the view
    returned.
    """
    zone = timezone.get_current_timezone()

    def lines():
        with timezone.override(zone):
            yield from csv_lines(header, rows, cells=cells)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dated_filename(name)}"'
    response["Cache-Control"] = "private, no-store"
    return response
