"""`celery` for a drill, optionally with the summary work slowed down (DRILL_SLOW_SECONDS) so
that a worker can be killed in the middle of it. Run as `python -m tests.integration.drill_process
worker …` (or `beat …`)."""

import os
import sys
import time

import django

SLOWED = ("store_summaries", "refresh_current_summaries")


def slow_down(seconds):
    from summaries import summaries

    for name in SLOWED:
        real = getattr(summaries, name)

        def slowed(*args, _real=real, **kwargs):
            time.sleep(seconds)
            return _real(*args, **kwargs)

        setattr(summaries, name, slowed)


if __name__ == "__main__":
    django.setup()
    if os.environ.get("DRILL_SLOW_SECONDS"):
        slow_down(float(os.environ["DRILL_SLOW_SECONDS"]))
    from celery.bin.celery import main

    sys.argv = ["celery", "-A", "rpa_tracker", *sys.argv[1:]]
    sys.exit(main())
