"""Settings of the worker and beat processes a drill starts (tests/integration/test_drills.py).

The test settings, with the production broker behaviour, e-mail written to files the test
reads (DRILL_MAIL_DIR), and, with DRILL_BEAT_SECONDS, every periodic job sent that often.
"""

import datetime
import os

from rpa_tracker.test_settings import *  # noqa: F403
from rpa_tracker.test_settings import CELERY_BEAT_SCHEDULE

CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["DRILL_MAIL_DIR"]
if os.environ.get("DRILL_BEAT_SECONDS"):
    every = datetime.timedelta(seconds=float(os.environ["DRILL_BEAT_SECONDS"]))
    for entry in CELERY_BEAT_SCHEDULE.values():
        entry["schedule"] = every
        entry.pop("options", None)
