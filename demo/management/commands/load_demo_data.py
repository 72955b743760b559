from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.national import DemoDataError, load_demo_data
from demo.rounds import demo_round_create


class Command(BaseCommand):
    help = (
        "Create the embedded default's demo accounts (one or more per role, marked DEMO) and a "
        "demo history of national statuses. Runs only with DEBUG on, unless --force is given; "
        "a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "Run even with DEBUG off (a test or training copy). Without DEMO_PASSWORD, "
                "which only DEBUG sets, the demo accounts get no usable password."
            ),
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Demo data not loaded: DEBUG is off, so this looks like production. Demo "
                "accounts have a published password and belong in the embedded default only. "
                "Use --force to load them anyway."
            )
        try:
            report = load_demo_data(password=getattr(settings, "DEMO_PASSWORD", None))
        except DemoDataError as error:
            raise CommandError(f"Demo data not loaded: {error}") from None
        for line in report.lines():
            self.stdout.write(line)
        for line in demo_round_create():
            self.stdout.write(line)
