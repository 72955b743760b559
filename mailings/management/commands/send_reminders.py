from django.core.management.base import BaseCommand

from mailings.reminders import send_reminders


class Command(BaseCommand):
    help = "E-mail the reminders due today (rounds due soon or overdue, items not updated)."

    def handle(self, *args, **options):
        sent = send_reminders()
        self.stdout.write(f"Queued {sent} reminder e-mail(s).")
