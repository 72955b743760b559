"""CSV downloads: streamed in constant memory, safe to open in a spreadsheet.

- UTF-8 with a byte-order mark, so Excel reads Khmer, Thai, Lao, Burmese and Vietnamese;
- RFC 4180: comma-separated, CRLF line ends; every text cell is quoted, numbers are not, so
  a spreadsheet reads numbers as numbers (-5 is written as -5) and text as text;
- formula injection neutralised (security.md, OWASP) also for a spreadsheet that splits on
  another separator: see `neutralised`;
- rows come from a generator (`queryset.iterator(chunk_size=...)`), never a list, or on
  PostgreSQL straight out of `COPY … (FORMAT csv)` with the cells made in SQL
  (`copy_csv_lines`), byte for byte the same file.

The columns of each download, and the neutralising rule, are in docs/downloads.md.
"""

import csv
import datetime
import re
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone

from .copy import copy_out

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


def csv_lines(header, rows):
    """The CSV text of `header` and `rows` (iterables of values), in chunks of lines."""
    # QUOTE_NONNUMERIC: every cell that `cell` left a string is quoted, numbers are not.
    writer = csv.writer(_Echo(), lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    yield BOM + writer.writerow([cell(name) for name in header])
    zone = timezone.get_current_timezone()
    chunk = []
    for row in rows:
        chunk.append(writer.writerow([cell(value, zone) for value in row]))
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


# _UNSAFE_PART for PostgreSQL, as SQL string literals (its text never holds NUL): as a plain
# match (no lookahead), which tells the texts to change, and in two parts for the replacement.
# PostgreSQL's regular expressions take the longest of two alternatives where Python takes
# the first, so `(^|\t)` would put one apostrophe (after the tab) where Python puts two in a
# text starting with a tab and then `=`: the separators and the start are replaced in turn.
def _sql_literal(pattern):
    return "'" + pattern.replace(r"\x00", "").replace("'", "''") + "'"


_LOOKAHEAD = _UNSAFE_PART.pattern.split(")", 1)[1]
_SQL_UNSAFE_TEST = _sql_literal(_UNSAFE_PART.pattern.replace("(?=", "(?:"))
_SQL_UNSAFE_AFTER_SEPARATOR = _sql_literal(r"([,;\t\r\n])" + _LOOKAHEAD)
_SQL_UNSAFE_START = _sql_literal("^" + _LOOKAHEAD)
_SQL_ISO_MOMENT = "'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM'"


def _sql_cell(column, kind):
    """SQL of the cell `cell` writes of `column`: a "text" neutralised (with `neutralised`'s
    pattern; most texts have no unsafe part and skip the replacement), a "time" in ISO 8601
    to the second with its offset in the session's time zone, a "number" as it is; NULL as
    an empty text."""
    if kind == "text":
        return (
            f"CASE WHEN {column} ~ {_SQL_UNSAFE_TEST} "
            f"THEN regexp_replace(regexp_replace({column}, {_SQL_UNSAFE_AFTER_SEPARATOR}, "
            f"'\\1''', 'g'), {_SQL_UNSAFE_START}, '''') "
            f"ELSE coalesce({column}, '') END"
        )
    if kind == "time":
        return f"coalesce(to_char({column}, {_SQL_ISO_MOMENT}), '')"
    return f"coalesce({column}::text, '')"


def copy_csv_lines(header, sql, params, kinds, *, zone):
    """The CSV bytes of `header` and the rows of query `sql`, made by PostgreSQL's
    `COPY … (FORMAT csv)`: byte for byte what `csv_lines` writes of the same values.

    `kinds` says what each of the query's values is: "text", "time" (written in `zone`) or
    "number" (whole). PostgreSQL makes each cell as `cell` does (`_sql_cell`) over the
    values, computed once (the query is fenced with OFFSET 0, so its expressions are not
    repeated in each use); COPY quotes the texts and times (FORCE_QUOTE), leaves the numbers
    bare and writes an empty text `""`, as the csv module writes None. Rows come one per COPY
    message, ending in LF: they are written with CRLF.
    """
    head = "".join(csv_lines(header, ())).encode()
    names = [f"c{index}" for index in range(len(kinds))]
    cells = ", ".join(
        f"{_sql_cell(f'q.{name}', kind)} AS {name}" for name, kind in zip(names, kinds, strict=True)
    )
    fenced = f"SELECT * FROM ({sql}) AS v OFFSET 0"
    query = f"SELECT {cells} FROM ({fenced}) AS q({', '.join(names)})"
    quoted = ", ".join(name for name, kind in zip(names, kinds, strict=True) if kind != "number")
    options = f"FORMAT csv, FORCE_QUOTE ({quoted})" if quoted else "FORMAT csv"
    yield head
    batch = []
    for row in copy_out(query, params, options=options, zone=zone):
        batch.append(row[:-1])
        if len(batch) == COPY_ROWS_PER_CHUNK:
            batch.append(b"")
            yield b"\r\n".join(batch)
            batch = []
    if batch:
        batch.append(b"")
        yield b"\r\n".join(batch)


COPY_ROWS_PER_CHUNK = 500


def dated_filename(name, day=None):
    """E.g. rpa-statuses-2026-11-28.csv, dated in the current time zone."""
    return f"rpa-{name}-{(day or timezone.localdate()).isoformat()}.csv"


def csv_response(name, header, rows, *, lines=None):
    """A streamed CSV download of `rows` under a dated file name (see `dated_filename`), or of
    ready `lines` (e.g. `copy_csv_lines`).

    Times are written in the user's zone, which is kept for the rows streamed after the view
    returned.
    """
    zone = timezone.get_current_timezone()

    def written():
        with timezone.override(zone):
            yield from csv_lines(header, rows)

    content = written() if lines is None else lines
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dated_filename(name)}"'
    response["Cache-Control"] = "private, no-store"
    return response
