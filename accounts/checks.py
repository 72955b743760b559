from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs):
    """Links in e-mails (invitations, resets, reminders) are built from SITE_URL."""
    if settings.SITE_URL.startswith("https://"):
        return []
    return [
        Warning(
            "SITE_URL is not an https:// address, so links in e-mails will not work.",
            hint="Set SITE_URL to the address users open, e.g. https://rpa.example.org",
            id="rpa_tracker.W001",
        )
    ]
