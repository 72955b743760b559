from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from actions.reference_data import ReferenceDataError, load_reference_data


class Command(BaseCommand):
    help = (
        "Load member states, bodies, plans, focus areas, action items and continuity links "
        "from the CSV files in PATH (see data/README.md). Checks every row first and writes "
        "nothing if any is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="Directory holding some or all of the files (default: the shipped data/).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the files and report what would change, without writing anything.",
        )

    def handle(self, *args, path=None, dry_run=False, verbosity=1, **options):
        directory = Path(path) if path else Path(settings.REFERENCE_DATA_DIR)
        try:
            report = load_reference_data(directory, dry_run=dry_run)
        except ReferenceDataError as error:
            raise CommandError(f"Reference data not loaded: {error}") from None
        for line in report.lines(verbose=verbosity >= 2):
            self.stdout.write(line)
