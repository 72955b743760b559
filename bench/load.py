"""`make load`: 20 users for 60 s against gunicorn (DEBUG off) on the benchmark's size S.

    python -m bench.load [--users 20] [--savers 5] [--seconds 60] [--port 8765]

Starts gunicorn on 127.0.0.1 only, against the size-S database of `make bench` (built if
missing), with the production settings (DEBUG=0, static files by WhiteNoise after
collectstatic). Reviewers browse the regional view (dashboards, state profile, tables,
item across states, summaries); focal points open an item's edit page and save it. Each user
waits for its answer before the next request (no think time: a worst case). Prints p50, p95
and p99 per kind of request and overall, and the errors (any answer but 200, or 302 after a
save; 409 conflicts are counted apart). Bounded: the users stop after --seconds, each request
times out after 30 s, and gunicorn is stopped at the end whatever happens.
"""

import argparse
import http.cookiejar
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.contrib.auth.hashers import PBKDF2PasswordHasher  # noqa: E402
from django.db import connection  # noqa: E402

from . import data  # noqa: E402
from .pages import context, pages  # noqa: E402

PASSWORD = "load-test-only-password"
SAVING_STATES = ("KH", "MY", "TH", "ID", "PH", "VN", "LA", "MM", "SG", "BN")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


class User:
    def __init__(self, base, email):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )
        self.email = email

    def request(self, path, form=None):
        body = None if form is None else urllib.parse.urlencode(form).encode()
        headers = {"Referer": self.base + path}
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        except OSError as error:
            status, text = 0, str(error)
        return status, text, (time.perf_counter() - started) * 1000

    def log_in(self):
        _, page, _ = self.request("/accounts/login/")
        form = {
            "csrfmiddlewaretoken": CSRF.search(page).group(1),
            "username": self.email,
            "password": PASSWORD,
        }
        status, _, _ = self.request("/accounts/login/", form)
        if status != 302:
            raise SystemExit(f"{self.email} could not sign in ({status})")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _prepare(size):
    """Usable passwords for the bench accounts, and the items the focal points save."""
    User_ = apps.get_model("accounts", "User")
    # The web server's hasher (the bench's own settings hash with MD5, which it does not read).
    hashed = PBKDF2PasswordHasher().encode(PASSWORD, "loadtestsalt")
    User_.objects.filter(email__endswith="@bench.invalid").update(password=hashed)
    Status = apps.get_model("actions", "NationalStatus")
    items = {}
    for code in SAVING_STATES:
        rows = Status.objects.filter(
            member_state__code=code, action_item__plan__status="in_force"
        ).order_by("action_item__position")
        items[code] = list(rows.values_list("action_item_id", flat=True)[:50])
    return items


def _server(port, workers):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rpa_tracker.settings",
        "DEBUG": "0",
        "SECRET_KEY": "load-test-only-not-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": _url(),
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "CELERY_BROKER_URL": "memory://",
        "TWO_FACTOR_REQUIRED_ROLES": "none",
        "STATIC_ROOT": str(data.ROOT / "var" / "bench" / "static"),
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env=env,
        cwd=data.ROOT,
        check=True,
    )
    command = [
        str(data.ROOT / ".venv" / "bin" / "gunicorn"),
        "rpa_tracker.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
    ]
    return subprocess.Popen(command, env=env, cwd=data.ROOT, start_new_session=True)


def _url():
    parts = urllib.parse.urlsplit(data.base_url())
    return urllib.parse.urlunsplit(parts._replace(path=f"/{data.database_name(data.SIZES['S'])}"))


def _wait_for(base, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/accounts/login/", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer")


def _kind(url):
    """A page's path with its ids left out, e.g. /reports/items/N/."""
    return re.sub(r"\d+", "N", url.split("?")[0])


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0


def run(args):
    size = data.SIZES["S"]
    data.ensure(size)
    data.use(size)
    items = _prepare(size)
    urls = [page.url for page in pages(context()) if page.role == "reviewer"]
    connection.close()
    base = f"http://127.0.0.1:{args.port}"
    server = _server(args.port, args.workers)
    results = []  # (kind, status, ms)
    lock = threading.Lock()
    try:
        _wait_for(base)
        users = []
        for number in range(args.users):
            if number < args.savers:
                code = SAVING_STATES[number % len(SAVING_STATES)]
                users.append(("save", User(base, f"focal.{code.lower()}@bench.invalid"), code))
            else:
                users.append(("browse", User(base, "reviewer@bench.invalid"), None))
        for _, user, _ in users:
            user.log_in()
        stop = time.monotonic() + args.seconds

        def browse(user, offset):
            step = offset
            while time.monotonic() < stop:
                url = urls[step % len(urls)]
                status, _, ms = user.request(url)
                with lock:
                    results.append((_kind(url), status, ms))
                step += 1

        def save(user, code):
            step = 0
            while time.monotonic() < stop:
                item = items[code][step % len(items[code])]
                status, page, ms = user.request(f"/national/items/{item}/edit/")
                with lock:
                    results.append(("edit page", status, ms))
                if status != 200:
                    step += 1
                    continue
                form = {
                    "csrfmiddlewaretoken": CSRF.search(page).group(1),
                    "version": VERSION.search(page).group(1),
                    "status": "in_progress",
                    "progress": str(step % 100),
                    "narrative": f"Load test save {step}",
                    "challenges": "",
                    "next_steps": "",
                    "responsible_agency": "",
                }
                status, _, ms = user.request(f"/national/items/{item}/edit/", form)
                with lock:
                    results.append(("save", 200 if status == 302 else status, ms))
                step += 1

        threads = [
            threading.Thread(target=browse, args=(user, n))
            if kind == "browse"
            else threading.Thread(target=save, args=(user, code))
            for n, (kind, user, code) in enumerate(users)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return results, elapsed


def report(results, elapsed, args):
    kinds = sorted({kind for kind, _, _ in results})
    lines = [
        f"{args.users} users ({args.savers} saving) for {elapsed:.0f} s against gunicorn "
        f"({args.workers} workers, DEBUG=0) on size S: {len(results)} requests, "
        f"{len(results) / elapsed:.1f}/s",
        "",
        "| requests | n | p50 ms | p95 ms | p99 ms | errors | conflicts |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in [*kinds, "all"]:
        rows = [r for r in results if kind in ("all", r[0])]
        times = [ms for _, _, ms in rows]
        errors = sum(1 for _, status, _ in rows if status not in (200, 409))
        conflicts = sum(1 for _, status, _ in rows if status == 409)
        lines.append(
            f"| {kind} | {len(rows)} | {statistics.median(times):,.0f} | "
            f"{_percentile(times, 0.95):,.0f} | {_percentile(times, 0.99):,.0f} | "
            f"{errors} | {conflicts} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--savers", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOAD_PORT") or 8765))
    args = parser.parse_args(argv)
    args.seconds = min(args.seconds, 600)
    args.users = min(args.users, 100)
    results, elapsed = run(args)
    print(report(results, elapsed, args), flush=True)


if __name__ == "__main__":
    main()
