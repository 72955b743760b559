from django.apps import AppConfig


class MailingsConfig(AppConfig):
    """The periodic e-mails: digests of the progress summaries and reminders of due reports
    and stale statuses, with each user's digest preferences."""

    name = "mailings"
    verbose_name = "Digests and reminders"
