"""Reading and checking one reference-data file at a time (the format is in data/README.md)."""

import csv
import datetime
import io
import re
import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from countries.models import MemberState

from ..models import ActionItem, Body, ContinuityLink, FocusArea, Plan, Provenance
from ..urls import ItemCodeConverter

MAX_FILE_SIZE = 5 * 1024 * 1024


class ReferenceDataError(Exception):
    """The input cannot be loaded; nothing was written."""

    def __init__(self, problems):
        self.problems = problems
        count = len(problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} found; nothing was written."]
        lines += [f"  {problem}" for problem in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self):
        place = [self.file]
        if self.line:
            place.append(f"line {self.line}")
        if self.column:
            place.append(f"column {self.column}")
        return f"{', '.join(place)}: {self.reason}"


# Cell parsers: each takes a trimmed, non-empty cell and returns a value or raises ValueError.


def text(cell):
    return cell


def one_of(choices):
    values = [str(choice) for choice in choices]

    def parse(cell):
        if cell.lower() not in values:
            raise ValueError(f"must be one of {', '.join(values)}, not {cell!r}")
        return cell.lower()

    return parse


def whole_number(low, high):
    def parse(cell):
        if not re.fullmatch(r"[0-9]{1,9}", cell):
            raise ValueError(f"must be a whole number, not {cell!r}")
        number = int(cell)
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}, not {number}")
        return number

    return parse


def iso_date(cell):
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", cell):
        raise ValueError(f"must be a date written YYYY-MM-DD, not {cell!r}")
    try:
        day = datetime.date.fromisoformat(cell)
    except ValueError:
        raise ValueError(f"{cell} is not a real date") from None
    if not 1900 <= day.year <= 2100:
        raise ValueError(f"{cell} is not a plausible date (years 1900 to 2100)")
    return day


def matching(pattern, description):
    regex = re.compile(pattern)

    def parse(cell):
        if not regex.fullmatch(cell):
            raise ValueError(f"must be {description}, not {cell!r}")
        return cell

    return parse


def time_zone(cell):
    try:
        zoneinfo.ZoneInfo(cell)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        if not zoneinfo.available_timezones():
            raise ValueError("cannot be checked: this machine has no time-zone database") from None
        raise ValueError(f"{cell!r} is not an IANA time zone such as Asia/Jakarta") from None
    return cell


def code_list(parse_one):
    def parse(cell):
        codes = [code.strip() for code in cell.split(";") if code.strip()]
        for code in codes:
            parse_one(code)
        repeated = sorted(code for code, n in Counter(codes).items() if n > 1)
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once")
        return tuple(sorted(codes))

    return parse


plan_code = matching(r"[a-z0-9]+(?:-[a-z0-9]+)*", "a plan code in lower case, e.g. rpa-2026-2030")
body_code = matching(r"[A-Z0-9]+(?:-[A-Z0-9]+)*", "a body code in capitals, e.g. SOM-ED")
item_code = matching(ItemCodeConverter.regex, "an item code of letters, digits, '.', '_', '-'")
year = whole_number(2000, 2100)
provenance = one_of(Provenance.values)


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable = text
    required: bool = True
    max_length: int | None = None


def model_text(model, name, required=True):
    return Column(name, required=required, max_length=model._meta.get_field(name).max_length)


# Checks of one row whose cells all parsed: each yields (column, reason).


def no_checks(values):
    return []


def state_checks(values):
    if values["reports_from"] < values["member_since"]:
        yield "reports_from", "is before member_since"


def plan_checks(values):
    if values["end_year"] < values["start_year"]:
        yield "end_year", "is before start_year"
    if values["predecessor"] == values["code"]:
        yield "predecessor", "a plan cannot be its own predecessor"


def item_checks(values):
    start, end = values["start_year"], values["end_year"]
    if (start is None) != (end is None):
        yield ("end_year" if end is None else "start_year"), "give both years or neither"
    elif start is not None and end < start:
        yield "end_year", "is before start_year"
    both = sorted(set(values["lead_bodies"]) & set(values["supporting_bodies"]))
    if both:
        yield "supporting_bodies", f"{', '.join(both)} cannot both lead and support"


def link_checks(values):
    kind, has_from, has_to = values["kind"], bool(values["from_item"]), bool(values["to_item"])
    if kind == ContinuityLink.Kind.NEW and has_from:
        yield "from_item", "must be empty for a new item"
    elif kind == ContinuityLink.Kind.DROPPED and has_to:
        yield "to_item", "must be empty for a dropped item"
    elif kind != ContinuityLink.Kind.NEW and not has_from:
        yield "from_item", f"is required for kind {kind}"
    elif kind != ContinuityLink.Kind.DROPPED and not has_to:
        yield "to_item", f"is required for kind {kind}"


@dataclass(frozen=True)
class Kind:
    """One file and the model its rows become."""

    file: str
    model: type
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    unique: tuple[str, ...] = ()  # other columns whose values are unique within the file
    checks: Callable = no_checks

    @property
    def label(self):
        return str(self.model._meta.verbose_name)

    @property
    def plural(self):
        return str(self.model._meta.verbose_name_plural)

    @property
    def column_names(self):
        return [column.name for column in self.columns]


STATES = Kind(
    "member_states.csv",
    MemberState,
    (
        Column("code", matching(r"[A-Z]{2}", "two capital letters (ISO alpha-2)")),
        Column("iso_alpha3", matching(r"[A-Z]{3}", "three capital letters (ISO alpha-3)")),
        Column("iso_numeric", matching(r"[0-9]{3}", "three digits (ISO numeric), e.g. 096")),
        model_text(MemberState, "name"),
        Column("member_since", iso_date),
        Column("reports_from", iso_date),
        Column("time_zone", time_zone),
    ),
    key=("code",),
    unique=("iso_alpha3", "iso_numeric", "name"),
    checks=state_checks,
)
BODIES = Kind(
    "bodies.csv",
    Body,
    (
        Column("code", body_code, max_length=Body._meta.get_field("code").max_length),
        model_text(Body, "name"),
        Column("kind", one_of(Body.Kind.values)),
        Column("description", required=False),
    ),
    key=("code",),
)
PLANS = Kind(
    "plans.csv",
    Plan,
    (
        Column("code", plan_code, max_length=Plan._meta.get_field("code").max_length),
        model_text(Plan, "short_title"),
        model_text(Plan, "title"),
        Column("start_year", year),
        Column("end_year", year),
        Column("status", one_of(Plan.Status.values)),
        Column("predecessor", plan_code, required=False),
        Column("provenance", provenance),
        Column("source_note", required=False),
        Column("description", required=False),
    ),
    key=("code",),
    unique=("short_title",),
    checks=plan_checks,
)
FOCUS_AREAS = Kind(
    "focus_areas.csv",
    FocusArea,
    (
        Column("plan", plan_code),
        Column("number", whole_number(1, 99)),
        model_text(FocusArea, "title"),
        Column("description", required=False),
        Column("provenance", provenance),
        Column("source_note", required=False),
    ),
    key=("plan", "number"),
)
ITEMS = Kind(
    "action_items.csv",
    ActionItem,
    (
        Column("plan", plan_code),
        Column("code", item_code),
        Column("focus_area", whole_number(1, 99)),
        Column("position", whole_number(0, 1_000_000)),
        model_text(ActionItem, "title"),
        Column("description", required=False),
        Column("level", one_of(ActionItem.Level.values)),
        Column("lead_bodies", code_list(body_code), required=False),
        Column("supporting_bodies", code_list(body_code), required=False),
        Column("start_year", year, required=False),
        Column("end_year", year, required=False),
        Column("indicator", required=False),
        Column("target", required=False),
        Column("provenance", provenance),
        Column("source_note", required=False),
    ),
    key=("plan", "code"),
    checks=item_checks,
)
LINKS = Kind(
    "continuity_links.csv",
    ContinuityLink,
    (
        Column("from_plan", plan_code),
        Column("from_item", item_code, required=False),
        Column("to_plan", plan_code),
        Column("to_item", item_code, required=False),
        Column("kind", one_of(ContinuityLink.Kind.values)),
        Column("provenance", provenance),
        Column("note", required=False),
    ),
    key=("from_plan", "from_item", "to_plan", "to_item"),
    checks=link_checks,
)
KINDS = (STATES, BODIES, PLANS, FOCUS_AREAS, ITEMS, LINKS)
EMPTY = {"lead_bodies": (), "supporting_bodies": (), "start_year": None, "end_year": None}


@dataclass
class Row:
    line: int
    values: dict
    ok: bool = True

    def key(self, kind):
        """The row's natural key: a value, or a tuple for keys of several columns."""
        if not all(name in self.values for name in kind.key):
            return None
        parts = tuple(self.values[name] for name in kind.key)
        return parts if len(parts) > 1 else parts[0]


def read_file(path: Path, kind: Kind, problems: list) -> list[Row]:
    """Parse one file into rows, adding every problem found to `problems`."""

    def problem(line, column, reason):
        problems.append(Problem(kind.file, line, column, reason))

    raw = path.read_bytes()
    if len(raw) > MAX_FILE_SIZE:
        problem(None, None, f"is larger than {MAX_FILE_SIZE // (1024 * 1024)} MB")
        return []
    if raw.startswith(b"PK\x03\x04"):
        problem(None, None, 'is a spreadsheet, not CSV: save it as "CSV UTF-8"')
        return []
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        problem(line, None, 'contains a NUL byte: save the file as "CSV UTF-8" text')
        return []
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        problem(line, None, 'is not valid UTF-8: save the file as "CSV UTF-8"')
        return []

    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    records = []  # (first line of the record, cells): a quoted cell may span lines
    start = 1
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        problem(reader.line_num, None, f"is not valid CSV ({error})")
        return []
    if not records:
        problem(None, None, "is empty: it needs a header row")
        return []

    header_line, header = records[0]
    header = [name.strip().lower() for name in header]
    if len(header) == 1 and ";" in header[0]:
        problem(header_line, None, "separates columns with ';': use commas")
        return []
    missing = [name for name in kind.column_names if name not in header]
    unknown = [name for name in header if name not in kind.column_names]
    repeated = sorted(name for name, n in Counter(header).items() if n > 1)
    for name in missing:
        problem(header_line, name, "column is missing from the header row")
    for name in unknown:
        problem(header_line, name or "(empty)", "is not a column of this file")
    for name in repeated:
        problem(header_line, name, "column appears more than once in the header row")
    if missing or unknown or repeated:
        return []

    rows = []
    for line, cells in records[1:]:
        cells = [cell.strip().replace("\r\n", "\n").replace("\r", "\n") for cell in cells]
        if not any(cells):
            continue
        if len(cells) != len(header):
            problem(line, None, f"has {len(cells)} cells; the header has {len(header)}")
            continue
        row = Row(line, {})
        for column in kind.columns:
            cell = cells[header.index(column.name)]
            reason = _cell_problem(column, cell, row.values)
            if reason:
                problem(line, column.name, reason)
                row.ok = False
        if row.ok:
            for column, reason in kind.checks(row.values):
                problem(line, column, reason)
                row.ok = False
        rows.append(row)
    _check_duplicates(kind, rows, problem)
    return rows


def _cell_problem(column, cell, values):
    """Parse `cell` into values[column.name]; return the reason it is wrong, if it is."""
    if not cell:
        if column.required:
            return "is required"
        values[column.name] = EMPTY.get(column.name, "")
        return None
    if column.max_length and len(cell) > column.max_length:
        return f"is longer than {column.max_length} characters"
    try:
        values[column.name] = column.parse(cell)
    except ValueError as error:
        return str(error)
    return None


def _check_duplicates(kind, rows, problem):
    for names in [kind.key, *((name,) for name in kind.unique)]:
        seen = {}
        for row in rows:
            if not all(name in row.values for name in names):
                continue
            value = tuple(row.values[name] for name in names)
            if value in seen:
                label = ", ".join(names)
                problem(row.line, label, f"repeats line {seen[value]} (same {label})")
                row.ok = False
            else:
                seen[value] = row.line
