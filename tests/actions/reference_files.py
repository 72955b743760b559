"""Helpers of the reference-data tests: load the files, read and break copies of them."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from actions.models import (
    ActionItem,
    Body,
    ContinuityLink,
    FocusArea,
    Plan,
    ReferenceChange,
)
from countries.models import MemberState

SHIPPED_ROWS = {  # rows in the shipped files
    "member_states.csv": 11,
    "bodies.csv": 11,
    "plans.csv": 2,
    "focus_areas.csv": 14,
    "action_items.csv": 52,
    "continuity_links.csv": 31,
}


def load(path=None, *options):
    out = io.StringIO()
    call_command("load_reference_data", *([str(path)] if path else []), *options, stdout=out)
    return out.getvalue()


def load_error(path, *options):
    with pytest.raises(CommandError) as error:
        load(path, *options)
    return str(error.value)


def row_counts():
    models = (MemberState, Body, Plan, FocusArea, ActionItem, ContinuityLink, ReferenceChange)
    return {model.__name__: model.objects.count() for model in models}


def read_rows(path):
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def write_rows(path, rows):
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def set_cell(path, match, column, value):
    """Change `column` of the one row matching `match`; return that row's line number."""
    rows = read_rows(path)
    found = [i for i, row in enumerate(rows) if all(row[k] == v for k, v in match.items())]
    assert len(found) == 1, match
    rows[found[0]][column] = value
    write_rows(path, rows)
    return found[0] + 2  # the header is line 1


def drop_rows(path, keep):
    rows = read_rows(path)
    kept = [row for row in rows if keep(row)]
    assert len(kept) < len(rows)
    write_rows(path, kept)
