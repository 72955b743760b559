"""Excel downloads written by PostgreSQL: the sheet's rows as XML straight into the zip.

For a million rows, writing each cell from Python (XlsxWriter) and then compressing a
gigabyte of temporary sheet XML takes several times the CSV's time. Here the database writes
each row of the sheet as finished XML (`row_xml`), `COPY … TO STDOUT` streams it
(`core.copy`), and Python only deflates it into the workbook's zip as it comes: no temporary
file, nothing per cell in Python, memory flat.

The rest of the workbook — styles, the header row (bold, frozen, with an autofilter), the
column widths, the "About" sheet — is XlsxWriter's, as in `core.xlsx.write_workbook`:
a small workbook with the header only is made before the rows (for the sheet's beginning)
and again after them (with the row counts: the autofilter's range, the About sheet), and its
parts are copied into the zip around the streamed rows.

The cells are those `core.xlsx` writes: numbers as numbers, times as Excel dates in the
user's time zone to the second, texts as inline strings (never a formula) with control
characters escaped as XlsxWriter escapes them (`_xHHHH_`), an empty cell for no value (with
the provisional style on provisional rows). Unlike XlsxWriter's, the streamed rows and cells
go without their optional references (`r="B7"`, ECMA-376 §18.3.1.4 and §18.3.1.73): each is
the one after the one before, as LibreOffice and openpyxl read them (and Excel, by reports),
and a cell with no value is written empty (`<c/>`) to keep its place. That is a fifth less XML
for PostgreSQL to write and Python to compress, and what is left compresses better.

The zip is written with the standard library's `zipfile` to a stream that cannot seek (each
entry followed by a data descriptor), without ZIP64, which Excel reads only in its own
dialect: a sheet's XML must stay under 4 GiB (about 4 KB a row at the sheet's limit of
1,048,575 rows).
"""

import collections
import io
import re
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import xlsxwriter
from django.http import StreamingHttpResponse
from django.utils import timezone

from . import xlsx
from .copy import copy_out

# Rows of sheet XML joined before each write into the compressor.
ROWS_PER_WRITE = 1000
# Deflate level of the sheets: zlib's fast levels (1-3) deflate the sheet XML at the same
# pace, twice level 6's, and level 3 makes the smallest file of them (a million history rows:
# 38 MiB, 45 at level 1, in the same time), which keeps the download near the CSV's pace.
COMPRESS_LEVEL = 3
TEXT_LIMIT = 32767  # characters in a cell, as XlsxWriter's write_string truncates


def _control_escapes(text):
    """SQL that escapes control characters as XlsxWriter does (`_xHHHH_`, and a typed
    `_xHHHH_` as `_x005F_xHHHH_`)."""
    escaped = f"regexp_replace({text}, '(_x[0-9a-fA-F]{{4}}_)', '_x005F\\1', 'g')"
    for code in [*range(0x01, 0x09), *range(0x0B, 0x20), 0xFFFE, 0xFFFF]:
        escaped = f"replace({escaped}, chr({code}), '_x{code:04X}_')"
    return escaped


# What makes a text need escaping (`_escaped`) or xml:space="preserve": a character XML or
# COPY's text format must not see as it is, a typed `_xHHHH_`, or white space at an edge.
CHARACTERS = "[&<>\\t\\n\\\\\\x01-\\x08\\x0b-\\x1f\\ufffe\\uffff]"
SPECIAL = f"{CHARACTERS}|_x[0-9a-fA-F]{{4}}_|^\\s|\\s$"
# The same test over a row's texts joined by DEL (chr(127)), where a text's edges are the
# string's or a DEL's: it finds every row holding a text that SPECIAL finds (and, harmlessly,
# a text with DEL beside white space). One scan a row, then SPECIAL for the texts of the few
# rows it finds, costs a fraction of one scan of each text.
ROW_SPECIAL = f"{CHARACTERS}|_x[0-9a-fA-F]{{4}}_|(^|\\x7f)\\s|\\s(\\x7f|$)"


def _escaped(column):
    """SQL of a text's XML content: at most TEXT_LIMIT characters, control characters escaped,
    then & < > as entities, and tab, line feed and backslash as character references (which
    COPY's text format would otherwise write as escapes)."""
    text = f"CASE WHEN octet_length({column}) > {TEXT_LIMIT} THEN left({column}, {TEXT_LIMIT}) "
    text = f"({text}ELSE {column} END)"
    escaped = _control_escapes(text)
    for character, entity in (("'&'", "&amp;"), ("'<'", "&lt;"), ("'>'", "&gt;")):
        escaped = f"replace({escaped}, {character}, '{entity}')"
    for character, entity in (("chr(9)", "&#9;"), ("chr(10)", "&#10;"), ("chr(92)", "&#92;")):
        escaped = f"replace({escaped}, {character}, '{entity}')"
    return escaped


def _value(index, kind):
    """SQL of a cell's value from `q.c<index>`: a text as it is, a time as an Excel date
    number (in the session's time zone, `copy_out`'s zone, to the second), a number (whole:
    an integer field) as its decimal text."""
    column = f"q.c{index}"
    if kind == "moment":
        column = (
            f"(date_part('epoch', date_trunc('second', {column}::timestamp) "
            f"- timestamp '1899-12-30') / 86400)::text"
        )
    elif kind == "number":
        column = f"{column}::text"
    return f"{column} AS c{index}"


def _openings(styles):
    """SQL of the beginnings of a row's cells, by kind, plain or provisional (`v.p`): the same
    for every cell of a kind on the row, made once a row. Plain texts and numbers have the
    default style (their formats in `core.xlsx._formats` set nothing): their cells go without
    one, a tenth less sheet XML. An empty cell is `<c/>` on plain rows (it keeps the next
    cells in their columns), with the provisional fill on provisional rows."""
    text = ' t="inlineStr"><is><t'
    ends = {"text": text, "plain": f"{text}>", "number": "><v>", "moment": "><v>", "empty": "/>"}
    openings = []
    for name, end in ends.items():
        kind = "text" if name == "plain" else name
        plain, provisional = styles["plain"][kind], styles["provisional"][kind]
        plain = f' s="{plain}"' if kind == "moment" else ""
        provisional = f'<c s="{provisional}"{end}'
        openings.append(f"CASE WHEN v.p THEN '{provisional}' ELSE '<c{plain}{end}' END AS o_{name}")
    return ", ".join(openings)


def _cell(index, kind):
    """SQL of one cell of a row (`o_…`: the row's cell beginnings; `r`: whether any of the
    row's texts may need escaping)."""
    column = f"t.c{index}"
    if kind == "text":
        special = f"{column} ~ '{SPECIAL}' OR octet_length({column}) > {TEXT_LIMIT}"
        special = f"CASE WHEN t.r THEN {special} END"  # tested only on the rows that may need it
        edge = f"CASE WHEN {column} ~ '^\\s|\\s$' THEN ' xml:space=\"preserve\"' ELSE '' END"
        escaped = f"t.o_text || {edge} || '>' || {_escaped(column)} || '</t></is></c>'"
        return (
            f"CASE WHEN {column} IS NULL OR {column} = '' THEN t.o_empty "
            f"WHEN {special} THEN {escaped} "
            f"ELSE t.o_plain || {column} || '</t></is></c>' END"
        )
    return (
        f"CASE WHEN {column} IS NULL THEN t.o_empty ELSE t.o_{kind} || {column} || '</v></c>' END"
    )


def row_xml(sql, kinds, styles):
    """SQL of each row of query `sql` as a sheet's `<row>` XML, in the query's order.

    `sql` returns the cell values, typed, then whether the row is provisional; `kinds` says
    for each value: "text", "number" or "moment" (a time); `styles` the XlsxWriter
    style number of each kind on plain and provisional rows. The rows and cells go without
    their optional references (`r`): each is the one after the one before, the first row
    the one under the header.

    Each step over the one before, fenced (OFFSET 0) so that each value is computed once:
    the query's values; the cells' values, beside the row's texts joined (`j`); whether the
    row may need escaping (`r`), and its cells' beginnings; the row.
    """
    names = [f"c{index}" for index in range(len(kinds))]
    texts = [f"q.{name}" for name, kind in zip(names, kinds, strict=True) if kind == "text"]
    joined = f"concat_ws(chr(127), {', '.join(texts)})" if texts else "''"
    values = ", ".join(_value(index, kind) for index, kind in enumerate(kinds))
    fenced = f"SELECT * FROM ({sql}) AS s OFFSET 0"
    values = (
        f"SELECT {values}, q.p, {joined} AS j FROM ({fenced}) AS q({', '.join(names)}, p) OFFSET 0"
    )
    flagged = (
        f"SELECT v.*, (v.j ~ '{ROW_SPECIAL}' OR octet_length(v.j) > {TEXT_LIMIT}) AS r, "
        f"{_openings(styles)} FROM ({values}) AS v OFFSET 0"
    )
    cells = ", ".join(_cell(index, kind) for index, kind in enumerate(kinds))
    return f"SELECT concat('<row>', {cells}, '</row>') FROM ({flagged}) AS t"


class _Sink:
    """A write-only, unseekable file collecting what zipfile writes, taken as it grows (by
    another thread than the one writing: see `_Compressor`)."""

    def __init__(self):
        self.parts = []
        self.lock = threading.Lock()

    def write(self, data):
        with self.lock:
            self.parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        with self.lock:
            data, self.parts = b"".join(self.parts), []
        return data


class _Compressor:
    """The zip's writes, done in order on a thread of their own: zlib's deflate and crc32
    release the GIL, so the sheet is compressed while the next rows are read. At most
    `AHEAD` writes wait (memory stays flat); a failed write raises in the reading thread."""

    AHEAD = 4

    def __init__(self):
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlsx-deflate")
        self.pending = collections.deque()

    def __call__(self, function, *args):
        self.pending.append(self.pool.submit(function, *args))
        while len(self.pending) > self.AHEAD:
            self.pending.popleft().result()

    def finish(self):
        while self.pending:
            self.pending.popleft().result()
        self.pool.shutdown()


def _skeleton(header, sheet_rows, *, title, count):
    """The parts of a workbook with the header only, by name: XlsxWriter's, made as
    `core.xlsx.write_workbook` makes them, and the style numbers of each kind of cell."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    bold = workbook.add_format({"bold": True, "bottom": 1})
    formats = xlsx._formats(workbook)
    styles = {
        row: {kind: fmt._get_xf_index() if fmt else 0 for kind, fmt in by_kind.items()}
        for row, by_kind in formats.items()
    }
    for number, rows in enumerate(sheet_rows, start=1):
        name = "Data" if number == 1 else f"Data {number}"
        sheet = xlsx._data_sheet(workbook, name, header, bold)
        xlsx._finish(sheet, rows, header)
    xlsx._about(workbook, title=title, count=count, sheets=len(sheet_rows), provisional=True)
    workbook.close()
    with zipfile.ZipFile(out) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    return parts, styles


_DIMENSION = re.compile(rb"<dimension [^>]*/>")
_AUTOFILTER = re.compile(rb'<autoFilter ref="A1:([A-Z]+)\d+"')


def _sheet_ends(parts):
    """A data sheet's XML before its rows (through the header row; without the dimension,
    unknown until the end and optional) and after them, as a function of its row count."""
    sheet = _DIMENSION.sub(b"", parts["xl/worksheets/sheet1.xml"])
    end = sheet.index(b"</sheetData>")

    def after(rows):
        last = str(max(rows, 1) + 1).encode()
        return _AUTOFILTER.sub(lambda m: b'<autoFilter ref="A1:' + m[1] + last + b'"', sheet[end:])

    return sheet[:end], after


def stream_workbook(header, sql, params, kinds, *, title):
    """The bytes of an .xlsx of `header` and the rows of `sql` (see `row_xml`), as they come."""
    rows_per_sheet = xlsx.ROWS_PER_SHEET
    parts, styles = _skeleton(header, [1], title=title, count=0)
    start, after = _sheet_ends(parts)
    query = row_xml(sql, kinds, styles)
    sink, compress = _Sink(), _Compressor()
    package = zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
    sheet_rows, on_sheet, batch = [], 0, [start]
    entries = [package.open("xl/worksheets/sheet1.xml", "w")]

    def write(data, *, last=False):  # into the sheet being written, on the compressor's thread
        entries[-1].write(data)
        if last:
            entries[-1].close()

    def next_sheet(name):
        entries.append(package.open(name, "w"))

    zone = timezone.get_current_timezone_name()
    try:
        for row in copy_out(query, params, options="FORMAT text", zone=zone):
            if on_sheet == rows_per_sheet:  # the sheet is full: the rows go on on the next one
                compress(partial(write, last=True), b"".join([*batch, after(on_sheet)]))
                sheet_rows.append(on_sheet)
                compress(next_sheet, f"xl/worksheets/sheet{len(sheet_rows) + 1}.xml")
                on_sheet, batch = 0, [start]
            batch.append(row)
            on_sheet += 1
            if len(batch) >= ROWS_PER_WRITE:
                compress(write, b"".join(batch))
                batch = []
                yield sink.take()
        compress(partial(write, last=True), b"".join([*batch, after(on_sheet)]))
    finally:
        compress.finish()
    sheet_rows.append(on_sheet)
    parts, _ = _skeleton(header, sheet_rows, title=title, count=sum(sheet_rows))
    streamed = {f"xl/worksheets/sheet{number}.xml" for number in range(1, len(sheet_rows) + 1)}
    for name, data in parts.items():
        if name not in streamed:  # the rest of the workbook, the About sheet among it
            package.writestr(name, data)
    package.close()
    yield sink.take()


def xlsx_stream_response(name, header, sql, params, kinds, *, title=""):
    """A dated .xlsx download of the rows of `sql`, written by PostgreSQL (`stream_workbook`)."""
    zone = timezone.get_current_timezone()

    def content():
        with timezone.override(zone):
            yield from stream_workbook(header, sql, params, kinds, title=title)

    response = StreamingHttpResponse(content(), content_type=xlsx.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{xlsx.xlsx_filename(name)}"'
    response["Cache-Control"] = "private, no-store"
    return response
