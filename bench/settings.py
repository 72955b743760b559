"""Settings of the benchmark: production settings (DEBUG off) on the bench's PostgreSQL.

E-mail stays in memory and jobs are not sent anywhere: the bench calls them itself.
"""

import os

os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rpa_bench")

from rpa_tracker.settings import *  # noqa: E402,F403
from rpa_tracker.settings import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
TWO_FACTOR_REQUIRED_ROLES = []
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
# In-process requests render static URLs without a collectstatic manifest.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
