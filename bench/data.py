"""Synthetic data for the benchmark, built in SQL (INSERT ... SELECT generate_series).

Every size gets its own database, named after DATABASE_URL's with a suffix (rpa_bench_s,
rpa_bench_lb, ...). Two plans (one closed, one in force), 11 member states (Timor-Leste only
on the second plan), 7 focus areas per plan, one focal point per state, a reviewer, a
secretariat admin and an observer. For each (state, item) pair the state reports on, except
about 1 in 20 left never updated: a national status with `history` StatusHistory rows (versions
1..n, spread over the plan's years, each changing status and progress, every third also the
narrative) and `evidence` links. Each plan has two rounds in which every state's report is
accepted (snapshots of the status two and one versions back), and the plan in force also an
open round with some reports submitted.

Reproducible: every choice is a function of SEED and the row's ids (md5 in SQL), and the
rows are inserted in a fixed order, so two builds give the same rows (dates are relative to
the build day for the plan in force, so "stale" and "open round" keep their meaning).
"""

import csv
import datetime
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.apps import apps
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from reviews.queries import keep_change_counts

SEED = "rpa-bench-1"
DATA_VERSION = 3  # raise when the data this module builds changes
FOCUS_AREAS = 7
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Size:
    key: str
    label: str
    items: int  # per plan
    history: int  # rows per (state, item)
    evidence: int  # links per (state, item)


SIZES = {
    "S": Size("S", "S", items=150, history=20, evidence=2),
    "LB": Size("LB", "L-breadth", items=1500, history=20, evidence=2),
    "LD": Size("LD", "L-depth", items=150, history=200, evidence=20),
    # Only for the CSV export at a million history rows (not a page size).
    "CSV1M": Size("CSV1M", "1M history", items=150, history=336, evidence=2),
}


def base_url():
    return os.environ["DATABASE_URL"]


def database_name(size):
    path = urlsplit(base_url()).path.lstrip("/") or "rpa_bench"
    return f"{path}_{size.key.lower()}"


def _admin_url():
    parts = urlsplit(base_url())
    return urlunsplit(parts._replace(path="/postgres"))


# Database name -> its connection while another size's is in use.
_kept = {}


def use(size):
    """Point Django's default connection at `size`'s database.

    Each size keeps its own open connection, as a web worker keeps one (CONN_MAX_AGE): pages
    measured size after size do not each pay for a new connection (3-4 ms), which the SQL
    statements they are compared with never did.
    """
    current = connections[DEFAULT_DB_ALIAS]
    name = database_name(size)
    if current.settings_dict["NAME"] == name:
        return
    _kept[current.settings_dict["NAME"]] = current
    wrapper = _kept.pop(name, None)
    if wrapper is None:
        wrapper = type(current)({**current.settings_dict, "NAME": name}, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = wrapper


def _forget(name):
    """Close the kept connection to `name`, if any (before the database is dropped)."""
    wrapper = _kept.pop(name, None)
    if wrapper is not None:
        wrapper.close()


def migrations_fingerprint():
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def data_fingerprint(size):
    return f"v{DATA_VERSION}:{SEED}:{size.key}:{size.items}:{size.history}:{size.evidence}"


def _meta():
    """(data fingerprint, migrations fingerprint, built on) of the current database, or None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_meta') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT data, migrations, built_on FROM bench_meta")
        return cursor.fetchone()


def _database_exists(name):
    with psycopg.connect(_admin_url(), autocommit=True) as admin:
        row = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        return row is not None


def _recreate(name):
    with psycopg.connect(_admin_url(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def ensure(size, *, rebuild=False, log=print):
    """Make `size`'s database hold this module's data and every migration; returns build day."""
    name = database_name(size)
    meta = None
    if not rebuild and _database_exists(name):
        use(size)
        meta = _meta()
    if meta is None or meta[0] != data_fingerprint(size):
        build(size, log=log)
        use(size)
        meta = _meta()
    elif meta[1] != migrations_fingerprint():
        log(f"{size.label}: applying new migrations")
        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE bench_meta SET migrations = %s", [migrations_fingerprint()])
            cursor.execute("ANALYZE")
    return meta[2]


def build(size, *, log=print):
    started = time.monotonic()
    name = database_name(size)
    log(
        f"{size.label}: building {name} ({size.items} items per plan, {size.history} history "
        f"rows and {size.evidence} evidence links per state and item)"
    )
    connections[DEFAULT_DB_ALIAS].close()
    _forget(name)
    _recreate(name)
    use(size)
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    with transaction.atomic():
        _functions()
        ids = _reference(size, today)
        _statuses(size, ids, today)
        _rounds(size, ids, today)
    call_command("make_progress_summaries", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_meta (data text, migrations text, built_on date)")
        cursor.execute(
            "INSERT INTO bench_meta VALUES (%s, %s, %s)",
            [data_fingerprint(size), migrations_fingerprint(), today],
        )
    connection.close()
    with psycopg.connect(_url_of(name), autocommit=True) as raw:
        raw.execute("VACUUM ANALYZE")
    log(f"{size.label}: built in {time.monotonic() - started:.0f} s: {counts()}")


def _url_of(name):
    return urlunsplit(urlsplit(base_url())._replace(path=f"/{name}"))


def counts():
    tables = (
        "actions_actionitem",
        "actions_nationalstatus",
        "actions_statushistory",
        "actions_evidence",
        "reviews_submissionitem",
    )
    with connection.cursor() as cursor:
        found = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            found[table.split("_", 1)[1]] = cursor.fetchone()[0]
    return found


def _functions():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION bench_r(key text) RETURNS int LANGUAGE sql IMMUTABLE AS
            $$ SELECT (('x' || left(md5(key), 8))::bit(32)::int) & 2147483647 $$;
            CREATE FUNCTION bench_status(key text) RETURNS text LANGUAGE sql IMMUTABLE AS
            $$ SELECT (ARRAY['not_started', 'planned', 'in_progress', 'in_progress',
                'completed', 'completed', 'ongoing', 'ongoing', 'planned',
                'not_applicable'])[1 + bench_r(key) % 10] $$;
            CREATE FUNCTION bench_progress(status text, key text) RETURNS int
            LANGUAGE sql IMMUTABLE AS
            $$ SELECT CASE status WHEN 'not_started' THEN 0 WHEN 'completed' THEN 100
                WHEN 'not_applicable' THEN NULL ELSE bench_r(key || 'p') % 100 END $$;
            -- the moment of version v of n, spread over [start, start + span)
            CREATE FUNCTION bench_at(start timestamptz, span interval, v int, n int, key text)
            RETURNS timestamptz LANGUAGE sql IMMUTABLE AS
            $$ SELECT start + span * (((v - 1) + (bench_r(key) % 1000) / 1000.0) / n) $$;
            """
        )


def _reference(size, today):
    """States, plans, focus areas, items, users: small, through the ORM; items in SQL."""
    MemberState = apps.get_model("countries", "MemberState")
    Plan = apps.get_model("actions", "Plan")
    FocusArea = apps.get_model("actions", "FocusArea")
    User = apps.get_model("accounts", "User")
    with open(ROOT / "data" / "member_states.csv", encoding="utf-8") as source:
        states = MemberState.objects.bulk_create(
            MemberState(
                **{
                    **row,
                    "member_since": datetime.date.fromisoformat(row["member_since"]),
                    "reports_from": datetime.date.fromisoformat(row["reports_from"]),
                }
            )
            for row in csv.DictReader(source)
        )
    closed = Plan.objects.create(
        code="bench-2021-2025",
        short_title="Bench 2021–2025",
        title="Bench plan 2021–2025",
        start_year=2021,
        end_year=2025,
        status="closed",
        provenance="provisional",
    )
    current = Plan.objects.create(
        code="bench-2026-2030",
        short_title="Bench 2026–2030",
        title="Bench plan 2026–2030",
        start_year=2026,
        end_year=2030,
        status="in_force",
        predecessor=closed,
        provenance="provisional",
    )
    for plan in (closed, current):
        FocusArea.objects.bulk_create(
            FocusArea(
                plan=plan,
                number=n,
                title=f"Focus area {n} of {plan.short_title}: "
                "laws, capacity, services, awareness, data and cooperation",
                provenance="provisional",
            )
            for n in range(1, FOCUS_AREAS + 1)
        )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO actions_actionitem (plan_id, focus_area_id, code, position, title,
                description, level, start_year, end_year, indicator, target, provenance,
                source_note)
            SELECT p.id, fa.id, fa.number || '.' || i, i,
                'Action ' || i || ': strengthen national measures against online child '
                    || 'sexual exploitation and abuse, step ' || i,
                'Synthetic action for the benchmark.', 'national',
                p.start_year, p.start_year + i %% (p.end_year - p.start_year + 1), '', '',
                'provisional', ''
            FROM actions_plan p
            CROSS JOIN generate_series(1, %s) i
            JOIN actions_focusarea fa
              ON fa.plan_id = p.id AND fa.number = 1 + (i - 1) * %s / %s
            ORDER BY p.id, i
            """,
            [size.items, FOCUS_AREAS, size.items],
        )
    users = [
        User(
            email=f"focal.{s.code.lower()}@bench.invalid",
            name=f"Focal point {s.code}",
            role="focal_point",
            member_state=s,
            password="!",
        )
        for s in states
    ]
    users += [
        User(email="reviewer@bench.invalid", name="Reviewer", role="reviewer", password="!"),
        User(
            email="secretariat@bench.invalid", name="Secretariat", role="secretariat", password="!"
        ),
        User(email="observer@bench.invalid", name="Observer", role="observer", password="!"),
    ]
    User.objects.bulk_create(users)
    # Each plan's history runs from its start to its end, or to yesterday for the plan in force.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMP TABLE bench_span ON COMMIT DROP AS
            SELECT id AS plan_id, make_timestamptz(start_year, 1, 1, 0, 0, 0, 'UTC') AS start,
                   LEAST(make_timestamptz(end_year, 12, 1, 0, 0, 0, 'UTC'), %s::timestamptz)
                   - make_timestamptz(start_year, 1, 1, 0, 0, 0, 'UTC') AS span
            FROM actions_plan
            """,
            [timezone.now() - datetime.timedelta(days=1)],
        )
    return {"closed": closed, "current": current, "states": states}


def _statuses(size, ids, today):
    n, e = size.history, size.evidence
    key = f"'{SEED}:' || ms.id || ':' || ai.id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO actions_nationalstatus (member_state_id, action_item_id, status, progress,
                narrative, challenges, next_steps, responsible_agency, version, updated_at,
                updated_by_id)
            SELECT ms.id, ai.id, x.status, bench_progress(x.status, {key} || ':' || %(n)s),
                'Narrative of ' || ms.code || ' on action ' || ai.code || ' at version '
                    || %(n)s || ': the ministry drafted, consulted and trained as planned.',
                'Funding and staff turnover.', 'Train more staff next year.',
                'Ministry of Social Welfare', %(n)s,
                bench_at(sp.start, sp.span, %(n)s, %(n)s, {key} || ':' || %(n)s || 't'), u.id
            FROM countries_memberstate ms
            JOIN actions_actionitem ai ON true
            JOIN actions_plan p ON p.id = ai.plan_id
            JOIN bench_span sp ON sp.plan_id = p.id
            JOIN accounts_user u ON u.member_state_id = ms.id AND u.role = 'focal_point'
            CROSS JOIN LATERAL (SELECT bench_status({key} || ':' || %(n)s) AS status) x
            WHERE ms.reports_from <= make_date(p.end_year, 12, 31)
              AND bench_r({key} || ':never') %% 20 <> 0
            ORDER BY ms.id, ai.id
            """,
            {"n": n},
        )
        key = f"'{SEED}:' || ns.member_state_id || ':' || ns.action_item_id"
        cursor.execute(
            f"""
            INSERT INTO actions_statushistory (national_status_id, version, changed_at,
                changed_by_id, changes)
            SELECT ns.id, v, bench_at(sp.start, sp.span, v, %(n)s, {key} || ':' || v || 't'),
                ns.updated_by_id,
                jsonb_build_object(
                    'status', jsonb_build_array(old.status, new.status),
                    'progress', jsonb_build_array(
                        CASE WHEN v = 1 THEN 0
                             ELSE bench_progress(old.status, {key} || ':' || (v - 1)) END,
                        bench_progress(new.status, {key} || ':' || v)))
                || CASE WHEN v %% 3 = 0 THEN jsonb_build_object('narrative', jsonb_build_array(
                    'Narrative at version ' || (v - 1) || ': work went on as planned.',
                    'Narrative at version ' || v || ': work went on as planned.'))
                   ELSE '{{}}'::jsonb END
            FROM actions_nationalstatus ns
            JOIN actions_actionitem ai ON ai.id = ns.action_item_id
            JOIN bench_span sp ON sp.plan_id = ai.plan_id
            CROSS JOIN generate_series(1, %(n)s) v
            CROSS JOIN LATERAL (SELECT CASE WHEN v = 1 THEN 'not_started'
                ELSE bench_status({key} || ':' || (v - 1)) END AS status) old
            CROSS JOIN LATERAL (SELECT bench_status({key} || ':' || v) AS status) new
            ORDER BY ns.id, v
            """,
            {"n": n},
        )
        # What StatusHistory.save counts as each row is written (actions.MonthlyActivity).
        cursor.execute(
            """
            INSERT INTO actions_monthlyactivity (plan_id, focus_area_id, member_state_id, month,
                changes, completions)
            SELECT ai.plan_id, ai.focus_area_id, ns.member_state_id,
                   date_trunc('month', h.changed_at AT TIME ZONE 'Asia/Jakarta')::date, count(*),
                   count(*) FILTER (WHERE h.changes -> 'status' ->> 1 = 'completed')
            FROM actions_statushistory h
            JOIN actions_nationalstatus ns ON ns.id = h.national_status_id
            JOIN actions_actionitem ai ON ai.id = ns.action_item_id
            GROUP BY 1, 2, 3, 4
            """
        )
        cursor.execute(
            f"""
            INSERT INTO actions_evidence (national_status_id, kind, title, url, file,
                original_name, content_type, size, added_at, added_by_id, withdrawn_at, review,
                review_comment, reviewed_at, reviewed_by_id)
            SELECT ns.id, 'link', 'Evidence ' || k || ' of ' || ai.code,
                'https://evidence.bench.invalid/' || ns.id || '/' || k, '', '', '', NULL,
                bench_at(sp.start, sp.span, k, %(e)s, {key} || ':e' || k),
                ns.updated_by_id,
                CASE WHEN bench_r({key} || ':w' || k) %% 17 = 0
                     THEN bench_at(sp.start, sp.span, k, %(e)s, {key} || ':e' || k)
                          + interval '1 day' END,
                r.review, CASE WHEN r.review = 'needs_more' THEN 'Please add the decree.'
                               ELSE '' END,
                CASE WHEN r.review <> 'pending'
                     THEN bench_at(sp.start, sp.span, k, %(e)s, {key} || ':e' || k)
                          + interval '2 days' END,
                CASE WHEN r.review <> 'pending' THEN rv.id END
            FROM actions_nationalstatus ns
            JOIN actions_actionitem ai ON ai.id = ns.action_item_id
            JOIN bench_span sp ON sp.plan_id = ai.plan_id
            JOIN accounts_user rv ON rv.role = 'reviewer'
            CROSS JOIN generate_series(1, %(e)s) k
            CROSS JOIN LATERAL (SELECT (ARRAY['pending', 'accepted', 'accepted', 'needs_more'])
                [1 + bench_r({key} || ':r' || k) %% 4] AS review) r
            ORDER BY ns.id, k
            """,
            {"e": e},
        )


def _rounds(size, ids, today):
    """Two rounds per plan with every state's report accepted; an open round on the current
    plan with four reports submitted and three drafts."""
    Round = apps.get_model("reviews", "ReportingRound")
    Report = apps.get_model("reviews", "CountryReport")
    Submission = apps.get_model("reviews", "Submission")
    Transition = apps.get_model("reviews", "ReportTransition")
    User = apps.get_model("accounts", "User")
    closed, current, states = ids["closed"], ids["current"], ids["states"]
    reviewer = User.objects.get(role="reviewer")
    focal = {u.member_state_id: u for u in User.objects.filter(role="focal_point")}
    day = datetime.timedelta(days=1)
    rounds = [
        (closed, "2024 annual", datetime.date(2024, 11, 1), 2),
        (closed, "2025 annual", datetime.date(2025, 11, 1), 1),
        (current, "2026 first", today - 150 * day, 2),
        (current, "2026 second", today - 75 * day, 1),
    ]
    snapshots = []  # (submission id, state id, versions back)
    for plan, name, opens, back in rounds:
        reporting_round = Round.objects.create(
            plan=plan,
            name=name,
            opens_on=opens,
            due_on=opens + 30 * day,
            closes_on=opens + 45 * day,
            created_by=reviewer,
        )
        for state in states:
            if state.reports_from > datetime.date(plan.end_year, 12, 31):
                continue
            at = timezone.make_aware(datetime.datetime.combine(opens + 20 * day, datetime.time(10)))
            report = Report.objects.create(
                round=reporting_round,
                member_state=state,
                state="draft",
                created_at=at,
                updated_at=at,
            )
            submission = Submission.objects.create(
                report=report,
                number=1,
                submitted_by=focal[state.pk],
                submitted_at=at,
                cover_note="Our report.",
                accepted_at=at + 5 * day,
            )
            Report.objects.filter(pk=report.pk).update(
                state="accepted", accepted_submission=submission
            )
            Transition.objects.bulk_create(
                [
                    Transition(
                        report=report,
                        from_state="draft",
                        to_state="submitted",
                        by=focal[state.pk],
                        at=at,
                        submission=submission,
                    ),
                    Transition(
                        report=report,
                        from_state="submitted",
                        to_state="accepted",
                        by=reviewer,
                        at=at + 5 * day,
                        submission=submission,
                    ),
                ]
            )
            snapshots.append((submission.pk, state.pk, back))
    open_round = Round.objects.create(
        plan=current,
        name="2026 open",
        opens_on=today - 14 * day,
        due_on=today + 14 * day,
        closes_on=today + 45 * day,
        created_by=reviewer,
    )
    for index, state in enumerate(states[:7]):
        at = timezone.now() - (10 - index) * day
        report = Report.objects.create(
            round=open_round, member_state=state, state="draft", created_at=at, updated_at=at
        )
        if index < 4:
            submission = Submission.objects.create(
                report=report,
                number=1,
                submitted_by=focal[state.pk],
                submitted_at=at,
            )
            Report.objects.filter(pk=report.pk).update(state="submitted")
            Transition.objects.create(
                report=report,
                from_state="draft",
                to_state="submitted",
                by=focal[state.pk],
                at=at,
                submission=submission,
            )
            snapshots.append((submission.pk, state.pk, 0))
    n = size.history
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_snap (submission_id int, state_id int, back int)"
            " ON COMMIT DROP"
        )
        cursor.executemany("INSERT INTO bench_snap VALUES (%s, %s, %s)", snapshots)
        key = f"'{SEED}:' || sn.state_id || ':' || ai.id"
        cursor.execute(
            f"""
            INSERT INTO reviews_submissionitem (submission_id, action_item_id, code, title,
                focus_area_number, position, status, progress, narrative, challenges,
                next_steps, responsible_agency, status_version, last_changed_at,
                last_changed_by, evidence)
            SELECT sn.submission_id, ai.id, ai.code, ai.title, fa.number, ai.position,
                COALESCE(x.status, 'not_started'),
                CASE WHEN ns.id IS NULL THEN 0
                     ELSE bench_progress(x.status, {key} || ':' || (%(n)s - sn.back)) END,
                COALESCE(ns.narrative, ''), COALESCE(ns.challenges, ''),
                COALESCE(ns.next_steps, ''), COALESCE(ns.responsible_agency, ''),
                CASE WHEN ns.id IS NULL THEN 0 ELSE %(n)s - sn.back END,
                ns.updated_at, COALESCE(u.email, ''), '[]'::jsonb
            FROM bench_snap sn
            JOIN reviews_submission s ON s.id = sn.submission_id
            JOIN reviews_countryreport r ON r.id = s.report_id
            JOIN reviews_reportinground rr ON rr.id = r.round_id
            JOIN actions_actionitem ai ON ai.plan_id = rr.plan_id
            JOIN actions_focusarea fa ON fa.id = ai.focus_area_id
            LEFT JOIN actions_nationalstatus ns
              ON ns.member_state_id = sn.state_id AND ns.action_item_id = ai.id
            LEFT JOIN accounts_user u ON u.id = ns.updated_by_id
            CROSS JOIN LATERAL (SELECT CASE WHEN ns.id IS NOT NULL
                THEN bench_status({key} || ':' || (%(n)s - sn.back)) END AS status) x
            ORDER BY sn.submission_id, ai.id
            """,
            {"n": n},
        )
    # What accepting the reports through the service keeps: the change between each state's
    # accepted submissions (reviews.ChangeCount).
    for plan_id, state_id in (
        Report.objects.filter(accepted_submission__isnull=False)
        .values_list("round__plan_id", "member_state_id")
        .distinct()
    ):
        keep_change_counts(plan_id, state_id)
