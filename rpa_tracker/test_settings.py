"""Settings for the test suite: production settings with fast, local stand-ins."""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SITE_URL", "http://testserver")

from .settings import *  # noqa: E402,F403
from .settings import DATABASES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Tests sign users in with force_login; tests/accounts/test_two_factor.py turns this on.
TWO_FACTOR_REQUIRED_ROLES = []
# The live server's request threads close their connection after each request, not when the
# browser drops its keep-alive connection, which may come after the test database is dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0
