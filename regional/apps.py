from django.apps import AppConfig


class RegionalConfig(AppConfig):
    """The regional view: dashboards, state profiles, tables and their CSV downloads."""

    name = "regional"
    verbose_name = "Regional view"
