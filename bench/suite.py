"""The test suite's speed at an earlier commit and now, side by side (`make bench-suite`).

    python -m bench.suite [--base ac2efba] [--rounds 3]

The earlier commit is checked out in a temporary git worktree that uses this checkout's
virtualenv (and its axe-core, for the browser tests). Each round runs, one after the other on the
same machine, on SQLite:

- *whole suite*: the earlier commit's test command as its Makefile ran it (`pytest -q`, one
  process), then this checkout's `make test PYTEST_ARGS=-q`;
- *same tests*: both again, each on the tests the other also has. A test function counts as in
  both when its name is in both suites, or when RENAMED below pairs the two names (the same
  check, renamed since). Tests only one side has (new features' tests, or tests replaced by
  others) are left out on both sides.

The whole suite answers "how long does `make test` take"; the same tests answer "how much
faster does the suite run the checks it had". Each figure is wall time, and the CPU time the
machine was busy meanwhile (from /proc/stat: every process, Chromium's included, and anything
else running). Runs alternate in each round, so a busy machine slows both sides alike; compare
the ratios within a round rather than times across runs.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
# The suite before its rework into shared data, query-count ceilings and parallel workers.
BASE = "ac2efba"
# Test functions renamed since BASE, earlier name -> name now (the same check).
RENAMED = {
    "test_a_failed_send_is_sent_by_the_retry": (
        "test_one_bad_address_does_not_stop_the_others_and_is_retried"
    ),
    "test_a_failed_sending_is_retried_without_sending_anything_twice": (
        "test_a_failed_e_mail_does_not_stop_the_others_and_is_sent_by_the_retry"
    ),
    "test_bar_chart_labels_each_bar_with_its_number_and_link": (
        "test_bar_chart_labels_each_bar_with_its_number_and_holds_no_link"
    ),
    "test_each_cell_has_a_shade_and_its_numbers_never_colour_alone": (
        "test_each_cell_has_a_shade_and_its_number_links_to_its_rows"
    ),
    "test_each_notification_is_sent_once_however_often_the_task_runs": (
        "test_each_notification_is_sent_once_however_often_the_job_runs"
    ),
    "test_each_role_gets_the_expected_answer_from_each_url": (
        "test_each_role_gets_the_expected_answer_from_each_url_and_no_cache_keeps_it"
    ),
    "test_fields_are_quoted_as_rfc_4180_says": "test_text_is_always_quoted_as_rfc_4180_says",
    "test_profile_page_queries": "test_profile_page_queries_do_not_grow",
    "test_relay_deletes_messages_sent_long_ago": (
        "test_relay_deletes_jobs_done_long_ago_but_keeps_keys_longer"
    ),
    "test_state_picker_queries": "test_state_picker_queries_do_not_grow_with_states",
    "test_the_evidence_review_page_queries": (
        "test_the_evidence_review_page_queries_do_not_grow_with_reviews"
    ),
    "test_the_round_form_queries": "test_the_round_form_queries_do_not_grow_with_plans",
    "test_totp_gives_the_rfc_6238_reference_codes": (
        "test_the_rfc_6238_reference_codes_are_accepted_at_their_time"
    ),
}
# Both suites run on SQLite, without the services that would turn skips into failures, and
# neither writes bytecode: the earlier commit's fresh worktree has none to read, and this
# checkout's would make its imports (and pytest's assertion rewriting) look cheaper.
ENV = {
    name: value
    for name, value in os.environ.items()
    if name not in ("DATABASE_URL", "REDIS_URL", "RPA_REQUIRE_SERVICES")
} | {"PYTHONDONTWRITEBYTECODE": "1"}
SUMMARY = re.compile(r"^=*\s*(\d+ passed.*? in [\d.]+s).*$", re.M)


def function(test_id):
    """A test id's function name, without its parameters."""
    return re.sub(r"\[.*$", "", test_id.split("::")[-1])


def collected(tree):
    """The test ids of the suite in `tree`, in the order pytest collects them."""
    out = subprocess.run(
        [VENV / "bin" / "pytest", "--collect-only", "-q"],
        cwd=tree,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if "::" in line]


def same_tests(base_ids, head_ids):
    """The ids of each side whose function the other side also has (by name, or renamed), and
    the earlier side's functions that the later one has neither way."""
    head_names = {function(test_id) for test_id in head_ids}
    base_names = {function(test_id) for test_id in base_ids}
    kept = {n for n in base_names if RENAMED.get(n, n) in head_names}
    kept_now = {RENAMED.get(n, n) for n in kept}
    return (
        [test_id for test_id in base_ids if function(test_id) in kept],
        [test_id for test_id in head_ids if function(test_id) in kept_now],
        sorted(base_names - kept),
    )


def busy_cpu():
    """Seconds of CPU the machine has spent busy since it started (Linux), or None."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = map(int, fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def timed(command, cwd):
    """Run `command`; its summary line, wall time and the machine's busy CPU time meanwhile."""
    before = busy_cpu()
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True)
    wall = time.monotonic() - started
    after = busy_cpu()
    cpu = after - before if before is not None else float("nan")
    found = SUMMARY.findall(done.stdout)
    if done.returncode or not found:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}{done.stderr}")
    return found[-1], wall, cpu


def base_tree(base, where):
    tree = where / "base"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", tree, base], cwd=ROOT, check=True
    )
    (tree / ".venv").symlink_to(VENV)
    tools = ROOT / "var" / "test-tools"
    if tools.is_dir():
        shutil.copytree(tools, tree / "var" / "test-tools", symlinks=True)
    return tree


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=BASE, help=f"the earlier commit (default {BASE})")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (VENV / "bin" / "pytest").exists():
        sys.exit("No virtualenv with pytest: run `make install` first.")

    with tempfile.TemporaryDirectory(prefix="rpa-bench-suite-") as where:
        where = Path(where)
        tree = base_tree(args.base, where)
        try:
            base_ids, head_ids = collected(tree), collected(ROOT)
            base_same, head_same, gone = same_tests(base_ids, head_ids)
            (where / "base-same.txt").write_text("\n".join(base_same) + "\n")
            (where / "head-same.txt").write_text("\n".join(head_same) + "\n")
            print(
                f"{args.base}: {len(base_ids)} tests; now: {len(head_ids)} tests; "
                f"in both: {len(base_same)} and {len(head_same)}"
            )
            print(f"{len(gone)} test functions of {args.base} that none now has (nor renamed):")
            for name in gone:
                print(f"  {name}")
            pytest = [str(VENV / "bin" / "pytest"), "-q"]
            runs = {
                "whole suite": (
                    (pytest, tree),
                    (["make", "test", "PYTEST_ARGS=-q"], ROOT),
                ),
                "same tests": (
                    (pytest + [f"@{where / 'base-same.txt'}"], tree),
                    (["make", "test", f"PYTEST_ARGS=-q @{where / 'head-same.txt'}"], ROOT),
                ),
            }
            ratios = {name: [] for name in runs}
            for number in range(1, args.rounds + 1):
                for name, sides in runs.items():
                    (base_summary, base_wall, base_cpu), (summary, wall, cpu) = (
                        timed(command, cwd) for command, cwd in sides
                    )
                    ratios[name].append(wall / base_wall)
                    print(
                        f"round {number}, {name}: {args.base} {base_wall:.1f} s "
                        f"({base_cpu:.1f} CPU-s; {base_summary}); now {wall:.1f} s "
                        f"({cpu:.1f} CPU-s; {summary}); now / {args.base} = "
                        f"{wall / base_wall:.2f}",
                        flush=True,
                    )
            for name, values in ratios.items():
                print(
                    f"{name}: now / {args.base}, median of {len(values)} rounds: "
                    f"{statistics.median(values):.2f}"
                )
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
