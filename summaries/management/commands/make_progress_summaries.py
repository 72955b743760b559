from django.core.management.base import BaseCommand

from summaries.summaries import make_progress_summaries


class Command(BaseCommand):
    help = (
        "Make the progress summaries now: final ones for the period just ended, provisional "
        "ones for the current period. Running it again makes nothing twice."
    )

    def handle(self, *args, **options):
        period, final = make_progress_summaries()
        self.stdout.write(
            f"{final} final progress summar{'y' if final == 1 else 'ies'} for "
            f"{period.start:%d %b %Y} – {period.end:%d %b %Y}; current period refreshed."
        )
