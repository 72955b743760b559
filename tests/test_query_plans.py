"""The paged tables read history and evidence through an index, never a sequential scan.

With tens of thousands of rows (enough that PostgreSQL's planner weighs a scan against an
index), each table page's query (the one fetching the page's rows) is run through EXPLAIN: a
sequential scan of status history or evidence means a page that joins and sorts every row to
show 25, as the history table did before its (changed_at, id) index. PostgreSQL only.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role

from . import factories
from .conftest import service_missing

pytestmark = pytest.mark.postgres

WATCHED = {"actions_statushistory", "actions_evidence"}
STATUSES_PER_STATE = 60
HISTORY_PER_STATUS = 300  # 3 states x 60 items x 300 = 54,000 history rows
EVIDENCE_PER_STATUS = 30


@pytest.fixture
def many_rows(db):
    if connection.vendor != "postgresql":
        service_missing("query plan test needs PostgreSQL (set DATABASE_URL=postgres://...)")
    plan = factories.make_plan(2026, 2030, status="in_force")
    areas = [factories.make_focus_area(plan) for _ in range(3)]
    for number in range(STATUSES_PER_STATE):
        factories.make_item(areas[number % 3])
    states = [factories.make_state(code) for code in ("KH", "MY", "TH")]
    author = factories.make_user(Role.FOCAL_POINT, states[0])
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO actions_nationalstatus (member_state_id, action_item_id, status,
                progress, narrative, challenges, next_steps, responsible_agency, version,
                updated_at, updated_by_id)
            SELECT ms.id, ai.id, 'in_progress', 40, '', '', '', '', %(history)s, now(), %(user)s
            FROM countries_memberstate ms CROSS JOIN actions_actionitem ai
            """,
            {"history": HISTORY_PER_STATUS, "user": author.pk},
        )
        cursor.execute(
            """
            INSERT INTO actions_statushistory (national_status_id, version, changed_at,
                changed_by_id, changes)
            SELECT ns.id, v, now() - ((ns.id %% 1000) * 1000 + v) * interval '1 minute', %(user)s,
                jsonb_build_object('progress', jsonb_build_array(v - 1, v %% 100))
            FROM actions_nationalstatus ns CROSS JOIN generate_series(1, %(history)s) v
            """,
            {"history": HISTORY_PER_STATUS, "user": author.pk},
        )
        cursor.execute(
            """
            INSERT INTO actions_evidence (national_status_id, kind, title, url, file,
                original_name, content_type, added_at, added_by_id, review, review_comment)
            SELECT ns.id, 'link', 'Evidence ' || k, 'https://example.org/' || ns.id || '/' || k,
                '', '', '', now() - ((ns.id %% 1000) * 100 + k) * interval '1 hour', %(user)s,
                'pending', ''
            FROM actions_nationalstatus ns CROSS JOIN generate_series(1, %(evidence)s) k
            """,
            {"evidence": EVIDENCE_PER_STATUS, "user": author.pk},
        )
        cursor.execute("ANALYZE")
    return plan


def _scans(node):
    """(node type, relation) of every node of an EXPLAIN (FORMAT JSON) plan."""
    yield node["Node Type"], node.get("Relation Name")
    for child in node.get("Plans", []):
        yield from _scans(child)


def _page_queries(client, url):
    """The page's queries that fetch rows of history or evidence one page at a time (not the
    history pager's capped count, `SELECT COUNT(*) FROM (… LIMIT cap + 1)`: it reads at most
    that many rows however it scans them)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [
        query["sql"]
        for query in queries.captured_queries
        if "LIMIT" in query["sql"]
        and not query["sql"].startswith("SELECT COUNT(*)")
        and any(f'"{table}"' in query["sql"] for table in WATCHED)
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/reports/history/",
        "/reports/history/?sort=changed_at",
        "/reports/history/?state=KH",
        "/reports/history/?changed_since=2020-01-01",
        "/reports/history/?page=40",
        "/reports/evidence/",
        "/reports/evidence/?sort=added_at",
        "/reports/evidence/?state=MY",
        "/reports/states/KH/",
    ],
)
def test_table_pages_read_history_and_evidence_through_an_index(many_rows, url):
    reviewer = factories.make_user(Role.REVIEWER)
    queries = _page_queries(factories.logged_in(reviewer), url)
    assert queries, f"{url} ran no paged query on history or evidence"
    for sql in queries:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        scans = set(_scans(plan[0]["Plan"]))
        sequential = {table for kind, table in scans if kind == "Seq Scan" and table in WATCHED}
        assert not sequential, f"{url}: sequential scan of {sequential} in\n{sql}"
