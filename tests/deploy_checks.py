"""`manage.py check --deploy --fail-level WARNING` under several environments, in one process.

    python -m tests.deploy_checks < cases.json    # {case: {VARIABLE: value, ...}, ...}

Django starts with the process's own environment, as manage.py would, and the first case must
name no variables: its check is exactly `manage.py check --deploy`. Each further case runs
settings.py again with its variables over that environment, and the settings that come out
different are applied over the running ones for its check (a process takes seconds to start
Django; a check takes a fraction of one). A case that would change a setting a running
process cannot change is refused. Prints {case: [exit status, stdout, stderr]} as JSON.
"""

import contextlib
import importlib
import io
import json
import os
import runpy
import sys

# Settings read once, when Django starts: a case that changes them needs a process of its own.
FIXED_AT_START = {"INSTALLED_APPS", "DATABASES", "DEFAULT_AUTO_FIELD", "AUTH_USER_MODEL"}
REFUSED = 2


def check():
    """Exit status, stdout and stderr of `manage.py check --deploy --fail-level WARNING`."""
    from django.core.management import execute_from_command_line

    out, err = io.StringIO(), io.StringIO()
    status = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            execute_from_command_line(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
        except SystemExit as exit:
            status = exit.code if isinstance(exit.code, int) else 1
    return [status, out.getvalue(), err.getvalue()]


def settings_for(variables):
    """The settings that settings.py makes differently with `variables` over the process's
    environment than it made when Django started."""
    from django.conf import settings

    running = vars(importlib.import_module(settings.SETTINGS_MODULE))
    started_with = dict(os.environ)
    os.environ.update(variables)
    try:
        made = runpy.run_path(running["__file__"])
    finally:
        os.environ.clear()
        os.environ.update(started_with)
    return {
        name: value
        for name, value in made.items()
        if name.isupper() and not _same(name, value, running.get(name, _MISSING))
    }


_MISSING = object()


def _same(name, made, running):
    if name == "DATABASES" and isinstance(running, dict):
        # Django fills in each connection's defaults (TIME_ZONE, TEST...) in the running copy.
        return made.keys() == running.keys() and all(
            made[alias].items() <= running[alias].items() for alias in made
        )
    return made == running


def main():
    import django
    from django.test.utils import override_settings

    cases = json.load(sys.stdin)
    django.setup()
    results = {}
    for number, (case, variables) in enumerate(cases.items()):
        changed = settings_for(variables)
        if number == 0 and changed:
            raise SystemExit(f"The first case must be the process's own settings: {changed}")
        fixed = sorted(changed.keys() & FIXED_AT_START)
        if fixed:
            results[case] = [REFUSED, "", f"{case}: needs a process of its own for {fixed}"]
            continue
        with override_settings(**changed):
            results[case] = check()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
