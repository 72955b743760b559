from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Role(models.TextChoices):
    FOCAL_POINT = "focal_point", "Focal point"
    COORDINATOR = "coordinator", "National coordinator"
    REVIEWER = "reviewer", "ACWC reviewer"
    SECRETARIAT = "secretariat", "Secretariat admin"
    OBSERVER = "observer", "Observer"


STATE_ROLES = (Role.FOCAL_POINT, Role.COORDINATOR)


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
    def is_state_user(self):
        return self.role in STATE_ROLES
