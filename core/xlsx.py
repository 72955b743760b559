"""Excel (.xlsx) downloads beside the CSV ones: same columns, typed cells, constant memory.

- XlsxWriter in `constant_memory` mode writes each row to disk as it comes, so a million rows
  take no more memory than ten; the finished workbook is sent from a temporary file;
- every cell is written by type: numbers as numbers, dates and moments as Excel dates (in the
  user's time zone, like the CSV), booleans as yes/no, and all text with `write_string`, so a
  text starting with `=` is text, never a formula (no apostrophe is needed, and none is added);
- the header row is bold, frozen and carries an autofilter; columns get widths from their
  names; rows of provisional actions are in italics on a yellow fill, explained on the second
  sheet, "About".
"""

import datetime
import tempfile
from decimal import Decimal

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone

from .csv import dated_filename

# Widths in characters for columns whose values are longer than their names.
WIDE_COLUMNS = {
    "narrative": 60,
    "challenges": 50,
    "next_steps": 50,
    "item_title": 50,
    "title": 40,
    "focus_area_title": 40,
    "responsible_agency": 30,
    "url": 40,
    "member_state": 18,
    "review_comment": 40,
}
MIN_WIDTH, MAX_WIDTH = 8, 60
# A sheet holds 1,048,576 rows: the header and this many data rows. Beyond that the rows go on
# on a second sheet, "Data 2", under the same header (Excel would drop them silently).
ROWS_PER_SHEET = 1_048_575
PROVISIONAL_NOTE = (
    "Rows in italics on a yellow fill are provisional actions: their wording is not yet "
    "confirmed by an official source."
)
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_filename(name, day=None):
    return dated_filename(name, day).removesuffix(".csv") + ".xlsx"


def write_workbook(target, header, rows, *, title="", provisional_rows=False):
    """Write `rows` under `header` as an .xlsx to `target` (a path or a binary file).

    With `provisional_rows`, each row is `(values, is_provisional)`; otherwise it is the values.
    Returns the number of data rows written.
    """
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "in_memory": False,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "remove_timezone": True,
        },
    )
    bold = workbook.add_format({"bold": True, "bottom": 1})
    formats = _formats(workbook)
    sheets = [_data_sheet(workbook, "Data", header, bold)]
    count = on_sheet = 0
    for row in rows:
        values, provisional = row if provisional_rows else (row, False)
        if on_sheet == ROWS_PER_SHEET:
            _finish(sheets[-1], on_sheet, header)
            sheets.append(_data_sheet(workbook, f"Data {len(sheets) + 1}", header, bold))
            on_sheet = 0
        count += 1
        on_sheet += 1
        kind = "provisional" if provisional else "plain"
        for index, value in enumerate(values):
            _write_cell(sheets[-1], on_sheet, index, value, formats[kind])
    _finish(sheets[-1], on_sheet, header)
    _about(workbook, title=title, count=count, sheets=len(sheets), provisional=provisional_rows)
    workbook.close()
    return count


def _about(workbook, *, title, count, sheets, provisional):
    """The second sheet: what the file holds and when it was made."""
    about = workbook.add_worksheet("About")
    about.set_column(0, 0, 100)
    lines = [title, f"{count} rows; the columns are those of the CSV download of the same name."]
    if sheets > 1:
        lines.append(f"A sheet holds {ROWS_PER_SHEET:,} rows: the rows go on on sheet Data 2 …")
    if provisional:
        lines.append(PROVISIONAL_NOTE)
    lines.append(f"Made {timezone.localtime():%Y-%m-%d %H:%M %Z} by RPA Tracker.")
    for index, line in enumerate(line for line in lines if line):
        about.write_string(index, 0, line)


def _data_sheet(workbook, name, header, bold):
    """A sheet with the widths (set before any row, as constant_memory needs) and the header."""
    sheet = workbook.add_worksheet(name)
    for index, column in enumerate(header):
        width = max(len(str(column)) + 2, WIDE_COLUMNS.get(column, 0))
        sheet.set_column(index, index, min(max(width, MIN_WIDTH), MAX_WIDTH))
    for index, column in enumerate(header):
        sheet.write_string(0, index, str(column), bold)
    sheet.freeze_panes(1, 0)
    return sheet


def _finish(sheet, rows, header):
    sheet.autofilter(0, 0, max(rows, 1), max(len(header) - 1, 0))


def _formats(workbook):
    """Cell formats by row kind: plain, or provisional (italic on a light yellow fill)."""
    shared = {"plain": {}, "provisional": {"italic": True, "bg_color": "#FFF4C2"}}
    return {
        kind: {
            "text": workbook.add_format({**extra, "text_wrap": False}),
            "number": workbook.add_format(extra),
            "date": workbook.add_format({**extra, "num_format": "yyyy-mm-dd"}),
            "moment": workbook.add_format({**extra, "num_format": "yyyy-mm-dd hh:mm:ss"}),
            "empty": workbook.add_format(extra) if extra else None,
        }
        for kind, extra in shared.items()
    }


def _write_cell(sheet, row, column, value, formats):
    if value is None or value == "":
        if formats["empty"] is not None:
            sheet.write_blank(row, column, None, formats["empty"])
    elif isinstance(value, bool):
        sheet.write_string(row, column, "yes" if value else "no", formats["text"])
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, column, float(value), formats["number"])
    elif isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        # To the second, as the CSV writes it.
        sheet.write_datetime(row, column, value.replace(microsecond=0), formats["moment"])
    elif isinstance(value, datetime.date):
        sheet.write_datetime(row, column, value, formats["date"])
    else:
        text = str(value)
        if text.startswith("<r>") and text.endswith("</r>"):
            # In constant_memory mode XlsxWriter would take such a text for its own rich-text
            # markup and write it unescaped into the sheet (where it could hold a formula):
            # written as three rich-text runs instead, each escaped, it reads back as typed.
            sheet.write_rich_string(row, column, text[:1], text[1:3], text[3:], formats["text"])
        else:
            sheet.write_string(row, column, text, formats["text"])


def xlsx_response(name, header, rows, *, title="", provisional_rows=False):
    """A dated .xlsx download of `rows` (see `write_workbook`), built in a temporary file."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    write_workbook(handle, header, rows, title=title, provisional_rows=provisional_rows)
    handle.seek(0)
    response = FileResponse(
        handle, as_attachment=True, filename=xlsx_filename(name), content_type=CONTENT_TYPE
    )
    response["Cache-Control"] = "private, no-store"
    return response
