"""Links in e-mails point at the address the app is served on (SITE_URL), whatever the request."""

import subprocess

from django.conf import settings
from django.core import mail
from django.test import Client

from accounts import services
from accounts.models import Role

from .conftest import link_in

SERVED_ON = "http://127.0.0.1:8123"


def test_an_invitation_links_to_the_site_url(
    settings, secretariat, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SERVED_ON + "/"

    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            invited_by=secretariat, email="nok@example.org", role=Role.REVIEWER
        )

    assert link_in(mail.outbox[0]).startswith(SERVED_ON + "/accounts/invitations/")


def test_a_password_reset_links_to_the_site_url_not_to_the_host_the_request_named(
    settings, reviewer, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SERVED_ON
    settings.ALLOWED_HOSTS = ["*"]

    with django_capture_on_commit_callbacks(execute=True):
        Client(HTTP_HOST="attacker.example").post(
            "/accounts/password/reset/", {"email": "maria@example.org"}
        )

    assert link_in(mail.outbox[0]).startswith(SERVED_ON + "/accounts/password/reset/")


def site_url_of_make_run(*make_arguments, environ=None):
    """The SITE_URL `make run` serves with: its recipe's exported variables, evaluated."""
    recipe = subprocess.run(
        ["make", "--dry-run", "--always-make", "run", *make_arguments],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    (exported,) = [line for line in recipe.splitlines() if line.startswith("export ")]
    exported = exported.rstrip("; \\")
    return subprocess.run(
        ["bash", "-c", f"{exported}; echo $SITE_URL"],
        env={"PATH": "/usr/bin:/bin", **(environ or {})},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_make_run_on_another_port_sets_the_site_url_to_it():
    assert site_url_of_make_run("PORT=8123") == SERVED_ON
    assert site_url_of_make_run() == "http://127.0.0.1:8000"


def test_a_site_url_set_in_the_environment_wins_over_the_port():
    chosen = {"SITE_URL": "https://rpa.example.org"}

    assert site_url_of_make_run("PORT=8123", environ=chosen) == "https://rpa.example.org"
