from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.services import login_attempts_prune


class Command(BaseCommand):
    help = (
        "Delete the sign-in attempts older than LOGIN_ATTEMPT_RETENTION_DAYS (beat runs this "
        "daily as the login-attempts-prune job)."
    )

    def handle(self, *args, **options):
        deleted = login_attempts_prune()
        self.stdout.write(
            f"Deleted {deleted} sign-in attempt(s) older than "
            f"{settings.LOGIN_ATTEMPT_RETENTION_DAYS} days."
        )
