from functools import cache

from django.conf import settings

from reviews.models import Notification


def site(request):
    return {"DEBUG": settings.DEBUG}


def notifications(request):
    """The header's count of unread notifications: one query, only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def unread():
        return Notification.objects.filter(recipient=user).unread().count()

    return {"unread_notifications": unread}
