from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo accounts, statuses and a reporting round for the embedded default."""

    name = "demo"
    verbose_name = "Demo data"
