"""The columns of each download (documented in docs/downloads.md), in order.

Each table's download has its columns as `(header, function of a record)` (the Python path,
any database), and the long ones (history, evidence) also as `(header, field path or
expression)`: read in SQL, so on PostgreSQL a million-row download comes straight out of the
database (`downloads.rows`). Texts are written in full (not shortened as on the pages), with
codes beside names so the bulk update can read them back.
"""

from django.db.models import Case, F, TextField, Value, When
from django.db.models.functions import Coalesce, NullIf

from actions.models import NationalStatus

from .sql_values import (
    ITEM_PROVENANCE_CSV_VALUE,
    STATUS_ITEM_CSV_VALUES,
    JsonKeys,
    changed_value,
    user_name,
)


def header(columns):
    return [name for name, _ in columns]


def _status_label(value):
    return NationalStatus.display_value("status", value)


def _name(user):
    return user and (user.name or user.email)


# The national statuses (rows of `actions.queries.status_pairs`), also the update file's.
STATUS_COLUMNS = (
    ("member_state_code", lambda r: r.state_code),
    ("member_state", lambda r: r.state_name),
    ("plan", lambda r: r.plan_code),
    ("focus_area", lambda r: r.focus_area_number),
    ("item_code", lambda r: r.code),
    ("item_title", lambda r: r.title),
    ("status", lambda r: r.status),
    ("status_label", lambda r: _status_label(r.status)),
    ("progress", lambda r: r.progress),
    ("narrative", lambda r: r.narrative),
    ("challenges", lambda r: r.challenges),
    ("next_steps", lambda r: r.next_steps),
    ("responsible_agency", lambda r: r.responsible_agency),
    ("updated_at", lambda r: r.updated_at),
    ("updated_by", lambda r: r.updated_by_name or r.updated_by_email),
    ("version", lambda r: r.status_version),
    ("provenance", lambda r: r.provenance),
)

STATUS_CHOICES = NationalStatus.Status.choices
# The same read in SQL, from the names `actions.queries.status_pairs` gives its rows.
STATUS_VALUES = (
    ("member_state_code", "state_code"),
    ("member_state", "state_name"),
    ("plan", "plan_code"),
    ("focus_area", "focus_area_number"),
    ("item_code", "code"),
    ("item_title", "title"),
    ("status", "status"),
    (
        "status_label",
        Case(
            *(
                When(status=value, then=Value(label))
                for value, label in NationalStatus.Status.choices
            ),
            default=F("status"),
        ),
    ),
    ("progress", "progress"),
    ("narrative", "narrative"),
    ("challenges", "challenges"),
    ("next_steps", "next_steps"),
    ("responsible_agency", "responsible_agency"),
    ("updated_at", "updated_at"),
    (
        "updated_by",
        Coalesce(
            NullIf("updated_by_name", Value("")), "updated_by_email", output_field=TextField()
        ),
    ),
    ("version", "status_version"),
    ("provenance", "provenance"),
)

# The first columns of rows hanging off a national status (history, evidence).
STATUS_ITEM_COLUMNS = (
    ("member_state_code", lambda r: r.national_status.member_state.code),
    ("member_state", lambda r: r.national_status.member_state.name),
    ("plan", lambda r: r.national_status.action_item.plan.code),
    ("item_code", lambda r: r.national_status.action_item.code),
    ("item_title", lambda r: r.national_status.action_item.title),
)
# Their last column: whether the action's wording is provisional or confirmed.
ITEM_PROVENANCE_COLUMN = ("provenance", lambda r: r.national_status.action_item.provenance)


def _old_new(field):
    def old(record):
        return record.changes.get(field, [None, None])[0]

    def new(record):
        return record.changes.get(field, [None, None])[1]

    return [(f"{field}_old", old), (f"{field}_new", new)]


HISTORY_COLUMNS = (
    *STATUS_ITEM_COLUMNS,
    ("version", lambda r: r.version),
    ("changed_at", lambda r: r.changed_at),
    ("changed_by", lambda r: _name(r.changed_by)),
    ("changed_fields", lambda r: " ".join(sorted(r.changes))),
    *(column for field in NationalStatus.TRACKED_FIELDS for column in _old_new(field)),
    ITEM_PROVENANCE_COLUMN,
)
HISTORY_VALUES = (
    *STATUS_ITEM_CSV_VALUES,
    ("version", "version"),
    ("changed_at", "changed_at"),
    ("changed_by", user_name("changed_by")),
    ("changed_fields", JsonKeys("changes", known=NationalStatus.TRACKED_FIELDS)),
    *(
        (f"{field}_{end}", changed_value(field, index))
        for field in NationalStatus.TRACKED_FIELDS
        for end, index in (("old", 0), ("new", 1))
    ),
    ITEM_PROVENANCE_CSV_VALUE,
)

EVIDENCE_COLUMNS = (
    *STATUS_ITEM_COLUMNS,
    ("evidence_id", lambda r: r.pk),
    ("kind", lambda r: r.kind),
    ("title", lambda r: r.title),
    ("url", lambda r: r.url),
    ("original_name", lambda r: r.original_name),
    ("content_type", lambda r: r.content_type),
    ("size", lambda r: r.size),
    ("added_at", lambda r: r.added_at),
    ("added_by", lambda r: _name(r.added_by)),
    ("review", lambda r: r.review),
    ("review_comment", lambda r: r.review_comment),
    ("reviewed_at", lambda r: r.reviewed_at),
    ("reviewed_by", lambda r: _name(r.reviewed_by)),
    ("withdrawn_at", lambda r: r.withdrawn_at),
    ITEM_PROVENANCE_COLUMN,
)
EVIDENCE_VALUES = (
    *STATUS_ITEM_CSV_VALUES,
    ("evidence_id", "pk"),
    ("kind", "kind"),
    ("title", "title"),
    ("url", "url"),
    ("original_name", "original_name"),
    ("content_type", "content_type"),
    ("size", "size"),
    ("added_at", "added_at"),
    ("added_by", user_name("added_by")),
    ("review", "review"),
    ("review_comment", "review_comment"),
    ("reviewed_at", "reviewed_at"),
    ("reviewed_by", user_name("reviewed_by")),
    ("withdrawn_at", "withdrawn_at"),
    ITEM_PROVENANCE_CSV_VALUE,
)

# A state's report in a round: the frozen rows of one submission (review workflow).
ROUND_REPORT_COLUMNS = (
    ("member_state_code", lambda s, i: s.report.member_state.code),
    ("member_state", lambda s, i: s.report.member_state.name),
    ("plan", lambda s, i: s.report.round.plan.code),
    ("round", lambda s, i: s.report.round.name),
    ("submission", lambda s, i: s.number),
    ("submitted_at", lambda s, i: s.submitted_at),
    ("accepted_at", lambda s, i: s.accepted_at),
    ("focus_area", lambda s, i: i.focus_area_number),
    ("item_code", lambda s, i: i.code),
    ("item_title", lambda s, i: i.title),
    ("status", lambda s, i: i.status),
    ("status_label", lambda s, i: _status_label(i.status)),
    ("progress", lambda s, i: i.progress),
    ("narrative", lambda s, i: i.narrative),
    ("challenges", lambda s, i: i.challenges),
    ("next_steps", lambda s, i: i.next_steps),
    ("responsible_agency", lambda s, i: i.responsible_agency),
    ("updated_at", lambda s, i: i.last_changed_at),
    ("updated_by", lambda s, i: i.last_changed_by),
    ("version", lambda s, i: i.status_version),
    ("provenance", lambda s, i: i.provenance),  # the action's, annotated by the view
)
