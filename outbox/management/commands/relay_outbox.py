from django.core.management.base import BaseCommand

from outbox.services import relay_pending


class Command(BaseCommand):
    help = "Publish the queued tasks that could not be published when they were queued."

    def handle(self, *args, **options):
        published, pending = relay_pending()
        self.stdout.write(f"Published {published} queued task(s); {pending} still pending.")
