import hashlib

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone


class Role(models.TextChoices):
    FOCAL_POINT = "focal_point", "Focal point"
    COORDINATOR = "coordinator", "National coordinator"
    REVIEWER = "reviewer", "ACWC reviewer"
    SECRETARIAT = "secretariat", "Secretariat admin"
    OBSERVER = "observer", "Observer"


STATE_ROLES = (Role.FOCAL_POINT, Role.COORDINATOR)

# Demo accounts (made by the demo-data command) have addresses in this reserved domain.
DEMO_EMAIL_DOMAIN = "demo.rpa-tracker.invalid"

# Zones a user may pick on the profile page: every member state's, and UTC.
TIME_ZONE_CHOICES = [
    (zone, zone)
    for zone in (
        "Asia/Bangkok",
        "Asia/Brunei",
        "Asia/Dili",
        "Asia/Ho_Chi_Minh",
        "Asia/Jakarta",
        "Asia/Jayapura",
        "Asia/Kuala_Lumpur",
        "Asia/Makassar",
        "Asia/Manila",
        "Asia/Phnom_Penh",
        "Asia/Singapore",
        "Asia/Vientiane",
        "Asia/Yangon",
        "UTC",
    )
]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", Role.SECRETARIAT)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def demo(self):
        """The embedded default's demo accounts, for the login page's list."""
        return (
            self.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}", is_active=True)
            .select_related("member_state")
            .order_by("role", "member_state__code", "email")
        )


class User(AbstractUser):
    """A person who signs in with an e-mail address and has one role."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("e-mail address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role, default=Role.OBSERVER)
    member_state = models.ForeignKey(
        "countries.MemberState",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text="Required for focal points and national coordinators.",
    )
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="Times are shown in this zone; empty: the default."
    )
    # Two-factor login (accounts/two_factor.py): the authenticator's secret, encrypted (empty:
    # off), when it was turned on, and the last time step whose code was accepted (no replays).
    two_factor_secret = models.CharField(max_length=200, blank=True, editable=False)
    two_factor_enabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    two_factor_last_step = models.BigIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.CheckConstraint(
                condition=(
                    Q(role__in=STATE_ROLES, member_state__isnull=False)
                    | (~Q(role__in=STATE_ROLES) & Q(member_state__isnull=True))
                ),
                name="user_state_role_has_state",
            ),
        ]

    def __str__(self):
        return self.name or self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email

    @property
    def has_two_factor(self):
        return bool(self.two_factor_secret)


def hash_token(token: str) -> str:
    """The stored form of a single-use link's secret: only its SHA-256 is kept."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def open(self):
        """Neither accepted nor revoked (possibly expired): at most one per e-mail and state."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)

    def usable(self):
        """Open and not yet expired: the link still works."""
        return self.open().filter(expires_at__gt=timezone.now())

    def with_token(self, token):
        return self.filter(token_hash=hash_token(token))

    def with_status(self):
        """Annotate `status`; an invitation closed after its expiry counts as expired."""
        now = Value(timezone.now(), output_field=models.DateTimeField())
        return self.annotate(
            status=Case(
                When(accepted_at__isnull=False, then=Value(Invitation.Status.ACCEPTED)),
                When(
                    expires_at__lte=Coalesce(F("revoked_at"), now),
                    then=Value(Invitation.Status.EXPIRED),
                ),
                When(revoked_at__isnull=False, then=Value(Invitation.Status.REVOKED)),
                default=Value(Invitation.Status.PENDING),
                output_field=models.CharField(),
            )
        )

    def for_listing(self):
        return (
            self.with_status()
            .select_related("member_state", "invited_by")
            .order_by("-created_at", "-pk")
        )


class Invitation(models.Model):
    """A single-use, expiring link through which someone gets an account with a given role."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    email = models.EmailField("e-mail address")
    role = models.CharField(max_length=20, choices=Role)
    member_state = models.ForeignKey(
        "countries.MemberState",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    invited_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the link's secret; the secret itself is only ever in the e-mail.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address and state (0: a regional role): states do not
            # learn of each other's invitations (accounts.policy.may_know_account).
            models.UniqueConstraint(
                Lower("email"),
                Coalesce("member_state", Value(0)),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email_and_state",
            ),
            models.CheckConstraint(
                condition=(
                    Q(role__in=STATE_ROLES, member_state__isnull=False)
                    | (~Q(role__in=STATE_ROLES) & Q(member_state__isnull=True))
                ),
                name="invitation_state_role_has_state",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="invitation_expires_after_sent"
            ),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_role_display()})"


class RecoveryCode(models.Model):
    """A one-time code that signs in instead of the authenticator app's (a lost phone). Shown
    once when made; only its SHA-256 is kept (80 random bits: no need for a slow hash)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Looking a typed code up (and claiming it) at login.
            models.UniqueConstraint(fields=["user", "code_hash"], name="recoverycode_unique"),
        ]

    def __str__(self):
        return f"{self.user}: {'used' if self.used_at else 'unused'} recovery code"


class LoginAttempt(models.Model):
    """One try at logging in, or at another throttled account action (a password reset link,
    an invitation): throttles guessing and e-mail floods and keeps a record of them."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        THROTTLED = "throttled", "Refused: too many failures"
        # Two-factor login: the password was right and a code was asked for (neither a success
        # nor a failure for the throttle), and a wrong code (a failure like a wrong password).
        PASSWORD_OK = "password", "Password correct; code asked"
        BAD_CODE = "bad_code", "Failed: wrong two-factor code"
        # A password reset through the e-mailed link (starts the account's count afresh), and
        # the throttled requests that send e-mail: a reset link asked for, an invitation.
        RESET = "reset", "Password reset"
        RESET_ASKED = "reset_ask", "Password reset link asked for"
        INVITATION = "invitation", "Invitation asked for"

    email = models.CharField(max_length=254)
    ip = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # Recent attempts for one e-mail address (throttle check at every login).
            models.Index(fields=["email", "at"], name="loginattempt_email_at"),
            # Recent failures from one address (throttle check at every login).
            models.Index(fields=["ip", "at"], name="loginattempt_ip_at"),
            # Pruning old attempts.
            models.Index(fields=["at"], name="loginattempt_at"),
        ]

    def __str__(self):
        return f"{self.email} from {self.ip}: {self.outcome} at {self.at:%Y-%m-%d %H:%M}"

    FAILURES = (Outcome.FAILED, Outcome.BAD_CODE)
    FRESH_STARTS = (Outcome.SUCCEEDED, Outcome.RESET)

    @property
    def succeeded(self):
        return self.outcome == self.Outcome.SUCCEEDED
