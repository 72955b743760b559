from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from countries.models import MemberState

from . import services
from .models import TIME_ZONE_CHOICES, Role, User

# Long enough for any password manager; short enough that hashing it costs nothing.
PASSWORD_MAX_LENGTH = 1024


def client_ip(request):
    """The connecting address. Behind a proxy, gunicorn's forwarded-allow-ips sets it."""
    return request.META.get("REMOTE_ADDR") or None


class LoginForm(AuthenticationForm):
    """E-mail and password, refused for a while after repeated failures."""

    username = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": "The e-mail address or password is not correct.",
        "inactive": "This account is inactive.",
        "throttled": "Too many failed attempts. Try again in %(minutes)d minutes.",
        "throttled_one": "Too many failed attempts. Try again in 1 minute.",
    }

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not email or not password:
            return self.cleaned_data
        result = services.login_attempt(
            request=self.request, email=email, password=password, ip=client_ip(self.request)
        )
        if result.wait:
            self.retry_after = int(result.wait.total_seconds()) + 1
            message = "throttled_one" if result.wait_minutes == 1 else "throttled"
            raise ValidationError(
                self.error_messages[message],
                code="throttled",
                params={"minutes": result.wait_minutes},
            )
        if result.user is None:
            raise self.get_invalid_login_error()
        self.user_cache = result.user
        self.confirm_login_allowed(result.user)
        return self.cleaned_data

    @property
    def is_throttled(self):
        return self.has_error(NON_FIELD_ERRORS, code="throttled")


class ServiceErrorsMixin:
    def add_service_error(self, error):
        """Show a service's ValidationError on the matching fields, others on the form."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class InvitationForm(ServiceErrorsMixin, forms.Form):
    """Whom to invite; the roles offered, and whether a state is asked, depend on the inviter."""

    email = forms.EmailField(label="E-mail address", max_length=254)
    role = forms.ChoiceField(label="Role")
    member_state = forms.ModelChoiceField(
        label="Member state",
        queryset=MemberState.objects.all(),
        required=False,
        help_text="For focal points and national coordinators only.",
    )

    def __init__(self, *args, inviter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in inviter.invitable_roles]
        if inviter.role != Role.SECRETARIAT:
            # The state comes from the inviter, never from the request.
            del self.fields["member_state"]


class AcceptInvitationForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label="Your name", max_length=150)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, invitation, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean(self):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2:
            if password1 != password2:
                self.add_error("password2", "The two passwords do not match.")
            else:
                # Compared with the name and address, so neither can be the password.
                user = User(email=self.invitation.email, name=self.cleaned_data.get("name", ""))
                try:
                    password_validation.validate_password(password1, user)
                except ValidationError as error:
                    self.add_error("password1", error)
        return self.cleaned_data


class ProfileForm(forms.ModelForm):
    """What a user may change about themselves; role and state are not among it."""

    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=TIME_ZONE_CHOICES,
        help_text="Dates and times are shown in this zone.",
    )

    class Meta:
        model = User
        fields = ["name", "time_zone"]
        labels = {"name": "Name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.time_zone:
            zones = dict(TIME_ZONE_CHOICES)
            self.initial["time_zone"] = settings.TIME_ZONE if settings.TIME_ZONE in zones else "UTC"
