from django.apps import AppConfig


class DownloadsConfig(AppConfig):
    """The files of the regional view: CSV and Excel downloads of its tables, the status
    matrix, a state's report in a round, the update file, the regional brief (PDF)."""

    name = "downloads"
    verbose_name = "Downloads"
