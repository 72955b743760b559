"""`make bench`: time the regional view's pages, CSV exports and periodic jobs at each size.

    python -m bench [--sizes S,LB,LD] [--repeat 5] [--rebuild] [--skip csv,jobs]

Pages are requested in-process through Django's test Client (no network, DEBUG off), each
followed by its SQL bound (bench.pages); sizes and pages are interleaved in every round, and
each figure is the median of the rounds. Results are printed and written to
var/bench/results-<time>.json (and var/bench/latest.json).
"""

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from . import data  # noqa: E402
from .pages import context, pages  # noqa: E402

OUT = data.ROOT / "var" / "bench"


def log(message):
    print(message, flush=True)


def _rss_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class PeakRss:
    """The peak resident memory above the start while the block runs (sampled every 5 ms)."""

    def __enter__(self):
        self.start = self.peak = _rss_kb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_kb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_kb())
        self.extra_mb = (self.peak - self.start) / 1024


def _clients(size):
    User = apps.get_model("accounts", "User")
    clients = {}
    for role, email in (
        ("reviewer", "reviewer@bench.invalid"),
        ("focal_point", "focal.kh@bench.invalid"),
    ):
        client = Client()
        client.force_login(User.objects.get(email=email))
        clients[role] = client
    return clients


def _get(client, url):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return len(body)


def _sql(page):
    with connection.cursor() as cursor:
        cursor.execute(page.sql, page.params)
        cursor.fetchall()


def _timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, result


def measure_pages(sizes, repeat):
    setups = {}
    for size in sizes:
        data.use(size)
        ctx = context()
        setups[size.key] = {"clients": _clients(size), "pages": pages(ctx)}
    names = [page.name for page in setups[sizes[0].key]["pages"]]
    results = {name: {} for name in names}
    for size in sizes:  # warm up, check every page answers, count queries
        data.use(size)
        setup = setups[size.key]
        for page in setup["pages"]:
            client = setup["clients"][page.role]
            _get(client, page.url)
            with CaptureQueriesContext(connection) as queries:
                size_bytes = _get(client, page.url)
            _sql(page)
            results[page.name][size.key] = {
                "queries": len(queries),
                "bytes": size_bytes,
                "app_ms": [],
                "sql_ms": [],
            }
    for round_number in range(repeat):
        log(f"pages: round {round_number + 1} of {repeat}")
        for index, name in enumerate(names):
            for size in sizes:
                data.use(size)
                setup = setups[size.key]
                page = setup["pages"][index]
                entry = results[name][size.key]
                entry["app_ms"].append(_timed(_get, setup["clients"][page.role], page.url)[0])
                entry["sql_ms"].append(_timed(_sql, page)[0])
    for name in names:
        for entry in results[name].values():
            entry["app_runs"], entry["sql_runs"] = entry.pop("app_ms"), entry.pop("sql_ms")
            entry["app_ms"] = statistics.median(entry["app_runs"])
            entry["sql_ms"] = statistics.median(entry["sql_runs"])
    return results


EXPORTS = {
    "history": (
        "/reports/history/csv/",
        """
        SELECT ms.code, ms.name, p.code, ai.code, ai.title, h.version, h.changed_at,
               coalesce(nullif(u.name, ''), u.email),
               (SELECT string_agg(k, ' ' ORDER BY k) FROM jsonb_object_keys(h.changes) k),
               h.changes -> 'status' ->> 0, h.changes -> 'status' ->> 1,
               h.changes -> 'progress' ->> 0, h.changes -> 'progress' ->> 1,
               h.changes -> 'narrative' ->> 0, h.changes -> 'narrative' ->> 1,
               h.changes -> 'challenges' ->> 0, h.changes -> 'challenges' ->> 1,
               h.changes -> 'next_steps' ->> 0, h.changes -> 'next_steps' ->> 1,
               h.changes -> 'responsible_agency' ->> 0, h.changes -> 'responsible_agency' ->> 1
        FROM actions_statushistory h
        JOIN actions_nationalstatus ns ON ns.id = h.national_status_id
        JOIN countries_memberstate ms ON ms.id = ns.member_state_id
        JOIN actions_actionitem ai ON ai.id = ns.action_item_id
        JOIN actions_plan p ON p.id = ai.plan_id
        LEFT JOIN accounts_user u ON u.id = h.changed_by_id
        ORDER BY h.changed_at DESC, h.id DESC
        """,
    ),
    "evidence": (
        "/reports/evidence/csv/",
        """
        SELECT ms.code, ms.name, p.code, ai.code, ai.title, e.id, e.kind, e.title, e.url,
               e.original_name, e.content_type, e.size, e.added_at,
               coalesce(nullif(a.name, ''), a.email), e.review, e.review_comment,
               e.reviewed_at, coalesce(nullif(r.name, ''), r.email), e.withdrawn_at
        FROM actions_evidence e
        JOIN actions_nationalstatus ns ON ns.id = e.national_status_id
        JOIN countries_memberstate ms ON ms.id = ns.member_state_id
        JOIN actions_actionitem ai ON ai.id = ns.action_item_id
        JOIN actions_plan p ON p.id = ai.plan_id
        LEFT JOIN accounts_user a ON a.id = e.added_by_id
        LEFT JOIN accounts_user r ON r.id = e.reviewed_by_id
        ORDER BY e.added_at DESC, e.id DESC
        """,
    ),
    "statuses": (
        "/reports/statuses/csv/?plan={current_code}",
        """
        SELECT ms.code, ms.name, p.code, fa.number, ai.code, ai.title,
               coalesce(ns.status, 'not_started'),
               CASE WHEN ns.id IS NULL THEN 0 ELSE ns.progress END, ns.narrative,
               ns.challenges, ns.next_steps, ns.responsible_agency, ns.updated_at,
               coalesce(nullif(u.name, ''), u.email), coalesce(ns.version, 0)
        FROM countries_memberstate ms
        JOIN actions_actionitem ai ON ai.plan_id = {current}
        JOIN actions_plan p ON p.id = ai.plan_id
        JOIN actions_focusarea fa ON fa.id = ai.focus_area_id
        LEFT JOIN actions_nationalstatus ns
          ON ns.member_state_id = ms.id AND ns.action_item_id = ai.id
        LEFT JOIN accounts_user u ON u.id = ns.updated_by_id
        WHERE ms.reports_from <= make_date(p.end_year, 12, 31)
        ORDER BY ms.name, fa.number, ai.position
        """,
    ),
}


def _copy(sql):
    """Rows and bytes of COPY (sql) TO STDOUT (CSV), read by this process."""
    raw = connection.connection
    rows = size = 0
    with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for block in copy:
            size += len(block)
            rows += bytes(block).count(b"\n")
    return rows, size


def _download(client, url):
    response = client.get(url)
    rows = size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    return rows - 1, size  # less the header


def _download_file(client, url):
    """Bytes of a download that is sent as a file (the .xlsx), read to the end."""
    response = client.get(url)
    return sum(len(chunk) for chunk in response.streaming_content)


def measure_exports(size, repeat):
    data.use(size)
    ctx = context()
    client = _clients(size)["reviewer"]
    results = {}
    for name, (url, sql) in EXPORTS.items():
        url, sql = url.format(**ctx), sql.format(**ctx)
        runs = []
        for _ in range(repeat):
            connection.ensure_connection()
            with PeakRss() as app_memory:
                app_ms, (app_rows, app_bytes) = _timed(_download, client, url)
            with PeakRss() as copy_memory:
                copy_ms, (copy_rows, copy_bytes) = _timed(_copy, sql)
            with PeakRss() as xlsx_memory:
                xlsx_ms, xlsx_bytes = _timed(_download_file, client, url.replace("/csv/", "/xlsx/"))
            runs.append(
                (app_ms, copy_ms, app_memory.extra_mb, copy_memory.extra_mb, xlsx_ms)
                + (xlsx_memory.extra_mb,)
            )
        app_ms = statistics.median(run[0] for run in runs)
        copy_ms = statistics.median(run[1] for run in runs)
        results[name] = {
            "rows": app_rows,
            "copy_rows": copy_rows,
            "app_ms": app_ms,
            "copy_ms": copy_ms,
            "app_rows_per_s": app_rows / app_ms * 1000,
            "copy_rows_per_s": copy_rows / copy_ms * 1000,
            "app_bytes": app_bytes,
            "copy_bytes": copy_bytes,
            "app_extra_mb": max(run[2] for run in runs),
            "copy_extra_mb": max(run[3] for run in runs),
            "xlsx_ms": statistics.median(run[4] for run in runs),
            "xlsx_bytes": xlsx_bytes,
            "xlsx_extra_mb": max(run[5] for run in runs),
        }
        entry = results[name]
        log(
            f"csv {name} at {size.label}: {app_rows} rows, app {entry['app_rows_per_s']:,.0f} "
            f"rows/s (+{entry['app_extra_mb']:.0f} MB), COPY {entry['copy_rows_per_s']:,.0f} "
            f"rows/s, ratio {entry['app_rows_per_s'] / entry['copy_rows_per_s']:.2f}; "
            f"xlsx {entry['xlsx_ms'] / 1000:.1f} s = {entry['xlsx_ms'] / app_ms:.2f}x the CSV's "
            f"{app_ms / 1000:.1f} s (+{entry['xlsx_extra_mb']:.0f} MB, "
            f"{entry['xlsx_bytes'] / 2**20:.0f} MiB)"
        )
    return results


class _Rollback(Exception):
    pass


def _celery_task(name):
    from rpa_tracker.celery import app

    app.loader.import_default_modules()
    return app.tasks[name]


def measure_jobs(size, repeat):
    """The periodic jobs, and the refresh queued by status saves, at `size` (data unchanged:
    saves are rolled back)."""
    data.use(size)
    results = {}
    for job in ("make_progress_summaries", "send_reminders"):
        runs = []
        for _ in range(repeat):
            runs.append(_timed(call_command, job, stdout=io.StringIO())[0])
        results[job] = {"ms": statistics.median(runs), "runs": runs}
    results.update(_saves(size, repeat))
    for name, entry in results.items():
        log(f"job {name} at {size.label}: {json.dumps(entry, default=str)}")
    return results


def _saves(size, repeat):
    """One save's refresh (worker time), and what a burst of 100 saves queues and costs: by one
    state, and spread over five states."""
    from actions.services import national_status_update

    Outbox = apps.get_model("outbox", "OutboxMessage")
    User = apps.get_model("accounts", "User")
    Status = apps.get_model("actions", "NationalStatus")
    focal_points = list(
        User.objects.filter(role="focal_point", email__endswith="@bench.invalid")
        .select_related("member_state")
        .order_by("member_state__code")
    )
    focal = next(user for user in focal_points if user.email == "focal.kh@bench.invalid")

    def rows_of(user, count):
        return list(
            Status.objects.filter(
                member_state=user.member_state, action_item__plan__status="in_force"
            )
            .select_related("member_state", "action_item__plan")
            .order_by("action_item__position")[:count]
        )

    rows = rows_of(focal, 100)
    spread = [user for user in focal_points if user != focal][:4] + [focal]
    across = [(user, row) for user in spread for row in rows_of(user, 100 // len(spread))]

    def save(user, row, step):
        return national_status_update(
            user=user,
            member_state=row.member_state,
            action_item=row.action_item,
            expected_version=row.version,
            status="in_progress",
            progress=(step * 7) % 100,
            narrative=f"Bench save {step}",
            challenges=row.challenges,
            next_steps=row.next_steps,
            responsible_agency=row.responsible_agency,
        )

    def run_queued(before):
        """Run the jobs queued since the outbox had `before` messages; their worker times."""
        messages = list(Outbox.objects.order_by("-pk")[: Outbox.objects.count() - before])
        return [_timed(_celery_task(m.task_name).run, *m.args, **m.kwargs)[0] for m in messages]

    def burst(saves):
        """Save each (user, row) in one transaction (one refresh window), then run the jobs
        they queued; rolled back."""
        try:
            with transaction.atomic():
                before = Outbox.objects.count()
                started = time.perf_counter()
                for step, (user, row) in enumerate(saves):
                    save(user, row, step + 1)
                saving_ms = (time.perf_counter() - started) * 1000
                runs = run_queued(before)
                raise _Rollback
        except _Rollback:
            pass
        return {
            "saves": len(saves),
            "states": len({row.member_state_id for _, row in saves}),
            "jobs_queued": len(runs),
            "saving_ms": saving_ms,
            "worker_ms": sum(runs),
        }

    refresh_runs = []
    for attempt in range(repeat):
        try:
            with transaction.atomic():
                before = Outbox.objects.count()
                save(focal, rows[0], attempt + 1)
                refresh_runs += run_queued(before)
                raise _Rollback
        except _Rollback:
            pass
    return {
        "refresh_after_one_save": {
            "ms": statistics.median(refresh_runs) if refresh_runs else None,
            "runs": refresh_runs,
        },
        "burst_of_100_saves": burst([(focal, row) for row in rows]),
        "burst_of_100_saves_across_states": burst(across),
    }


def machine():
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=data.ROOT
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        cwd=data.ROOT,
    ).stdout.strip()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    cpu = "?"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": timezone.now().isoformat(timespec="seconds"),
        "commit": commit + ("+changes" if dirty else ""),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "load_average": os.getloadavg(),
        "postgresql": server,
        "python": sys.version.split()[0],
        "django": django.get_version(),
    }


def report_pages(results, sizes):
    keys = [size.key for size in sizes]
    header = ["page"] + [f"{k} ms" for k in keys] + [f"{k}/S" for k in keys if k != "S"]
    header += [f"SQL {k} ms" for k in keys] + ["app/SQL max", "queries", "KB max"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, by_size in results.items():
        app = [by_size[k]["app_ms"] for k in keys]
        sql = [by_size[k]["sql_ms"] for k in keys]
        cells = [name] + [f"{v:,.0f}" for v in app]
        if "S" in by_size:
            cells += [
                f"{by_size[k]['app_ms'] / by_size['S']['app_ms']:.2f}" for k in keys if k != "S"
            ]
        else:
            cells += ["" for k in keys if k != "S"]
        cells += [f"{v:,.1f}" for v in sql]
        cells.append(f"{max(a / s for a, s in zip(app, sql, strict=True)):.1f}")
        cells.append("/".join(str(by_size[k]["queries"]) for k in keys))
        cells.append(f"{max(by_size[k]['bytes'] for k in keys) / 1024:,.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        default=os.environ.get("SIZES") or "S,LB,LD",
        help="comma-separated: S, LB (L-breadth), LD (L-depth); default all",
    )
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("REPEAT") or 5))
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument(
        "--skip",
        default=os.environ.get("SKIP", ""),
        help="comma-separated parts to leave out: pages, csv, jobs",
    )
    parser.add_argument(
        "--csv-size",
        default=os.environ.get("CSV_SIZE") or "",
        help="size of the CSV measurement: the largest of --sizes by default, "
        "CSV1M for a million history rows",
    )
    parser.add_argument("--csv-repeat", type=int, default=int(os.environ.get("CSV_REPEAT") or 1))
    args = parser.parse_args(argv)
    sizes = [data.SIZES[key.strip().upper()] for key in args.sizes.split(",") if key.strip()]
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    csv_size = data.SIZES[args.csv_size.upper()] if args.csv_size else sizes[-1]
    needed = list(dict.fromkeys([*sizes, *([csv_size] if "csv" not in skip else [])]))
    built = {size.key: str(data.ensure(size, rebuild=args.rebuild, log=log)) for size in needed}
    counts = {}
    for size in needed:
        data.use(size)
        counts[size.key] = data.counts()
    result = {
        "machine": machine(),
        "sizes": {
            k: {"built_on": v, **counts[k], "label": data.SIZES[k].label} for k, v in built.items()
        },
        "repeat": args.repeat,
    }
    log(json.dumps(result["machine"]))
    if "pages" not in skip:
        result["pages"] = measure_pages(sizes, args.repeat)
        log(report_pages(result["pages"], sizes))
    if "csv" not in skip:
        result["csv"] = {"size": csv_size.key, **measure_exports(csv_size, args.csv_repeat)}
    if "jobs" not in skip:
        result["jobs"] = {size.key: measure_jobs(size, min(args.repeat, 3)) for size in sizes}
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    for path in (OUT / f"results-{stamp}.json", OUT / "latest.json"):
        Path(path).write_text(json.dumps(result, indent=1, default=str))
    log(f"written: {OUT / f'results-{stamp}.json'}")


if __name__ == "__main__":
    main()
