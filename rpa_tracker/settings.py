"""Settings for RPA Tracker, read from environment variables (see README.md)."""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from celery.schedules import ParseException, crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # git-ignored: the embedded default's database, uploads, broker


def env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name, default=False):
    value = env(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name, default):
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def whole_days(name, values):
    """Distinct whole numbers of days (0 or more), largest first."""
    try:
        days = sorted({int(value) for value in values}, reverse=True)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be whole numbers of days separated by commas, not {values!r}"
        ) from None
    if any(day < 0 for day in days):
        raise ImproperlyConfigured(f"{name} cannot have a negative number of days: {values!r}")
    return days


# The values of accounts.models.Role (settings cannot import models).
ROLE_NAMES = ("focal_point", "coordinator", "reviewer", "secretariat", "observer")


def role_names(name, values):
    """Role names from ROLE_NAMES; the single value "none" for none."""
    if values == ["none"]:
        return []
    unknown = [value for value in values if value not in ROLE_NAMES]
    if unknown:
        raise ImproperlyConfigured(
            f"{name} must be roles from {', '.join(ROLE_NAMES)} separated by commas, "
            f"or none; not {', '.join(unknown)}"
        )
    return values


def cron_schedule(name, line):
    """A cron line of five fields (minute hour day-of-month month day-of-week) as a crontab."""
    fields = line.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(
            f"{name} must be a cron line of five fields, such as '0 6 * * 1', not {line!r}"
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
        )
    except (ValueError, ParseException) as error:
        raise ImproperlyConfigured(f"{name} is not a valid cron line ({error}): {line!r}") from None


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "embedded-default-only-not-secret"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "django_tables2",
    "core",
    "outbox",
    "countries",
    "accounts",
    "actions",
    "reviews",
    "regional",
    "summaries",
    "mailings",
    "downloads",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "rpa_tracker.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses responses for clients that accept gzip (the dashboard: about 45 KB of HTML,
    # under 10 KB on the wire). Above every middleware that reads or changes the body, so it
    # compresses last; below WhiteNoise, which serves its own precompressed static files.
    # BREACH (guessing a secret in a compressed page from its size): the secret on every
    # page, the CSRF token, is masked with a new random value in every response by Django.
    # Files compressed already (Excel, PDF) are sent as they are.
    "rpa_tracker.middleware.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rpa_tracker.middleware.PrivatePagesMiddleware",
    "rpa_tracker.middleware.IdleSessionTimeoutMiddleware",
    "rpa_tracker.middleware.AbsoluteSessionTimeoutMiddleware",
    "rpa_tracker.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "rpa_tracker.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "rpa_tracker.urls"
WSGI_APPLICATION = "rpa_tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rpa_tracker.context_processors.site",
                "accounts.context_processors.access",
                "rpa_tracker.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Several processes (web, worker, beat) share the embedded database.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.RolePermissionBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
# Stored in UTC; shown in the user's own zone (member states span UTC+6:30 to UTC+9).
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

REFERENCE_DATA_DIR = BASE_DIR / "data"

# A national status not updated for this many days needs attention (workspace, alerts).
STALE_AFTER_DAYS = env_int("STALE_AFTER_DAYS", 90)

# Security. Production runs behind HTTPS; the embedded default (DEBUG on) on plain HTTP.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Idle timeout: a session unused this long ends (rpa_tracker.middleware.IdleSessionTimeout-
# Middleware, which records the last activity at most once a minute rather than saving the
# session on every request); the cookie lasts as long.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 60 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
# Absolute timeout: a session ends this long after login, however active.
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", 12 * 60 * 60)

# The client address (throttling, security logs) behind reverse proxies: X-Forwarded-For is
# read only from a request that comes from one of TRUSTED_PROXIES (addresses or networks), and
# the address TRUSTED_PROXY_COUNT proxies back is the client's. Neither set: the connecting
# address is the client's and X-Forwarded-For is ignored (core/client_address.py).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES must be IP addresses or networks (10.0.0.0/8) separated by commas, "
            f"not {_proxy!r}"
        ) from None
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if TRUSTED_PROXIES else 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT cannot be negative: {TRUSTED_PROXY_COUNT}")

# Accounts: invitation links, and refusing logins after repeated failures.
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7)
# Failed logins within the window before logins are refused (accounts.services.login_wait):
# for one account from one address (that address is refused), for one account from any
# addresses (the account is refused, except from an address it signed in from before), and
# from one address for any accounts (that address is refused).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_LIMIT_PER_ACCOUNT = env_int("LOGIN_FAILURE_LIMIT_PER_ACCOUNT", 20)
LOGIN_FAILURE_LIMIT_PER_IP = env_int("LOGIN_FAILURE_LIMIT_PER_IP", 20)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15)
# Requests that send e-mail, per hour: reset links for one address and from one client
# address; invitations by one account and from one client address.
PASSWORD_RESET_LIMIT = env_int("PASSWORD_RESET_LIMIT", 3)
PASSWORD_RESET_LIMIT_PER_IP = env_int("PASSWORD_RESET_LIMIT_PER_IP", 10)
INVITATION_LIMIT = env_int("INVITATION_LIMIT", 30)
INVITATION_LIMIT_PER_IP = env_int("INVITATION_LIMIT_PER_IP", 30)
LOGIN_ATTEMPT_RETENTION_DAYS = env_int("LOGIN_ATTEMPT_RETENTION_DAYS", 90)
# Roles that must log in with a two-factor code (anyone may choose to); "none" for no role. The
# embedded default requires none, so that its demo accounts work without an authenticator.
TWO_FACTOR_REQUIRED_ROLES = role_names(
    "TWO_FACTOR_REQUIRED_ROLES",
    env_list("TWO_FACTOR_REQUIRED_ROLES", "" if DEBUG else "reviewer,secretariat"),
)
# Links in e-mails are built from this, since mail may be sent outside any request.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")
if DEBUG:
    DEMO_PASSWORD = "demo-password-2026"  # the embedded default's demo accounts only

# Requests: the largest form body accepted (files are limited separately).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
EVIDENCE_MAX_FILE_SIZE = env_int("EVIDENCE_MAX_FILE_SIZE", 10 * 1024 * 1024)
EVIDENCE_MAX_FILES_PER_STATUS = env_int("EVIDENCE_MAX_FILES_PER_STATUS", 20)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Largest update file (CSV or XLSX) a state may upload to update its statuses in bulk.
STATUS_IMPORT_MAX_FILE_SIZE = env_int("STATUS_IMPORT_MAX_FILE_SIZE", 2 * 1024 * 1024)

# E-mail: console in the embedded default, SMTP in production.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "RPA Tracker <no-reply@rpa-tracker.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production; without CELERY_BROKER_URL the embedded default uses a
# broker in local files, so worker and beat run on one machine without Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    # kombu creates none of these, and would put the control folder in the working directory.
    for _folder in ("processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A web request must never wait long on a broker that is down.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.5,
        # A job taken by a worker that died is handed out again after this long (Redis).
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 900),
    }
    CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
# The schedules below are read in the site's zone (TIME_ZONE).
CELERY_TIMEZONE = TIME_ZONE
# A request publishes the jobs it queued (outbox app) waiting at most this many seconds on the
# broker; what it could not publish, the outbox relay publishes once the broker is back.
OUTBOX_PUBLISH_TIMEOUT = env_int("OUTBOX_PUBLISH_TIMEOUT", 1)
# A queued job whose runs failed this many times stops being retried: it waits in the admin
# (Queued tasks, "Failed (dead letter)") for someone to retry it.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 5)
if OUTBOX_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("OUTBOX_MAX_ATTEMPTS must be 1 or more")
# A job handed to the broker that no worker finished within this many seconds (Redis lost it,
# or its worker died) is handed out again; a copy that arrives twice does nothing the second
# time. Longer than CELERY_VISIBILITY_TIMEOUT, so that Redis's own redelivery comes first.
OUTBOX_REDELIVER_SECONDS = env_int("OUTBOX_REDELIVER_SECONDS", 1200)

# Progress summaries (one per period, scope and plan): summaries app. E-mails: mailings app.
SUMMARY_PERIOD = env("SUMMARY_PERIOD", "week")
if SUMMARY_PERIOD not in ("week", "month"):
    raise ImproperlyConfigured(f"SUMMARY_PERIOD must be week or month, not {SUMMARY_PERIOD!r}")
# Reminders that a round's reports are due: sent this many days before the due day.
REMINDER_DAYS_BEFORE_DUE = whole_days(
    "REMINDER_DAYS_BEFORE_DUE", env_list("REMINDER_DAYS_BEFORE_DUE", "7,1")
)
# Every job is safe to run twice: a late or repeated run makes nothing twice.
CELERY_BEAT_SCHEDULE = {
    "progress-summaries": {
        "task": "summaries.tasks.make_progress_summaries",
        "schedule": cron_schedule("SUMMARY_SCHEDULE", env("SUMMARY_SCHEDULE", "0 1 * * *")),
        "options": {"expires": 6 * 60 * 60},
    },
    "digests": {
        "task": "mailings.tasks.send_digests",
        "schedule": cron_schedule("DIGEST_SCHEDULE", env("DIGEST_SCHEDULE", "0 7 * * *")),
        "options": {"expires": 6 * 60 * 60},
    },
    "reminders": {
        "task": "mailings.tasks.send_reminders",
        "schedule": cron_schedule("REMINDER_SCHEDULE", env("REMINDER_SCHEDULE", "0 8 * * *")),
        "options": {"expires": 6 * 60 * 60},
    },
    # Sign-in attempts older than LOGIN_ATTEMPT_RETENTION_DAYS are deleted.
    "login-attempts-prune": {
        "task": "accounts.tasks.prune_login_attempts",
        "schedule": cron_schedule(
            "LOGIN_ATTEMPT_PRUNE_SCHEDULE", env("LOGIN_ATTEMPT_PRUNE_SCHEDULE", "30 2 * * *")
        ),
        "options": {"expires": 6 * 60 * 60},
    },
    "outbox-relay": {
        "task": "outbox.tasks.relay_outbox",
        "schedule": cron_schedule(
            "OUTBOX_RELAY_SCHEDULE", env("OUTBOX_RELAY_SCHEDULE", "* * * * *")
        ),
        "options": {"expires": 50},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
