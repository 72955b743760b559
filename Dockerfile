# RPA Tracker: one image for web (gunicorn), worker and beat (Celery). See docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app

WORKDIR /app

# The PDF documents: WeasyPrint lays text out with Pango; the Noto fonts have real glyphs for
# Khmer, Thai, Lao, Burmese and Vietnamese.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .

# Static files are collected into the image and served by WhiteNoise. The settings need a
# secret key to load; this one exists only during the build.
RUN DEBUG=0 SECRET_KEY=collectstatic-at-build-time-only \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 CELERY_BROKER_URL=redis://build-only:6379/0 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media \
    && chown -R app:app /app/var

USER app

EXPOSE 8000

# Workers: gunicorn reads WEB_CONCURRENCY (default 1); set it to about 2 x CPU cores + 1.
# --timeout: a sync worker is killed after this many seconds on one request; a CSV download
# of the full history streams for about a minute at a million rows (README, Production).
CMD ["gunicorn", "rpa_tracker.wsgi", "--bind", "0.0.0.0:8000", "--timeout", "300", "--access-logfile", "-"]
