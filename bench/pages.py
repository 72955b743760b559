"""The pages the benchmark times, each with one hand-written SQL statement for the same
figures or rows: the lower bound of what the page could cost.

A page is (name, who asks, its URL, its bound). The bound returns what the page shows: the
figures it aggregates, and the rows of the page it lists (a paged table: its row count and the
page's 25 rows), in one statement, however many sub-selects that takes.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

PAGE = 25
REPORT_PAGE = 50  # reviews.pages.REPORT_ITEMS


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # whose session asks: reviewer or focal_point (Cambodia's)
    url: str
    sql: str
    params: dict


def context():
    """Ids and figures the page URLs and bounds need, read from the current database."""
    with connection.cursor() as cursor:

        def one(sql, params=()):
            cursor.execute(sql, params)
            return cursor.fetchone()

        current, current_code, current_end = one(
            "SELECT id, code, end_year FROM actions_plan WHERE status = 'in_force'"
        )
        closed, closed_code, closed_end = one(
            "SELECT id, code, end_year FROM actions_plan WHERE status = 'closed'"
        )
        items = one("SELECT count(*) FROM actions_actionitem WHERE plan_id = %s", [current])[0]
        (item,) = one(
            "SELECT id FROM actions_actionitem WHERE plan_id = %s ORDER BY position LIMIT 1 "
            "OFFSET %s",
            [current, items // 2],
        )
        (kh,) = one("SELECT id FROM countries_memberstate WHERE code = 'KH'")
        (reporting,) = one(
            "SELECT count(*) FROM countries_memberstate WHERE reports_from <= %s",
            [datetime.date(current_end, 12, 31)],
        )
        (accepted_round,) = one("SELECT id FROM reviews_reportinground WHERE name = '2026 second'")
        (open_round,) = one("SELECT id FROM reviews_reportinground WHERE name = '2026 open'")
        (summary,) = one(
            "SELECT id FROM reports_progresssummary WHERE plan_id = %s AND member_state_id IS "
            "NULL ORDER BY period_start DESC LIMIT 1",
            [current],
        )
    return {
        "current": current,
        "current_code": current_code,
        "current_last_day": datetime.date(current_end, 12, 31),
        "closed": closed,
        "closed_code": closed_code,
        "closed_last_day": datetime.date(closed_end, 12, 31),
        "item": item,
        "kh": kh,
        "pairs": reporting * items,
        "accepted_round": accepted_round,
        "open_round": open_round,
        "summary": summary,
    }


def _months_back(end, months=12):
    """The first day of the month `months - 1` before `end`'s (local time), like
    queries.monthly_activity."""
    local = timezone.localtime(end)
    index = local.year * 12 + local.month - 1 - (months - 1)
    return datetime.date(index // 12, index % 12 + 1, 1)


DASHBOARD = """
WITH matrix AS (
    SELECT ns.member_state_id, ai.focus_area_id, ns.status, count(*) AS pairs,
           coalesce(sum(ns.progress), 0) AS progress,
           count(*) FILTER (WHERE ns.updated_at < %(cutoff)s) AS stale
    FROM actions_nationalstatus ns
    JOIN actions_actionitem ai ON ai.id = ns.action_item_id
    JOIN countries_memberstate ms ON ms.id = ns.member_state_id
    WHERE ai.plan_id = %(plan)s AND ms.reports_from <= %(last_day)s
    GROUP BY 1, 2, 3
), activity AS (
    -- the counts kept per month (actions_monthlyactivity, months of Asia/Jakarta), and the
    -- history rows between each month's start here and there (none in the site's zone)
    SELECT month, sum(changes) AS changes, sum(completions) AS completions
    FROM actions_monthlyactivity
    WHERE plan_id = %(plan)s AND month >= %(first_month)s
      AND month < %(first_month)s::date + interval '12 months'
    GROUP BY 1
), edges AS (
    SELECT w.i, count(*) AS changes,
           count(*) FILTER (WHERE h.changes -> 'status' ->> 1 = 'completed') AS completions
    FROM actions_statushistory h
    JOIN actions_nationalstatus ns ON ns.id = h.national_status_id
    JOIN actions_actionitem ai ON ai.id = ns.action_item_id
    CROSS JOIN LATERAL (SELECT {edge_index} AS i) w
    WHERE ai.plan_id = %(plan)s AND ({edge_filter})
    GROUP BY 1
), accepted AS (
    SELECT r.member_state_id, s.id,
           row_number() OVER (PARTITION BY r.member_state_id
                              ORDER BY rr.opens_on DESC, s.number DESC) AS k
    FROM reviews_countryreport r
    JOIN reviews_submission s ON s.id = r.accepted_submission_id
    JOIN reviews_reportinground rr ON rr.id = r.round_id
    WHERE rr.plan_id = %(plan)s
), changed AS (
    -- the counts kept when the reports were accepted (reviews_changecount)
    SELECT cur.member_state_id, c.count AS items
    FROM accepted cur
    JOIN accepted prev ON prev.member_state_id = cur.member_state_id AND prev.k = 2
    JOIN reviews_changecount c
      ON c.submission_id = cur.id AND c.previous_id = prev.id AND c.focus_area_number IS NULL
    WHERE cur.k = 1
)
SELECT (SELECT json_agg(matrix) FROM matrix), (SELECT json_agg(activity) FROM activity),
       (SELECT json_agg(edges) FROM edges), (SELECT json_agg(changed) FROM changed)
"""

STATE_PROFILE = """
WITH figures AS (
    SELECT ai.focus_area_id, ns.status, count(*), coalesce(sum(ns.progress), 0),
           count(*) FILTER (WHERE ns.updated_at < %(cutoff)s)
    FROM actions_nationalstatus ns
    JOIN actions_actionitem ai ON ai.id = ns.action_item_id
    WHERE ai.plan_id = %(plan)s AND ns.member_state_id = %(state)s
    GROUP BY 1, 2
), items AS (
    SELECT ai.id, ai.code, ai.title, fa.number, coalesce(ns.status, 'not_started'),
           ns.progress, ns.updated_at
    FROM actions_actionitem ai
    JOIN actions_focusarea fa ON fa.id = ai.focus_area_id
    LEFT JOIN actions_nationalstatus ns
      ON ns.action_item_id = ai.id AND ns.member_state_id = %(state)s
    WHERE ai.plan_id = %(plan)s
    ORDER BY fa.number, ai.position, ai.code
    LIMIT %(page)s
), recent AS (
    SELECT h.id, h.version, h.changed_at, h.changes, ai.code, u.name
    FROM actions_statushistory h
    JOIN actions_nationalstatus ns ON ns.id = h.national_status_id
    JOIN actions_actionitem ai ON ai.id = ns.action_item_id
    LEFT JOIN accounts_user u ON u.id = h.changed_by_id
    WHERE ns.member_state_id = %(state)s AND ai.plan_id = %(plan)s
    ORDER BY h.changed_at DESC, h.version DESC
    LIMIT 10
)
SELECT (SELECT json_agg(figures) FROM figures),
       (SELECT count(*) FROM actions_actionitem WHERE plan_id = %(plan)s),
       (SELECT json_agg(items) FROM items), (SELECT json_agg(recent) FROM recent)
"""

ITEM = """
SELECT ms.id, ms.name, coalesce(ns.status, 'not_started'), ns.progress, ns.narrative,
       ns.challenges, ns.next_steps, ns.responsible_agency, ns.updated_at
FROM countries_memberstate ms
LEFT JOIN actions_nationalstatus ns ON ns.member_state_id = ms.id AND ns.action_item_id = %(item)s
ORDER BY ms.name
"""

STATUS_ROWS = """
WITH pairs AS (
    SELECT ms.name AS state, ms.code, ai.id, ai.code AS item_code, ai.title,
           fa.number AS area, ai.position, coalesce(ns.status, 'not_started') AS status,
           CASE WHEN ns.id IS NULL THEN 0 ELSE ns.progress END AS progress,
           ns.narrative, ns.updated_at, u.name AS updated_by
    FROM countries_memberstate ms
    JOIN actions_actionitem ai ON ai.plan_id = %(plan)s
    JOIN actions_focusarea fa ON fa.id = ai.focus_area_id
    LEFT JOIN actions_nationalstatus ns
      ON ns.member_state_id = ms.id AND ns.action_item_id = ai.id
    LEFT JOIN accounts_user u ON u.id = ns.updated_by_id
    WHERE ms.reports_from <= %(last_day)s {where}
)
SELECT (SELECT count(*) FROM pairs),
       (SELECT json_agg(t) FROM (SELECT * FROM pairs ORDER BY state, area, position
                                 LIMIT %(page)s OFFSET %(offset)s) t)
"""

# The deep page as the app reads it (regional/status_grid.py): the page's rows follow from its
# offset (state r / n, item r % n of n items), so no pair before it is read.
STATUS_DEEP_ROWS = """
WITH st AS (
    SELECT id, name, code, row_number() OVER (ORDER BY name) - 1 AS k
    FROM countries_memberstate WHERE reports_from <= %(last_day)s
), it AS (
    SELECT ai.id, ai.code, ai.title, fa.number AS area, ai.position,
           row_number() OVER (ORDER BY fa.number, ai.position, ai.code) - 1 AS k
    FROM actions_actionitem ai JOIN actions_focusarea fa ON fa.id = ai.focus_area_id
    WHERE ai.plan_id = %(plan)s
), n AS (SELECT count(*) AS n FROM it)
SELECT (SELECT n * (SELECT count(*) FROM st) FROM n),
       (SELECT json_agg(t ORDER BY t.r) FROM (
            SELECT r, st.name AS state, st.code, it.id, it.code AS item_code, it.title, it.area,
                   it.position, coalesce(ns.status, 'not_started') AS status,
                   CASE WHEN ns.id IS NULL THEN 0 ELSE ns.progress END AS progress,
                   ns.narrative, ns.updated_at, u.name AS updated_by
            FROM generate_series(%(offset)s, %(offset)s + %(page)s - 1) r
            CROSS JOIN n
            JOIN st ON st.k = r / n.n
            JOIN it ON it.k = r %% n.n
            LEFT JOIN actions_nationalstatus ns
              ON ns.member_state_id = st.id AND ns.action_item_id = it.id
            LEFT JOIN accounts_user u ON u.id = ns.updated_by_id) t)
"""

HISTORY = """
SELECT (SELECT count(*) FROM actions_statushistory),
       (SELECT json_agg(t) FROM (
            SELECT h.id, h.version, h.changed_at, h.changes, ms.code, ms.name, ai.code,
                   ai.title, p.code, u.name
            FROM actions_statushistory h
            JOIN actions_nationalstatus ns ON ns.id = h.national_status_id
            JOIN countries_memberstate ms ON ms.id = ns.member_state_id
            JOIN actions_actionitem ai ON ai.id = ns.action_item_id
            JOIN actions_plan p ON p.id = ai.plan_id
            LEFT JOIN accounts_user u ON u.id = h.changed_by_id
            ORDER BY h.changed_at DESC, h.id DESC
            LIMIT %(page)s) t)
"""

EVIDENCE = """
SELECT (SELECT count(*) FROM actions_evidence),
       (SELECT json_agg(t) FROM (
            SELECT e.id, e.title, e.kind, e.review, e.added_at, e.withdrawn_at, ms.code,
                   ms.name, ai.code, p.code
            FROM actions_evidence e
            JOIN actions_nationalstatus ns ON ns.id = e.national_status_id
            JOIN countries_memberstate ms ON ms.id = ns.member_state_id
            JOIN actions_actionitem ai ON ai.id = ns.action_item_id
            JOIN actions_plan p ON p.id = ai.plan_id
            ORDER BY e.added_at DESC, e.id DESC
            LIMIT %(page)s) t)
"""

WORKSPACE = """
WITH rows AS (
    SELECT ai.id, ai.code, ai.title, fa.number, ai.position,
           coalesce(ns.status, 'not_started') AS status, ns.progress, ns.updated_at,
           u.name AS updated_by,
           EXISTS (SELECT 1 FROM actions_evidence e WHERE e.national_status_id = ns.id
                   AND e.review = 'needs_more' AND e.withdrawn_at IS NULL) AS needs_more
    FROM actions_actionitem ai
    JOIN actions_focusarea fa ON fa.id = ai.focus_area_id
    LEFT JOIN actions_nationalstatus ns
      ON ns.action_item_id = ai.id AND ns.member_state_id = %(state)s
    LEFT JOIN accounts_user u ON u.id = ns.updated_by_id
    WHERE ai.plan_id = %(plan)s
)
SELECT count(*), count(*) FILTER (WHERE updated_at IS NULL),
       count(*) FILTER (WHERE updated_at < %(cutoff)s),
       count(*) FILTER (WHERE updated_at >= %(cutoff)s AND status = 'not_started'),
       count(*) FILTER (WHERE needs_more),
       (SELECT json_agg(t) FROM (SELECT * FROM rows ORDER BY number, position, code
                                 LIMIT %(page)s) t)
FROM rows
"""

COUNTRY_REPORT = """
WITH items AS (
    SELECT i.code, i.title, i.focus_area_number, i.position, i.status, i.progress, i.narrative,
           i.challenges, i.next_steps, i.status_version, i.last_changed_at, i.evidence
    FROM reviews_submissionitem i
    JOIN reviews_submission s ON s.id = i.submission_id
    JOIN reviews_countryreport r ON r.id = s.report_id
    WHERE r.round_id = %(round)s AND r.member_state_id = %(state)s
      AND s.number = (SELECT max(number) FROM reviews_submission WHERE report_id = r.id)
)
SELECT (SELECT json_agg(t) FROM (SELECT status, count(*) FROM items GROUP BY 1) t),
       (SELECT json_agg(t) FROM (SELECT * FROM items ORDER BY focus_area_number, position, code
                                 LIMIT %(report_page)s) t)
"""

COMPLIANCE = """
SELECT ms.id, ms.name, r.state, min(s.submitted_at), max(s.submitted_at)
FROM countries_memberstate ms
LEFT JOIN reviews_countryreport r ON r.member_state_id = ms.id AND r.round_id = %(round)s
LEFT JOIN reviews_submission s ON s.report_id = r.id
WHERE ms.reports_from <= %(last_day)s
GROUP BY 1, 2, 3
ORDER BY ms.name
"""

SUMMARY_LIST = """
SELECT (SELECT count(*) FROM reports_progresssummary),
       (SELECT json_agg(t) FROM (
            SELECT s.id, s.period_start, s.period_end, s.final, s.figures -> 'completed_share',
                   s.figures -> 'average_progress', p.short_title, ms.name
            FROM reports_progresssummary s
            JOIN actions_plan p ON p.id = s.plan_id
            LEFT JOIN countries_memberstate ms ON ms.id = s.member_state_id
            ORDER BY s.period_start DESC, p.start_year, ms.name
            LIMIT %(page)s) t)
"""

SUMMARY_DETAIL = """
SELECT s.figures,
       (SELECT json_agg(t.figures) FROM (
            SELECT o.figures FROM reports_progresssummary o
            WHERE o.plan_id = s.plan_id AND o.member_state_id IS NULL
              AND o.period_start <= s.period_start
            ORDER BY o.period_start DESC LIMIT 26) t),
       (SELECT json_agg(o.figures -> 'average_progress') FROM reports_progresssummary o
        WHERE o.plan_id = s.plan_id AND o.period_start = s.period_start
          AND o.member_state_id IS NOT NULL)
FROM reports_progresssummary s
WHERE s.id = %(summary)s
"""


KEPT_ZONE = ZoneInfo("Asia/Jakarta")  # actions.models.ACTIVITY_TIME_ZONE


def _dashboard(first_month):
    """DASHBOARD with the history rows between each month's start here and in the zone of the
    kept counts (none when they are the same zone), and those moments as parameters."""
    zone = timezone.get_current_timezone()
    windows, params = [], {}
    for n in range(13):
        index = first_month.year * 12 + first_month.month - 1 + n
        month = datetime.date(index // 12, index % 12 + 1, 1)
        here = datetime.datetime.combine(month, datetime.time.min, tzinfo=zone)
        kept = datetime.datetime.combine(month, datetime.time.min, tzinfo=KEPT_ZONE)
        if here != kept:
            windows.append(n)
            params[f"low{n}"], params[f"high{n}"] = min(here, kept), max(here, kept)
    ranges = {n: f"h.changed_at >= %(low{n})s AND h.changed_at < %(high{n})s" for n in windows}
    sql = DASHBOARD.format(
        edge_index="CASE "
        + " ".join(f"WHEN {where} THEN {n}" for n, where in ranges.items())
        + " END"
        if ranges
        else "NULL::int",
        edge_filter=" OR ".join(f"({where})" for where in ranges.values()) or "false",
    )
    return sql, {"first_month": first_month, **params}


def pages(ctx, *, now=None):
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=90)
    zone = timezone.get_current_timezone_name()
    current = {"plan": ctx["current"], "last_day": ctx["current_last_day"]}
    closed = {"plan": ctx["closed"], "last_day": ctx["closed_last_day"]}
    closed_end = timezone.make_aware(
        datetime.datetime.combine(ctx["closed_last_day"], datetime.time(12))
    )
    base = {"cutoff": cutoff, "zone": zone, "page": PAGE, "offset": 0, "state": ctx["kh"]}
    deep = (ctx["pairs"] * 9 // 10) // PAGE
    filtered = "AND coalesce(ns.status, 'not_started') = 'in_progress' AND fa.number = 3"
    c, k = ctx["current_code"], ctx["closed_code"]
    dashboard_now, dashboard_closed = (
        _dashboard(_months_back(now)),
        _dashboard(_months_back(closed_end)),
    )
    return [
        Page(
            "dashboard, current plan",
            "reviewer",
            f"/reports/plans/{c}/",
            dashboard_now[0],
            {**base, **current, **dashboard_now[1]},
        ),
        Page(
            "dashboard, closed plan",
            "reviewer",
            f"/reports/plans/{k}/",
            dashboard_closed[0],
            {**base, **closed, **dashboard_closed[1]},
        ),
        Page(
            "state profile",
            "reviewer",
            f"/reports/states/KH/?plan={c}",
            STATE_PROFILE,
            {**base, **current},
        ),
        Page(
            "item across states",
            "reviewer",
            f"/reports/items/{ctx['item']}/",
            ITEM,
            {**base, "item": ctx["item"]},
        ),
        Page(
            "status table",
            "reviewer",
            f"/reports/statuses/?plan={c}",
            STATUS_ROWS.format(where=""),
            {**base, **current},
        ),
        Page(
            "status table, filtered",
            "reviewer",
            f"/reports/statuses/?plan={c}&status=in_progress&focus_area=3",
            STATUS_ROWS.format(where=filtered),
            {**base, **current},
        ),
        Page(
            "status table, deep page",
            "reviewer",
            f"/reports/statuses/?plan={c}&page={deep}",
            STATUS_DEEP_ROWS,
            {**base, **current, "offset": (deep - 1) * PAGE},
        ),
        Page("history", "reviewer", "/reports/history/", HISTORY, base),
        Page("evidence", "reviewer", "/reports/evidence/", EVIDENCE, base),
        Page("workspace", "focal_point", f"/national/plans/{c}/", WORKSPACE, {**base, **current}),
        Page(
            "country report",
            "reviewer",
            f"/review/rounds/{ctx['accepted_round']}/states/KH/",
            COUNTRY_REPORT,
            {**base, "round": ctx["accepted_round"], "report_page": REPORT_PAGE},
        ),
        Page(
            "compliance",
            "reviewer",
            f"/review/rounds/{ctx['open_round']}/compliance/",
            COMPLIANCE,
            {**base, **current, "round": ctx["open_round"]},
        ),
        Page("summary list", "reviewer", "/summaries/", SUMMARY_LIST, base),
        Page(
            "summary detail",
            "reviewer",
            f"/summaries/{ctx['summary']}/",
            SUMMARY_DETAIL,
            {**base, "summary": ctx["summary"]},
        ),
    ]
