"""Bulk update of a state's statuses from its update file (CSV or XLSX), in three steps.

1. `read_update_file` turns the uploaded bytes into rows of text by column name, or raises
   ImportFileError with a message for the user (size, encoding, separator, columns, ZIP bomb).
2. `plan_status_import` compares every row with what is saved and says what a confirm would
   do: unchanged, change (old → new per field), conflict (saved by someone else since the file
   was downloaded) or error (line, column, reason). It writes nothing.
3. `status_import_apply` plans again and, when the outcome is exactly the one the user
   confirmed, saves every change through `national_status_update` (the form's write path:
   version check, history row, follow-up jobs) in one transaction; otherwise nothing.

The columns are those of the national statuses download; docs/downloads.md lists the rules.
"""

import codecs
import csv
import datetime
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from openpyxl.utils.escape import unescape

from accounts.policy import can_edit_status
from core.csv import restored

from .forms import NationalStatusForm
from .models import ActionItem, NationalStatus, Plan, StatusHistory
from .services import national_status_update

# The columns a row must have; the others of the statuses download are read past.
REQUIRED_COLUMNS = (
    "member_state_code",
    "plan",
    "item_code",
    "status",
    "progress",
    "narrative",
    "challenges",
    "next_steps",
    "responsible_agency",
    "version",
)
IGNORED_COLUMNS = (
    "member_state",
    "focus_area",
    "item_title",
    "status_label",
    "updated_at",
    "updated_by",
    "provenance",
)
TEXT_COLUMNS = ("narrative", "challenges", "next_steps", "responsible_agency")
MAX_ROWS = 3000
# An .xlsx is a ZIP of XML parts: a small file may unpack to gigabytes (a ZIP bomb).
XLSX_MAX_UNPACKED = 40 * 1024 * 1024
XLSX_MAX_PARTS = 200
SEPARATORS = (",", ";", "\t")
# Stands for a formula cell whose value was never saved (no spreadsheet calculated it); no
# cell of a real file holds a NUL, which XML cannot carry.
UNSAVED_FORMULA = "\0formula"
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
}


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message tells the user why and what to do."""


@dataclass
class UpdateFile:
    """The rows of an update file: (line, {column: text}) in file order, and notes for the user."""

    rows: list
    notes: list = field(default_factory=list)


def max_file_size():
    return settings.STATUS_IMPORT_MAX_FILE_SIZE


def read_update_file(data: bytes, *, encoding: str = "") -> UpdateFile:
    """Read an update file's bytes (CSV in any of ENCODINGS, or XLSX); writes nothing."""
    if len(data) > max_file_size():
        raise ImportFileError(
            f"The file is {len(data):,} bytes; the limit is {max_file_size():,} bytes. "
            "Upload your state's update file of the current plan, which is much smaller."
        )
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if data.startswith(b"PK\x03\x04"):
        table, notes = _xlsx_table(data), []
    else:
        text, notes = _decode(data, encoding)
        table = _csv_table(text, notes)
    return _rows_by_column(table, notes)


def _decode(data, encoding):
    """The file's text and a note on how it was read (UTF-8/UTF-16 with or without BOM,
    else Windows-1252), or in the `encoding` the user named."""
    if encoding:
        if encoding not in ENCODINGS:
            raise ImportFileError(f"Unknown encoding {encoding!r}.")
        codec = "utf-8-sig" if encoding == "utf-8" else encoding
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as error:
            raise ImportFileError(
                f"The file is not valid {ENCODINGS[encoding]} (byte {error.start + 1}). "
                "Choose another encoding, or let the tracker recognise it."
            ) from error
        return text.lstrip("\ufeff"), [f"Read as {ENCODINGS[encoding]}, as you chose."]
    for bom, codec, name in (
        (codecs.BOM_UTF8, "utf-8", "UTF-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), []
            except UnicodeDecodeError as error:
                raise ImportFileError(
                    f"The file starts as {name} but is not valid {name} "
                    f"(byte {error.start + len(bom) + 1}). Save it again as CSV UTF-8."
                ) from error
    sample = data[:4096]
    if sample.count(0) * 3 > len(sample):  # UTF-16 without a byte-order mark
        codec = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(codec), ["Read as UTF-16 (the file has no byte-order mark)."]
        except UnicodeDecodeError as error:
            raise ImportFileError("The file looks like UTF-16 but is not valid UTF-16.") from error
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            "The file is neither UTF-8, UTF-16 nor Windows-1252. In your spreadsheet, save it "
            "as “CSV UTF-8”, or upload the .xlsx file."
        ) from error
    return text, [
        "Read as Windows-1252 (the file is not UTF-8). Khmer, Thai, Lao, Burmese or "
        "Vietnamese text cannot be in such a file: if yours had some, save it as “CSV UTF-8”."
    ]


def _csv_table(text, notes):
    """Rows of cells, each (line, [text, ...]), from CSV text separated by , ; or tab."""
    first_line = text.split("\n", 1)[0]
    separator = max(SEPARATORS, key=first_line.count)
    if separator != ",":
        notes.append("Columns separated by " + ("semicolons." if separator == ";" else "tabs."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    table = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return table
        except csv.Error as error:
            raise ImportFileError(f"Line {line}: the file is not valid CSV ({error}).") from error
        table.append((line, cells))
        if len(table) > MAX_ROWS + 1:
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows.")


def _xlsx_table(data):
    """Rows of cells from the first sheet of an .xlsx: the values saved in the file (a formula
    gives the value it had when saved; nothing is ever calculated here)."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > XLSX_MAX_PARTS or any(p.flag_bits & 0x1 for p in parts):
                raise ImportFileError("The .xlsx file is encrypted or has too many parts.")
            if sum(part.file_size for part in parts) > XLSX_MAX_UNPACKED:
                raise ImportFileError(
                    f"The .xlsx file unpacks to more than {XLSX_MAX_UNPACKED // 2**20} MB; "
                    "an update file of one state is far smaller."
                )
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except ImportFileError:
        raise
    except Exception as error:  # noqa: BLE001 - any unreadable workbook is the user's file
        raise ImportFileError(
            "The file could not be read as an .xlsx workbook. Upload the .xlsx or .csv update "
            "file saved from your spreadsheet."
        ) from error
    try:
        values = workbook.worksheets[0].iter_rows(values_only=True)
        written = formulas.worksheets[0].iter_rows(values_only=True)
        table = []
        for line, (row, typed) in enumerate(zip(values, written, strict=False), start=1):
            table.append((line, [_xlsx_text(v, t) for v, t in zip(row, typed, strict=False)]))
            if len(table) > MAX_ROWS + 1:
                raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows.")
        return table
    finally:
        workbook.close()
        formulas.close()


def _xlsx_text(value, written):
    """A cell's saved value as text; a formula saved without its value is marked."""
    if value is None:
        is_formula = isinstance(written, str) and written.startswith("=")
        return UNSAVED_FORMULA if is_formula else ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    # Control characters (the CR of a CRLF line end) are stored as _x000D_ in the file.
    return unescape(value) if isinstance(value, str) else str(value)


def _column_letter(index):
    """0 → A, 25 → Z, 26 → AA, as spreadsheets name columns."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _rows_by_column(table, notes):
    table = [(line, cells) for line, cells in table if any(c.strip() for c in cells)]
    if not table:
        raise ImportFileError("The file has no header row.")
    _, header = table[0]
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise ImportFileError(
            "Missing columns: "
            + ", ".join(missing)
            + ". The first row must name the columns of the update file (see the download's "
            "documentation); their order does not matter."
        )
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise ImportFileError("Columns named more than once: " + ", ".join(repeated) + ".")
    unknown = [n for n in names if n and n not in REQUIRED_COLUMNS + IGNORED_COLUMNS]
    if unknown:
        notes.append("Columns not read: " + ", ".join(unknown) + ".")
    positions = {name: names.index(name) for name in REQUIRED_COLUMNS}
    rows = []
    for line, cells in table[1:]:
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names) :]):
            rows.append({"line": line, "cells": None, "width": len(cells)})
            continue
        cells = cells + [""] * (len(names) - len(cells))
        values = {name: cells[index] for name, index in positions.items()}
        columns = {name: _column_letter(index) for name, index in positions.items()}
        rows.append({"line": line, "cells": values, "columns": columns})
    if not rows:
        raise ImportFileError("The file has a header row but no rows.")
    return UpdateFile(rows=rows, notes=notes)


# --- Planning: what a confirm would do ----------------------------------------------------------


KINDS = ("change", "conflict", "error", "unchanged")


@dataclass
class RowOutcome:
    line: int
    item_code: str
    kind: str  # "unchanged", "change", "conflict" or "error"
    item: ActionItem | None = None
    errors: list = field(default_factory=list)  # (column, reason)
    fields: list = field(default_factory=list)  # (label, saved, from the file), changed ones
    saved_version: int | None = None
    expected_version: int | None = None
    values: dict | None = None  # the service's arguments when kind == "change"
    saved_by: str = ""


@dataclass
class ImportPlan:
    plan: Plan
    outcomes: list

    def of_kind(self, kind):
        return [outcome for outcome in self.outcomes if outcome.kind == kind]

    @property
    def changes(self):
        return self.of_kind("change")

    def counts(self):
        return {kind: len(self.of_kind(kind)) for kind in KINDS}

    def fingerprint(self) -> str:
        """A digest of everything a confirm would write and of what it starts from."""
        parts = [
            [o.line, o.kind, o.item.pk if o.item else None, o.saved_version, o.values]
            for o in self.outcomes
        ]
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def plan_status_import(*, user, member_state, rows) -> ImportPlan:
    """What confirming `rows` (from `read_update_file`) would do to `member_state`'s statuses
    of the current plan; raises PermissionDenied when `user` may not edit them."""
    plan = Plan.objects.current()
    if plan is None or not can_edit_status(user, member_state, plan):
        raise PermissionDenied(f"{member_state}'s statuses cannot be updated now.")
    items = {item.code.lower(): item for item in plan.action_items.select_related("focus_area")}
    saved = {
        status.action_item_id: status
        for status in NationalStatus.objects.filter(
            member_state=member_state, action_item__plan=plan
        ).select_related("updated_by")
    }
    plans = {p.code.lower(): p for p in Plan.objects.all()}
    lines_of = {}
    for row in rows:
        if row["cells"]:
            lines_of.setdefault(row["cells"]["item_code"].strip().lower(), []).append(row["line"])
    outcomes = [
        _row_outcome(row, member_state, plan, plans, items, saved, lines_of) for row in rows
    ]
    _mark_conflicts(outcomes, saved)
    return ImportPlan(plan=plan, outcomes=outcomes)


def _row_outcome(row, member_state, plan, plans, items, saved, lines_of):
    line = row["line"]
    if row["cells"] is None:
        reason = f"This row has {row['width']} cells, more than the header's columns."
        return RowOutcome(line=line, item_code="", kind="error", errors=[("", reason)])
    cells, columns = row["cells"], row["columns"]
    code = cells["item_code"].strip()
    outcome = RowOutcome(line=line, item_code=code, kind="error")

    def error(column, reason):
        outcome.errors.append((f"{columns[column]} ({column})" if column else "", reason))

    state_code = cells["member_state_code"].strip().upper()
    if state_code != member_state.code:
        error(
            "member_state_code",
            f"“{state_code}” is not {member_state} ({member_state.code}): a state updates "
            "only its own statuses.",
        )
    plan_code = cells["plan"].strip().lower()
    if plan_code != plan.code.lower():
        other = plans.get(plan_code)
        if other is None:
            error("plan", f"There is no plan “{cells['plan'].strip()}”.")
        elif other.is_closed:
            error("plan", f"{other} is closed: its statuses can no longer change.")
        else:
            error("plan", f"Only the current plan ({plan.code}) is updated from this file.")
    item = items.get(code.lower())
    if item is None and plan_code == plan.code.lower():
        error("item_code", f"{plan} has no action “{code}”." if code else "No action number.")
    elif len(lines_of.get(code.lower(), ())) > 1:
        others = ", ".join(str(n) for n in lines_of[code.lower()] if n != line)
        error("item_code", f"Action {code} is also on line {others}: keep one row per action.")
    for name, text in cells.items():
        if text == UNSAVED_FORMULA:
            error(name, "A formula without a saved value: type the value itself.")
    if outcome.errors:
        return outcome
    outcome.item = item
    current = saved.get(item.pk) or NationalStatus.blank(member_state, item)
    form = NationalStatusForm(_form_data(cells, current))
    if not form.is_valid():
        for name, messages in form.errors.items():
            column = "version" if name == "version" else name if name in columns else ""
            for message in messages:
                if name == "version":
                    message = "The version must be the whole number the download wrote."
                error(column, message)
        return outcome
    values = form.service_arguments()
    expected = values.pop("expected_version")
    outcome.saved_version, outcome.expected_version = current.version, expected
    outcome.saved_by = str(current.updated_by or "") if current.is_recorded else ""
    if current.tracked_values() == values:
        outcome.kind = "unchanged"
        return outcome
    outcome.kind = "change"
    outcome.values = {**values, "expected_version": expected}
    outcome.fields = [
        (
            NationalStatus.field_label(name),
            NationalStatus.display_value(name, getattr(current, name)),
            NationalStatus.display_value(name, values[name]),
        )
        for name in NationalStatus.TRACKED_FIELDS
        if getattr(current, name) != values[name]
    ]
    return outcome


def _form_data(cells, current):
    """The row as the status form would post it, the download's own marks removed."""
    data = {"version": cells["version"].strip()}
    status = cells["status"].strip()
    by_label = {label.lower(): value for value, label in NationalStatus.Status.choices}
    data["status"] = by_label.get(status.lower(), status.lower())
    data["progress"] = cells["progress"].strip().removesuffix("%").strip()
    for name in TEXT_COLUMNS:
        data[name] = _unguarded(cells[name], getattr(current, name))
    return data


def _unguarded(text, saved):
    """`text` without the apostrophes the CSV download's formula guard added (`restored`);
    a text equal to the saved one is kept as it is."""
    return text if text == saved else restored(text)


def _mark_conflicts(outcomes, saved):
    """Changes to a status saved by someone else since the file's version are conflicts.

    The service's rule, for all rows with two queries: a later version that changed none of
    the tracked fields (evidence alone) is no conflict; a gap in the history is one.
    """
    behind = [o for o in outcomes if o.kind == "change" and o.expected_version != o.saved_version]
    later = {}
    ids = [saved[o.item.pk].pk for o in behind if o.item.pk in saved]
    if ids:
        for status_id, version, changes in StatusHistory.objects.filter(
            national_status_id__in=ids
        ).values_list("national_status_id", "version", "changes"):
            later.setdefault(status_id, []).append((version, changes))
    for outcome in behind:
        status = saved.get(outcome.item.pk)
        expected = outcome.expected_version
        if status is not None and 0 <= expected < status.version:
            newer = [c for v, c in later.get(status.pk, ()) if v > expected]
            gap = len(newer) != status.version - expected
            if not gap and not any(f in c for c in newer for f in NationalStatus.TRACKED_FIELDS):
                continue
        _as_conflict(outcome, status)


def _as_conflict(outcome, status):
    values = outcome.values
    outcome.kind = "conflict"
    outcome.fields = [
        (
            NationalStatus.field_label(name),
            NationalStatus.display_value(name, getattr(status, name) if status else None),
            NationalStatus.display_value(name, values[name]),
        )
        for name in NationalStatus.TRACKED_FIELDS
    ]
    outcome.values = None


class ImportChanged(Exception):
    """Statuses changed between the preview and the confirm: nothing was written."""

    def __init__(self, plan):
        super().__init__("The statuses changed since the preview; nothing was saved.")
        self.plan = plan


@transaction.atomic
def status_import_apply(*, user, member_state, rows, fingerprint: str) -> ImportPlan:
    """Save every change of the confirmed preview, in one transaction, or nothing.

    Raises ImportChanged when planning `rows` again does not give the preview the user
    confirmed (`fingerprint`); StatusConflict or ValidationError from the service roll back
    every change made before it.
    """
    import_plan = plan_status_import(user=user, member_state=member_state, rows=rows)
    if import_plan.fingerprint() != fingerprint:
        raise ImportChanged(import_plan)
    for outcome in import_plan.changes:
        national_status_update(
            user=user, member_state=member_state, action_item=outcome.item, **outcome.values
        )
    return import_plan
