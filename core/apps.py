from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared bases and helpers of every app (no models of its own)."""

    name = "core"
