from django.core.management.base import BaseCommand

from mailings.digests import send_digests
from summaries.summaries import make_progress_summaries


class Command(BaseCommand):
    help = "E-mail the final progress summaries of the period just ended to those who want them."

    def handle(self, *args, **options):
        make_progress_summaries()
        sent = send_digests()
        self.stdout.write(f"Queued {sent} digest e-mail(s).")
