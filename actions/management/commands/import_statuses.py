"""Update a state's statuses from its update file, as the upload page does."""

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.policy import editable_state
from countries.models import MemberState

from ...services import StatusConflict
from ...status_import import (
    ENCODINGS,
    ImportChanged,
    ImportFileError,
    max_file_size,
    plan_status_import,
    read_update_file,
    status_import_apply,
)


class Command(BaseCommand):
    help = (
        "Update a member state's statuses of the current plan from its update file (CSV or "
        "XLSX), as USER: prints every row's outcome, then saves all changes in one transaction "
        "(none with --dry-run). See docs/downloads.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--state", required=True, help="ISO alpha-2 code, e.g. KH")
        parser.add_argument(
            "--user", required=True, help="e-mail of the focal point or coordinator"
        )
        parser.add_argument("--dry-run", action="store_true", help="show the outcome; save nothing")
        parser.add_argument("--encoding", choices=sorted(ENCODINGS), default="")

    def handle(self, *args, file, state, user, dry_run, encoding, **options):
        account = User.objects.filter(email__iexact=user, is_active=True).first()
        if account is None:
            raise CommandError(f"No active user with the e-mail address {user}.")
        member_state = MemberState.objects.filter(code=state.upper()).first()
        if member_state is None:
            raise CommandError(f"No member state with the code {state}.")
        if editable_state(account) != member_state:
            raise CommandError(f"{account} does not update {member_state}'s statuses.")
        try:
            if file.stat().st_size > max_file_size():
                raise ImportFileError(f"{file} is larger than {max_file_size():,} bytes.")
            update_file = read_update_file(file.read_bytes(), encoding=encoding)
            import_plan = plan_status_import(
                user=account, member_state=member_state, rows=update_file.rows
            )
        except (OSError, ImportFileError, PermissionDenied) as error:
            raise CommandError(f"{file}: {error} Nothing was saved.") from error
        for note in update_file.notes:
            self.stdout.write(note)
        self._report(import_plan)
        counts = import_plan.counts()
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        if dry_run:
            self.stdout.write(f"Dry run: {summary}. Nothing was saved.")
            return
        try:
            status_import_apply(
                user=account,
                member_state=member_state,
                rows=update_file.rows,
                fingerprint=import_plan.fingerprint(),
            )
        except (ImportChanged, StatusConflict, ValidationError) as error:
            raise CommandError(f"{error} Nothing was saved; run the command again.") from error
        self.stdout.write(self.style.SUCCESS(f"Saved {counts['change']} changes ({summary})."))

    def _report(self, import_plan):
        for outcome in import_plan.outcomes:
            head = f"line {outcome.line} {outcome.item_code or '-'}: {outcome.kind}"
            if outcome.kind == "error":
                reasons = "; ".join(f"{c} {r}".strip() for c, r in outcome.errors)
                self.stdout.write(f"{head}: {reasons}")
            elif outcome.kind in ("change", "conflict"):
                fields = "; ".join(
                    f"{label}: {old!r} -> {new!r}" for label, old, new in outcome.fields
                )
                self.stdout.write(f"{head}: {fields}")
            else:
                self.stdout.write(head)
