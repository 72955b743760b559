import re

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from core.client_address import client_ip
from countries.models import MemberState

from . import otp, services, two_factor
from .models import TIME_ZONE_CHOICES, User
from .policy import invitable_roles, invites_for_own_state_only

# Long enough for any password manager; short enough that hashing it costs nothing.
PASSWORD_MAX_LENGTH = 1024


class ThrottleMixin:
    """The error of a form whose check the login throttle refused (see services.login_wait)."""

    throttle_messages = {
        "throttled": "Too many failed attempts. Try again in %(minutes)d minutes.",
        "throttled_one": "Too many failed attempts. Try again in 1 minute.",
    }
    retry_after = None

    def raise_if_throttled(self, result):
        if result.wait:
            self.retry_after = int(result.wait.total_seconds()) + 1
            message = "throttled_one" if result.wait_minutes == 1 else "throttled"
            raise ValidationError(
                self.throttle_messages[message],
                code="throttled",
                params={"minutes": result.wait_minutes},
            )

    @property
    def is_throttled(self):
        return self.has_error(NON_FIELD_ERRORS, code="throttled")


class LoginForm(ThrottleMixin, AuthenticationForm):
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
    }

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not email or not password:
            return self.cleaned_data
        result = services.login_attempt(
            request=self.request, email=email, password=password, ip=client_ip(self.request)
        )
        self.raise_if_throttled(result)
        if result.user is None:
            raise self.get_invalid_login_error()
        self.user_cache = result.user
        self.confirm_login_allowed(result.user)
        return self.cleaned_data


class CodeInput(forms.TextInput):
    """A one-time code is never shown back: a refused one is of no use."""

    def format_value(self, value):
        return None


class CodeField(forms.CharField):
    """The six digits an authenticator app shows; spaces are ignored."""

    default_error_messages = {"invalid": "Enter the 6 digits your authenticator app shows."}

    def __init__(self, *, autofocus=True, **kwargs):
        attrs = {"autocomplete": "one-time-code", "inputmode": "numeric"}
        if autofocus:
            attrs["autofocus"] = True
        kwargs.setdefault("label", "6-digit code")
        super().__init__(max_length=20, widget=CodeInput(attrs=attrs), **kwargs)

    def to_python(self, value):
        return "".join(super().to_python(value).split())

    def validate(self, value):
        super().validate(value)
        if value and not re.fullmatch(r"[0-9]{6}", value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")


class CodeOrRecoveryCodeField(CodeField):
    """The app's six digits, or one of the user's recovery codes (a lost phone)."""

    default_error_messages = {
        "invalid": "Enter the 6 digits your authenticator app shows, or a recovery code."
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "6-digit code or recovery code")
        super().__init__(**kwargs)
        del self.widget.attrs["inputmode"]  # a recovery code has letters

    def validate(self, value):
        if value and otp.looks_like_recovery_code(value):
            return
        super().validate(value)


class LoginCodeForm(ThrottleMixin, forms.Form):
    """The login's second step: the code from the user's authenticator app, or a recovery
    code."""

    code = CodeOrRecoveryCodeField()

    def __init__(self, *args, request, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = user

    def clean(self):
        code = self.cleaned_data.get("code")
        if code:
            result = two_factor.code_attempt(user=self.user, code=code, ip=client_ip(self.request))
            self.raise_if_throttled(result)
            if result.user is None:
                raise ValidationError(
                    "That code is not correct, or was used already. "
                    "Wait for the next code and try again.",
                    code="wrong_code",
                )
        return self.cleaned_data


class ServiceErrorsMixin:
    def add_service_error(self, error):
        """Show a service's ValidationError on the matching fields, others on the form."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class InvitationForm(ThrottleMixin, ServiceErrorsMixin, forms.Form):
    """Whom to invite; the roles offered, and whether a state is asked, depend on the inviter."""

    email = forms.EmailField(label="E-mail address", max_length=254)
    role = forms.ChoiceField(label="Role")
    member_state = forms.ModelChoiceField(
        label="Member state",
        queryset=MemberState.objects.all(),
        required=False,
        help_text="For focal points and national coordinators only.",
    )

    throttle_messages = {
        "throttled": "Too many invitations in the last hour. Try again in %(minutes)d minutes.",
        "throttled_one": "Too many invitations in the last hour. Try again in 1 minute.",
    }

    def __init__(self, *args, inviter, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.inviter = inviter
        self.request = request
        self.fields["role"].choices = [
            (role.value, role.label) for role in invitable_roles(inviter)
        ]
        if invites_for_own_state_only(inviter):
            # The state comes from the inviter, never from the request.
            del self.fields["member_state"]

    def clean(self):
        """Every invitation asked for counts, refused or not: a limit on probing addresses."""
        checked = services.invitation_request(inviter=self.inviter, ip=client_ip(self.request))
        self.raise_if_throttled(checked)
        return self.cleaned_data


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


class ThrottledPasswordChangeForm(ThrottleMixin, PasswordChangeForm):
    """Django's password change, with the old password checked through the login throttle."""

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        checked = services.password_attempt(
            user=self.user, password=old_password, ip=client_ip(self.request)
        )
        self.raise_if_throttled(checked)
        if checked.user is None:
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password

    @property
    def is_throttled(self):
        return self.has_error("old_password", code="throttled")


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


class TwoFactorEnableForm(ServiceErrorsMixin, forms.Form):
    code = CodeField(help_text="The code your authenticator app shows for RPA Tracker.")


class RecoveryCodesForm(ThrottleMixin, forms.Form):
    """New recovery codes take the password (a session left open must not print them)."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        checked = services.password_attempt(
            user=self.user, password=password, ip=client_ip(self.request)
        )
        self.raise_if_throttled(checked)
        if checked.user is None:
            raise ValidationError("Your password is not correct.", code="password_incorrect")
        return password

    @property
    def is_throttled(self):
        return self.has_error("password", code="throttled")


class TwoFactorDisableForm(ThrottleMixin, forms.Form):
    """Turning two-factor login off takes the password and a current code."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = CodeOrRecoveryCodeField(autofocus=False)

    def __init__(self, *args, request, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = user

    def clean(self):
        password = self.cleaned_data.get("password")
        code = self.cleaned_data.get("code")
        if not password or not code:
            return self.cleaned_data
        ip = client_ip(self.request)
        checked = services.password_attempt(user=self.user, password=password, ip=ip)
        self.raise_if_throttled(checked)
        if checked.user is None:
            self.add_error("password", "Your password is not correct.")
            return self.cleaned_data
        result = two_factor.code_attempt(user=self.user, code=code, ip=ip)
        self.raise_if_throttled(result)
        if result.user is None:
            self.add_error("code", "That code is not correct, or was used already.")
        return self.cleaned_data


class OutboxPasswordResetForm(ThrottleMixin, PasswordResetForm):
    """Django's form, its e-mail sent through the outbox like every other e-mail, and limited
    per address asked for and per client address (the same for known and unknown ones)."""

    throttle_messages = {
        "throttled": "Too many reset links were asked for. Try again in %(minutes)d minutes.",
        "throttled_one": "Too many reset links were asked for. Try again in 1 minute.",
    }

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        email = self.cleaned_data.get("email")
        if email:
            checked = services.password_reset_request(email=email, ip=client_ip(self.request))
            self.raise_if_throttled(checked)
        return self.cleaned_data

    def save(self, **kwargs):
        """Queue the job that looks the address up and e-mails the link: the same work for
        every address, so the answer takes as long for one without an account."""
        services.password_reset_queue(email=self.cleaned_data["email"])
