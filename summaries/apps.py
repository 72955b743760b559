from django.apps import AppConfig


class SummariesConfig(AppConfig):
    """Progress summaries, digests and reminders: the periodic jobs and their pages."""

    name = "summaries"
    # The app was first installed as "reports": the label keeps its tables, migrations and
    # permissions where existing databases have them.
    label = "reports"
    verbose_name = "Progress summaries, digests and reminders"

    def ready(self):
        from actions.events import national_status_changed
        from reviews.events import report_moved

        from .subscriptions import queue_summary_recount, queue_summary_refresh

        national_status_changed.connect(queue_summary_refresh, dispatch_uid="summary-refresh")
        report_moved.connect(queue_summary_recount, dispatch_uid="summary-recount")
