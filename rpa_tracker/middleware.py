import time
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.middleware import gzip
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from accounts.policy import must_use_two_factor
from accounts.two_factor import VERIFIED_KEY

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Allow only this origin's own files: no inline script, nothing from elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class UserTimezoneMiddleware:
    """Show times in the signed-in user's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = getattr(request.user, "time_zone", "") if request.user.is_authenticated else ""
        if zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Keep signed-in pages out of every cache, the browser's included: on a shared computer,
    national data must not be readable from the cache after logout."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in = request.user.is_authenticated
        response = self.get_response(request)
        if signed_in:
            add_never_cache_headers(response)
        return response


LOGIN_TIME_SESSION_KEY = "_login_at"
LAST_SEEN_SESSION_KEY = "_seen_at"
# How old the recorded last activity may grow before a request records it anew (one session
# write, which also renews the cookie): the idle timeout is exact to within this many seconds.
LAST_SEEN_REFRESH_SECONDS = 60


@receiver(user_logged_in, dispatch_uid="rpa_tracker.record_login_time")
def record_login_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_TIME_SESSION_KEY] = now
        request.session[LAST_SEEN_SESSION_KEY] = now


class IdleSessionTimeoutMiddleware:
    """End a session unused for SESSION_IDLE_TIMEOUT seconds, without a session write per request.

    The last activity is written at most once a minute, and only by a GET or HEAD: a POST that
    committed a change never then fails on a session write (a database restarting between the
    two would report a saved change as failed).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            seen = request.session.get(LAST_SEEN_SESSION_KEY)
            if not isinstance(seen, int):
                request.session[LAST_SEEN_SESSION_KEY] = now
            elif now - seen >= settings.SESSION_IDLE_TIMEOUT:
                logout(request)
            elif now - seen >= LAST_SEEN_REFRESH_SECONDS and request.method in ("GET", "HEAD"):
                request.session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)


class AbsoluteSessionTimeoutMiddleware:
    """End a session SESSION_ABSOLUTE_TIMEOUT seconds after login, however active it is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            login_at = request.session.setdefault(LOGIN_TIME_SESSION_KEY, now)
            if not isinstance(login_at, int) or now - login_at >= settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
        return self.get_response(request)


class TwoFactorMiddleware:
    """Two-factor login: a session of a user with an authenticator must have passed the code
    step, and a user whose role requires two-factor login may only set it up until they have."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        if user.has_two_factor and not request.session.get(VERIFIED_KEY):
            # Signed in without the code: before two-factor login was turned on elsewhere.
            logout(request)
            messages.info(request, "Your account now asks for a two-factor code: log in again.")
        elif self.must_enrol(user) and not self.open_before_enrolment(request.path):
            return redirect("accounts:two_factor")
        return self.get_response(request)

    @staticmethod
    def must_enrol(user):
        return must_use_two_factor(user) and not user.has_two_factor

    @staticmethod
    def open_before_enrolment(path):
        """What a user who must set up two-factor login may open before they have."""
        return path in (
            reverse("accounts:two_factor"),
            reverse("accounts:logout"),
        ) or path.startswith(settings.STATIC_URL)


class GZipMiddleware(gzip.GZipMiddleware):
    """Django's gzip compression, except for files that are compressed already: an Excel
    workbook (a zip) or a PDF gains nothing from it, and gzipping the 100 MB workbook of a
    million history rows would cost a worker seconds."""

    COMPRESSED_TYPES = ("application/vnd.openxmlformats", "application/pdf", "application/zip")

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith(self.COMPRESSED_TYPES):
            return response
        return super().process_response(request, response)
