"""Two-factor login with an authenticator app: turning it on and off, and the login's code step.

After the password, a user with two-factor login is not logged in yet: the session holds a
pending login (user, time) for PENDING_LOGIN_SECONDS, and /accounts/login/verify/ asks for the
code. A session that passed that step (or turned two-factor on) carries VERIFIED_KEY;
rpa_tracker.middleware.TwoFactorMiddleware ends any session of such a user without it.
"""

from dataclasses import dataclass

from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from . import otp
from .models import LoginAttempt, RecoveryCode, User
from .policy import must_use_two_factor
from .services import LoginResult, login_wait, security_log

PENDING_LOGIN_KEY = "_two_factor_pending"
PENDING_LOGIN_SECONDS = 5 * 60
VERIFIED_KEY = "_two_factor_verified"
NEW_SECRET_KEY = "_two_factor_new_secret"


# Codes


def code_accept(*, user, code):
    """Whether `code` is the user's code now (one step either side), and not used before.

    Accepting a code uses up its time step, also for a request racing this one.
    """
    try:
        secret = otp.unseal(user.two_factor_secret)
    except otp.SecretUnreadable as error:
        security_log.error("two-factor secret unreadable email=%r: %s", user.email, error)
        return False
    step = otp.matching_step(
        secret, code, at=timezone.now().timestamp(), after_step=user.two_factor_last_step
    )
    if step is None:
        return False
    claimed = User.objects.filter(
        pk=user.pk, two_factor_secret=user.two_factor_secret, two_factor_last_step__lt=step
    ).update(two_factor_last_step=step)
    if claimed == 1:
        user.two_factor_last_step = step
    return claimed == 1


def recovery_code_accept(*, user, code, ip=None):
    """Whether `code` is one of the user's unused recovery codes; accepting it uses it up,
    also for a request racing this one."""
    used = RecoveryCode.objects.filter(
        user=user, code_hash=otp.recovery_code_hash(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if used != 1:
        return False
    left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    security_log.warning("recovery code used email=%r ip=%s unused_left=%d", user.email, ip, left)
    return True


def recovery_codes_make(*, user):
    """New recovery codes for `user`, replacing any earlier ones; the codes, to show once."""
    codes = [otp.new_recovery_code() for _ in range(otp.RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=otp.recovery_code_hash(code)) for code in codes
        )
    security_log.info("recovery codes made email=%r", user.email)
    return codes


def recovery_codes_left(user):
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def code_attempt(*, user, code, ip):
    """Check the login throttle, then the code (the app's, or a recovery code); a wrong code
    counts like a wrong password."""
    wait = login_wait(email=user.email, ip=ip)
    if wait:
        LoginAttempt.objects.create(email=user.email, ip=ip, outcome=LoginAttempt.Outcome.THROTTLED)
        security_log.warning(
            "login code throttled email=%r ip=%s wait_seconds=%d",
            user.email,
            ip,
            wait.total_seconds(),
        )
        return LoginResult(wait=wait)
    if otp.looks_like_recovery_code(code):
        accepted = recovery_code_accept(user=user, code=code, ip=ip)
    else:
        accepted = code_accept(user=user, code=code)
    if not accepted:
        LoginAttempt.objects.create(email=user.email, ip=ip, outcome=LoginAttempt.Outcome.BAD_CODE)
        security_log.warning("login code failed email=%r ip=%s", user.email, ip)
        return LoginResult()
    return LoginResult(user=user)


# Turning it on and off


def new_secret(session):
    """The secret offered for enrolment: the same one until it is confirmed."""
    if not session.get(NEW_SECRET_KEY):
        session[NEW_SECRET_KEY] = otp.new_secret()
    return session[NEW_SECRET_KEY]


def two_factor_enable(*, user, secret, code):
    """Turn two-factor login on with `secret`, once `code` shows that the app has it; returns
    the new recovery codes, to show once."""
    now = timezone.now()
    step = otp.matching_step(secret, code, at=now.timestamp())
    if step is None:
        raise ValidationError(
            {"code": "That code is not the one your app shows now. Check the key and try again."}
        )
    changed = User.objects.filter(pk=user.pk, two_factor_secret="").update(
        two_factor_secret=otp.seal(secret), two_factor_enabled_at=now, two_factor_last_step=step
    )
    if changed != 1:
        raise ValidationError("Two-factor login is on already.")
    user.refresh_from_db(
        fields=["two_factor_secret", "two_factor_enabled_at", "two_factor_last_step"]
    )
    security_log.info("two-factor login enabled email=%r", user.email)
    return recovery_codes_make(user=user)


def two_factor_disable(*, user):
    """Turn two-factor login off, unless the user's role requires it."""
    if must_use_two_factor(user):
        raise PermissionDenied("Your role requires two-factor login.")
    User.objects.filter(pk=user.pk).update(
        two_factor_secret="", two_factor_enabled_at=None, two_factor_last_step=0
    )
    RecoveryCode.objects.filter(user=user).delete()
    security_log.info("two-factor login disabled email=%r", user.email)


def two_factor_reset(*, users, by):
    """Turn two-factor login off for `users` (a secretariat admin, for a lost phone)."""
    users = users.exclude(two_factor_secret="")
    emails = list(users.values_list("email", flat=True))
    RecoveryCode.objects.filter(user__in=users).delete()
    users.update(two_factor_secret="", two_factor_enabled_at=None, two_factor_last_step=0)
    for email in emails:
        security_log.warning("two-factor login reset email=%r by=%r", email, by.email)
    return len(emails)


def mark_verified(session):
    """This session has shown a code: it may stay signed in (see TwoFactorMiddleware)."""
    session.pop(NEW_SECRET_KEY, None)
    session[VERIFIED_KEY] = True


# The login's code step


class PendingLoginExpired(Exception):
    """The password was entered more than PENDING_LOGIN_SECONDS ago."""


@dataclass
class PendingLogin:
    user: User
    backend: str
    next_url: str


def pending_login_start(request, *, user, next_url):
    """Remember that `user` gave the right password; the code comes next."""
    request.session[PENDING_LOGIN_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "next": next_url,
        "at": timezone.now().timestamp(),
    }


def pending_login(request):
    """The login waiting for its code, or None; raises PendingLoginExpired when it is too old."""
    pending = request.session.get(PENDING_LOGIN_KEY)
    if not pending:
        return None
    age = timezone.now().timestamp() - pending["at"]
    if not 0 <= age < PENDING_LOGIN_SECONDS:
        del request.session[PENDING_LOGIN_KEY]
        raise PendingLoginExpired
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or not user.has_two_factor:
        del request.session[PENDING_LOGIN_KEY]
        return None
    return PendingLogin(user=user, backend=pending["backend"], next_url=pending["next"])


def pending_login_complete(request, pending, *, ip):
    """The code was right: log the user in (a new session key) and record the success."""
    LoginAttempt.objects.create(
        email=pending.user.email, ip=ip, outcome=LoginAttempt.Outcome.SUCCEEDED
    )
    login(request, pending.user, backend=pending.backend)
    request.session.pop(PENDING_LOGIN_KEY, None)  # gone already if another user's was flushed
    mark_verified(request.session)
