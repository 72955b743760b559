"""Writes for accounts: invitations and login attempts."""

import datetime
import hashlib
import logging
import math
import secrets
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from countries.models import MemberState
from outbox.mail import enqueue_email
from outbox.services import enqueue

from .models import Invitation, LoginAttempt, User, hash_token
from .policy import (
    invitable_roles,
    invites_for_own_state_only,
    may_invite,
    may_know_account,
    role_needs_state,
    staff_role,
)

security_log = logging.getLogger("rpa_tracker.security")
PASSWORD_RESET_JOB = "accounts.tasks.send_password_reset"


class InvitationUnavailable(Exception):
    """The link was used, revoked or has expired (or, with no status, was just claimed)."""

    def __init__(self, status: str | None = None) -> None:
        super().__init__(status)
        self.status = status


def absolute_url(path: str) -> str:
    """A link for an e-mail, which is sent outside any request: SITE_URL + path."""
    return settings.SITE_URL.rstrip("/") + path


# Invitations


@transaction.atomic
def invitation_create(
    *, invited_by: User, email: str, role: str, member_state: MemberState | None = None
) -> Invitation:
    """Invite `email` to join with `role`; the e-mail with the link leaves after commit."""
    if role not in invitable_roles(invited_by):
        if not may_invite(invited_by):
            raise PermissionDenied("Secretariat admins and national coordinators invite users.")
        raise ValidationError({"role": "You may not invite users with this role."})
    if invites_for_own_state_only(invited_by):
        # A coordinator invites for their own state only, whatever the request said.
        if member_state is not None and member_state != invited_by.member_state:
            raise ValidationError({"member_state": "You may invite for your own state only."})
        member_state = invited_by.member_state
    if role_needs_state(role) and member_state is None:
        raise ValidationError({"member_state": "Focal points and coordinators need a state."})
    if not role_needs_state(role) and member_state is not None:
        raise ValidationError({"member_state": "Only focal points and coordinators have a state."})

    email = User.objects.normalize_email(email).lower()
    now = timezone.now()
    # Of an account or invitation outside the inviter's own state, the inviter learns nothing:
    # the invitation is made and listed like any other. The holder of such an account gets a
    # notice instead of the link; the addressee of another state's invitation gets both.
    existing = User.objects.filter(email__iexact=email).select_related("member_state").first()
    if existing is not None and may_know_account(invited_by, existing.member_state):
        raise ValidationError({"email": "A user with this e-mail address already exists."})
    open_invitations = Invitation.objects.open().filter(email__iexact=email)
    pending = open_invitations.filter(expires_at__gt=now).select_related("member_state")
    if any(may_know_account(invited_by, other.member_state) for other in pending):
        raise ValidationError(
            {"email": "This address already has a pending invitation; revoke it first."}
        )
    # An expired link is closed so that the new one can be the address's open invitation.
    open_invitations.filter(expires_at__lte=now).update(revoked_at=now)

    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        role=role,
        member_state=member_state,
        invited_by=invited_by,
        created_at=now,
        expires_at=now + datetime.timedelta(days=settings.INVITATION_VALID_DAYS),
        token_hash=hash_token(token),
    )
    invitation.full_clean()
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        # Someone invited the same address for the same state at the same moment.
        raise ValidationError(
            {"email": "This address already has a pending invitation; revoke it first."}
        ) from None
    if existing is not None:
        invitation_existing_email(user=existing, invited_by=invited_by, now=now)
    else:
        invitation_email(invitation=invitation, token=token)
    return invitation


def invitation_email(*, invitation: Invitation, token: str) -> None:
    """Queue the e-mail with the link, in the invitation's transaction. The token is kept only
    in the recipient's mailbox: the outbox clears the e-mail's text once it is sent."""
    zone = invitation.member_state.time_zone if invitation.member_state else "UTC"
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        body = render_to_string(
            "emails/accounts/invitation.txt",
            {
                "invitation": invitation,
                "link": absolute_url(reverse("accounts:invitation_accept", args=[token])),
            },
        )
    enqueue_email(
        event=f"invitation:{invitation.pk}",
        to=invitation.email,
        subject="Your invitation to RPA Tracker",
        text=body,
    )


def invitation_existing_email(*, user: User, invited_by: User, now: datetime.datetime) -> None:
    """Tell the owner of an account that someone tried to invite them (at most once a day)."""
    body = render_to_string(
        "emails/accounts/invitation_existing.txt",
        {
            "inviter": invited_by,
            "login_link": absolute_url(reverse("accounts:login")),
            "reset_link": absolute_url(reverse("accounts:password_reset")),
        },
    )
    enqueue_email(
        event=f"invitation-existing:{user.pk}:{now:%Y-%m-%d}",
        to=user.email,
        subject="Someone tried to invite you to RPA Tracker",
        text=body,
    )


def password_reset_queue(*, email: str) -> None:
    """Queue the job that e-mails reset links to `email`'s account, if it has one. The request
    does the same for every address, so its answer takes as long whether or not the address
    has an account; the job looks the account up."""
    enqueue(PASSWORD_RESET_JOB, email=email)


def password_reset_send(*, email: str) -> None:
    """E-mail a reset link to each active account with a usable password at `email` (none
    for an unknown address), linking to SITE_URL."""
    for user in PasswordResetForm().get_users(email):
        token = default_token_generator.make_token(user)
        context = {
            "email": user.email,
            "user": user,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": token,
            "site_url": settings.SITE_URL.rstrip("/"),
        }
        password_reset_email(
            user=user,
            token=token,
            subject="".join(
                render_to_string("emails/accounts/password_reset_subject.txt", context).splitlines()
            ),
            text=render_to_string("emails/accounts/password_reset.txt", context),
        )


def password_reset_email(
    *, user: User, token: str, subject: str, text: str, html: str = ""
) -> None:
    """Queue a password reset e-mail; the same link asked for twice is sent once."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:16]
    enqueue_email(
        event=f"password-reset:{user.pk}:{digest}",
        to=user.email,
        subject=subject,
        text=text,
        html=html,
    )


def invitation_revoke(*, invitation: Invitation) -> bool:
    """Close a pending invitation so its link stops working; False if it was no longer open."""
    changed = Invitation.objects.usable().filter(pk=invitation.pk).update(revoked_at=timezone.now())
    return changed == 1


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link points to, or None; raises InvitationUnavailable if it is spent."""
    invitation = (
        Invitation.objects.with_status().select_related("member_state").with_token(token).first()
    )
    if invitation is None:
        return None
    if invitation.status != Invitation.Status.PENDING:
        raise InvitationUnavailable(invitation.status)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str, name: str) -> User:
    """Claim the invitation (once) and create its user; raises InvitationUnavailable."""
    now = timezone.now()
    claimed = Invitation.objects.usable().with_token(token).update(accepted_at=now)
    if claimed != 1:
        raise InvitationUnavailable()
    invitation = Invitation.objects.select_related("member_state").with_token(token).get()
    state = invitation.member_state
    user = User(
        email=invitation.email,
        name=name,
        role=invitation.role,
        member_state=state,
        time_zone=state.time_zone if state else "",
        is_staff=staff_role(invitation.role),
    )
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


# Login attempts


@dataclass
class LoginResult:
    user: User | None = None
    wait: datetime.timedelta | None = None

    @property
    def wait_minutes(self) -> int:
        """The wait in whole minutes, at least 1; only for a refused attempt."""
        if self.wait is None:
            raise ValueError("The attempt was not refused: there is no wait.")
        return max(1, math.ceil(self.wait.total_seconds() / 60))


def _failure_window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)


def _wait_after(
    times: Sequence[datetime.datetime],
    limit: int,
    window: datetime.timedelta,
    now: datetime.datetime,
) -> datetime.timedelta | None:
    """`times` newest first: while `limit` of them fall inside `window`, until the oldest of
    those leaves it; None when fewer."""
    return times[limit - 1] + window - now if len(times) >= limit else None


def login_wait(
    *, email: str, ip: str | None, now: datetime.datetime | None = None
) -> datetime.timedelta | None:
    """How long logins for `email` from `ip` are refused, or None if they are allowed.

    Failures are wrong passwords and wrong two-factor codes inside the window. Three limits,
    each slowing the attacker or the attacked account and nobody else:
    - LOGIN_FAILURE_LIMIT failures for the account from this address: this address, for it;
    - LOGIN_FAILURE_LIMIT_PER_ACCOUNT from any addresses: the account, except from an address
      it has signed in from before (its owner's usual one);
    - LOGIN_FAILURE_LIMIT_PER_IP failures from this address for any accounts: this address.
    For the account, a successful login or a password reset starts the count afresh (a right
    password awaiting its code does not); for an address nothing does (a guesser with one
    valid account must not reset it).
    """
    now = now or timezone.now()
    window = _failure_window()
    since = now - window
    Outcome = LoginAttempt.Outcome
    pair_limit = settings.LOGIN_FAILURE_LIMIT
    account_limit = settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT
    recent = LoginAttempt.objects.filter(
        email=email,
        at__gt=since,
        outcome__in=[*LoginAttempt.FAILURES, *LoginAttempt.FRESH_STARTS],
    ).order_by("-at")
    # (address, time), newest first, since the account's last fresh start
    failures: list[tuple[str | None, datetime.datetime]] = []
    for outcome, address, at in recent.values_list("outcome", "ip", "at")[
        : max(pair_limit, account_limit)
    ]:
        if outcome in LoginAttempt.FRESH_STARTS:
            break
        failures.append((address, at))
    from_here = [at for address, at in failures if address == ip]
    waits = [_wait_after(from_here, pair_limit, window, now)]
    account_wait = _wait_after([at for _address, at in failures], account_limit, window, now)
    if account_wait:
        known = (
            ip
            and LoginAttempt.objects.filter(email=email, ip=ip, outcome=Outcome.SUCCEEDED).exists()
        )
        if not known:
            waits.append(account_wait)
    if ip:
        ip_limit = settings.LOGIN_FAILURE_LIMIT_PER_IP
        ip_failures = list(
            LoginAttempt.objects.filter(ip=ip, at__gt=since, outcome__in=LoginAttempt.FAILURES)
            .order_by("-at")
            .values_list("at", flat=True)[:ip_limit]
        )
        waits.append(_wait_after(ip_failures, ip_limit, window, now))
    refused = [wait for wait in waits if wait]
    return max(refused) if refused else None


# Requests that send e-mail: password reset links and invitations, limited per hour.
REQUEST_LIMIT_WINDOW = datetime.timedelta(hours=1)


def request_wait(
    *,
    outcome: str,
    email: str,
    ip: str | None,
    limit: int,
    ip_limit: int,
    now: datetime.datetime | None = None,
) -> datetime.timedelta | None:
    """How long more requests of kind `outcome` for `email` or from `ip` are refused, or None:
    `limit` per address (or account) and `ip_limit` per client address within the hour."""
    now = now or timezone.now()
    asked = LoginAttempt.objects.filter(outcome=outcome, at__gt=now - REQUEST_LIMIT_WINDOW)
    times = list(asked.filter(email=email).order_by("-at").values_list("at", flat=True)[:limit])
    waits = [_wait_after(times, limit, REQUEST_LIMIT_WINDOW, now)]
    if ip:
        from_ip = asked.filter(ip=ip).order_by("-at").values_list("at", flat=True)[:ip_limit]
        waits.append(_wait_after(list(from_ip), ip_limit, REQUEST_LIMIT_WINDOW, now))
    refused = [wait for wait in waits if wait]
    return max(refused) if refused else None


def _request_attempt(
    *, outcome: str, email: str, ip: str | None, limit: int, ip_limit: int, what: str
) -> LoginResult:
    wait = request_wait(outcome=outcome, email=email, ip=ip, limit=limit, ip_limit=ip_limit)
    if wait:
        security_log.warning(
            "%s throttled email=%r ip=%s wait_seconds=%d", what, email, ip, wait.total_seconds()
        )
        return LoginResult(wait=wait)
    LoginAttempt.objects.create(email=email, ip=ip, outcome=outcome)
    return LoginResult()


def password_reset_request(*, email: str, ip: str | None) -> LoginResult:
    """Check and record a request for a reset link to `email`, whether or not it has an
    account: the limits, and so the answers, are the same for both."""
    return _request_attempt(
        outcome=LoginAttempt.Outcome.RESET_ASKED,
        email=email.strip().lower(),
        ip=ip,
        limit=settings.PASSWORD_RESET_LIMIT,
        ip_limit=settings.PASSWORD_RESET_LIMIT_PER_IP,
        what="password reset request",
    )


def invitation_request(*, inviter: User, ip: str | None) -> LoginResult:
    """Check and record an invitation asked for by `inviter` (so also every probe of which
    addresses have accounts)."""
    return _request_attempt(
        outcome=LoginAttempt.Outcome.INVITATION,
        email=inviter.email,
        ip=ip,
        limit=settings.INVITATION_LIMIT,
        ip_limit=settings.INVITATION_LIMIT_PER_IP,
        what="invitation",
    )


def login_lock_clear(*, user: User, ip: str | None) -> None:
    """A password reset proved the account's owner: start the account's failure count afresh."""
    LoginAttempt.objects.create(email=user.email, ip=ip, outcome=LoginAttempt.Outcome.RESET)
    security_log.info("password reset email=%r ip=%s", user.email, ip)


def login_attempt(
    *, request: HttpRequest, email: str, password: str, ip: str | None
) -> LoginResult:
    """Check the throttle, authenticate, and record and log the outcome.

    A user with two-factor login is not logged in yet: the code comes next
    (two_factor.login_code_attempt), and only that counts as a success.
    """
    email = email.strip().lower()
    wait = login_wait(email=email, ip=ip)
    if wait:
        LoginAttempt.objects.create(email=email, ip=ip, outcome=LoginAttempt.Outcome.THROTTLED)
        security_log.warning(
            "login throttled email=%r ip=%s wait_seconds=%d", email, ip, wait.total_seconds()
        )
        return LoginResult(wait=wait)
    user = authenticate(request, username=email, password=password)
    if user is None:
        LoginAttempt.objects.create(email=email, ip=ip, outcome=LoginAttempt.Outcome.FAILED)
        security_log.warning("login failed email=%r ip=%s", email, ip)
        return LoginResult()
    Outcome = LoginAttempt.Outcome
    outcome = Outcome.PASSWORD_OK if user.has_two_factor else Outcome.SUCCEEDED
    LoginAttempt.objects.create(email=email, ip=ip, outcome=outcome)
    return LoginResult(user=user)


def password_attempt(*, user: User, password: str, ip: str | None) -> LoginResult:
    """Check the login throttle, then the password a signed-in user is asked again before a
    change to their account: a wrong one counts like a wrong password at login, so that a
    session left open is no way to guess it."""
    wait = login_wait(email=user.email, ip=ip)
    if wait:
        LoginAttempt.objects.create(email=user.email, ip=ip, outcome=LoginAttempt.Outcome.THROTTLED)
        security_log.warning(
            "password check throttled email=%r ip=%s wait_seconds=%d",
            user.email,
            ip,
            wait.total_seconds(),
        )
        return LoginResult(wait=wait)
    if not user.check_password(password):
        LoginAttempt.objects.create(email=user.email, ip=ip, outcome=LoginAttempt.Outcome.FAILED)
        security_log.warning("password check failed email=%r ip=%s", user.email, ip)
        return LoginResult()
    return LoginResult(user=user)


def login_attempts_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete attempts older than the retention period; returns how many went."""
    now = now or timezone.now()
    keep = max(datetime.timedelta(days=settings.LOGIN_ATTEMPT_RETENTION_DAYS), _failure_window())
    deleted, _ = LoginAttempt.objects.filter(at__lt=now - keep).delete()
    return deleted
