"""Rows streamed straight out of PostgreSQL with `COPY (query) TO STDOUT`.

COPY sends each row as one message (PostgreSQL's protocol: "always one per row"), which
psycopg 3 hands over as it comes: a download reads a million rows at the database's pace, in
constant memory, with no Python object made per value. PostgreSQL only (`available`).

COPY takes no bound parameters, so the query's parameters are merged into it client-side, as
literals quoted by psycopg (`ClientCursor.mogrify`, what psycopg itself does for
`cursor.copy(query, params)`); Django's compiled SQL (%s placeholders, %% for a literal %)
goes in as it is.
"""

import contextlib
from collections.abc import Iterator

import psycopg
from django.db import connection


def available():
    """Whether the default database can stream with COPY (PostgreSQL)."""
    return connection.vendor == "postgresql"


def copy_out(sql, params, *, options, zone=None) -> Iterator[memoryview]:
    """The rows of `COPY (sql) TO STDOUT (options)`, one bytes-like row per item.

    With `zone`, the session's time zone is `zone` while the rows stream (times formatted
    by the query, e.g. with to_char, are written in it), then Django's again.
    """
    connection.ensure_connection()
    raw = connection.connection
    statement = psycopg.ClientCursor(raw).mogrify(
        f"COPY ({sql}) TO STDOUT ({options})", tuple(params)
    )
    with raw.cursor() as cursor:
        if zone:
            cursor.execute("SELECT set_config('TimeZone', %s, false)", [zone])
        try:
            with cursor.copy(statement) as copy:
                yield from copy
        finally:
            if zone and not raw.closed:
                # In a failed transaction the rollback resets the zone.
                with contextlib.suppress(psycopg.Error):
                    connection.ensure_timezone()
