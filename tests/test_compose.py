"""docker-compose.yml, the Dockerfile, .env.example and README agree with the settings."""

import re

import pytest
import yaml
from django.conf import settings

from .test_settings_env import names_read_by_settings

ROOT = settings.BASE_DIR
APP_SERVICES = ["migrate", "web", "worker", "beat"]
LONG_RUNNING = ["web", "worker", "beat"]
INTERPOLATED = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def test_compose_runs_database_broker_web_worker_and_beat(services):
    assert set(services) == {"db", "redis", *APP_SERVICES}
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:")


def test_database_and_broker_have_health_checks_and_named_volumes(compose, services):
    assert "pg_isready" in services["db"]["healthcheck"]["test"]
    assert "ping" in services["redis"]["healthcheck"]["test"]
    for name in ("db", "redis"):
        volume = services[name]["volumes"][0].split(":")[0]
        assert volume in compose["volumes"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_a_healthy_database(services, name):
    depends_on = services[name]["depends_on"]

    assert depends_on["db"]["condition"] == "service_healthy"
    if name != "migrate":
        assert depends_on["redis"]["condition"] == "service_healthy"
        assert depends_on["migrate"]["condition"] == "service_completed_successfully"


def test_migrate_runs_once_and_loads_the_reference_data(services):
    migrate = services["migrate"]
    command = " ".join(migrate["command"])

    assert migrate["restart"] == "no"
    assert "manage.py migrate" in command
    assert "manage.py load_reference_data" in command


def test_web_worker_and_beat_share_one_image_and_configuration(compose, services):
    shared = compose["x-app"]
    for name in APP_SERVICES:
        assert services[name]["image"] == shared["image"]
        assert services[name]["environment"] == shared["environment"]
        assert services[name]["volumes"] == shared["volumes"]
    assert services["web"]["command"][0] == "gunicorn"
    assert services["worker"]["command"][:4] == ["celery", "-A", "rpa_tracker", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "rpa_tracker", "beat"]


def test_every_variable_compose_passes_to_the_app_is_read_by_settings(compose):
    passed = set(compose["x-app"]["environment"])

    assert passed - names_read_by_settings() == set()


def test_compose_configures_production_not_the_embedded_default(compose):
    environment = compose["x-app"]["environment"]

    assert environment["DEBUG"] == "0"
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["CELERY_BROKER_URL"].startswith("redis://redis:")
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
    media_volume = compose["x-app"]["volumes"][0]
    assert media_volume.split(":", 1)[1] == environment["MEDIA_ROOT"]


def test_env_example_names_every_variable_compose_requires():
    compose_text = (ROOT / "docker-compose.yml").read_text()
    example = (ROOT / ".env.example").read_text()
    set_in_example = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))

    assert set(INTERPOLATED.findall(compose_text)) - set_in_example == set()
    assert set_in_example - set(INTERPOLATED.findall(compose_text)) == set()


def test_image_runs_as_an_unprivileged_user_and_collects_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "collectstatic --noinput" in dockerfile
    assert "gunicorn" in dockerfile


def test_readme_documents_every_variable_the_settings_read():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", readme, re.MULTILINE))

    missing = names_read_by_settings() - documented
    assert not missing, f"add these to the table in README.md: {sorted(missing)}"
