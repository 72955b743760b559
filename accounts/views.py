import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.policy import (
    is_state_user,
    may_invite,
    must_use_two_factor,
    revocable_invitations,
    scope_national,
)
from core.client_address import client_ip

from . import otp, services, two_factor
from .forms import (
    AcceptInvitationForm,
    InvitationForm,
    LoginCodeForm,
    LoginForm,
    OutboxPasswordResetForm,
    ProfileForm,
    RecoveryCodesForm,
    ThrottledPasswordChangeForm,
    TwoFactorDisableForm,
    TwoFactorEnableForm,
)
from .models import Invitation, User

INVITATIONS_PER_PAGE = 25


def landing_url(user):
    """Where a user goes after logging in with no `next`: state users to their workspace."""
    if is_state_user(user):
        try:
            return reverse("national:workspace")
        except NoReverseMatch:
            pass
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"

    def get_default_redirect_url(self):
        return landing_url(self.request.user)

    def form_valid(self, form):
        user = form.get_user()
        if not user.has_two_factor:
            return super().form_valid(form)
        # Not logged in yet: the code from the user's authenticator app comes first.
        two_factor.pending_login_start(self.request, user=user, next_url=self.get_redirect_url())
        return redirect("accounts:login_verify")

    def form_invalid(self, form):
        return _throttled(super().form_invalid(form), form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.DEBUG:
            context["demo_accounts"] = User.objects.demo()
            context["demo_password"] = getattr(settings, "DEMO_PASSWORD", "")
        return context


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form):
        return _throttled(super().form_invalid(form), form)


class PasswordResetView(auth_views.PasswordResetView):
    """The reset e-mail links to SITE_URL, like every e-mail, not to the Host the request named,
    and leaves through the outbox."""

    form_class = OutboxPasswordResetForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form):
        return _throttled(super().form_invalid(form), form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's new-password step; a reset also lifts the account's login lock."""

    def form_valid(self, form):
        response = super().form_valid(form)
        services.login_lock_clear(user=form.user, ip=client_ip(self.request))
        return response


def admin_login(request, extra_context=None):
    """The admin site's login page: this site's own, which is throttled and asks for the code."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied("The admin site is for secretariat admins.")
    next_url = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(next_url if safe else reverse("admin:index"))


def _throttled(response, form):
    """A form the login throttle refused answers 429 Too Many Requests, with Retry-After."""
    if form.is_throttled:
        response.status_code = 429
        response["Retry-After"] = str(form.retry_after)
    return response


def login_verify(request):
    try:
        pending = two_factor.pending_login(request)
    except two_factor.PendingLoginExpired:
        messages.error(request, "The code was not entered within 5 minutes. Please log in again.")
        return redirect("accounts:login")
    if pending is None:
        return redirect("accounts:login")
    form = LoginCodeForm(request.POST or None, request=request, user=pending.user)
    if request.method == "POST" and form.is_valid():
        two_factor.pending_login_complete(request, pending, ip=client_ip(request))
        return redirect(pending.next_url or landing_url(pending.user))
    return _throttled(render(request, "accounts/login_verify.html", {"form": form}), form)


@login_required
def two_factor_setup(request):
    user = request.user
    if user.has_two_factor:
        return _two_factor_page(request)
    secret = two_factor.new_secret(request.session)
    form = TwoFactorEnableForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.two_factor_enable(
                user=user, secret=secret, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            two_factor.mark_verified(request.session)
            return _recovery_codes_page(request, codes, enrolled=True)
    uri = otp.provisioning_uri(secret, user.email)
    context = {"form": form, "secret": otp.grouped(secret), "uri": uri, "qr": otp.qr_svg(uri)}
    return render(request, "accounts/two_factor.html", context)


def _two_factor_page(request, *, disable_form=None, recovery_form=None):
    """The page of a user with two-factor login on: recovery codes, and turning it off."""
    user = request.user
    if disable_form is None and not must_use_two_factor(user):
        disable_form = _disable_form(request)
    context = {
        "disable_form": disable_form,
        "recovery_form": recovery_form or RecoveryCodesForm(request=request, user=user),
        "recovery_codes_left": two_factor.recovery_codes_left(user),
    }
    form = disable_form if disable_form is not None and disable_form.is_bound else recovery_form
    response = render(request, "accounts/two_factor.html", context)
    return _throttled(response, form) if form is not None else response


def _recovery_codes_page(request, codes, *, enrolled):
    """The recovery codes, shown this once (never stored in a form a browser could cache)."""
    context = {"codes": codes, "enrolled": enrolled, "next_url": landing_url(request.user)}
    return render(request, "accounts/recovery_codes.html", context)


def _disable_form(request, data=None):
    return TwoFactorDisableForm(data, request=request, user=request.user)


@login_required
@require_POST
def two_factor_disable(request):
    if not request.user.has_two_factor:
        return redirect("accounts:two_factor")
    if must_use_two_factor(request.user):
        raise PermissionDenied("Your role must keep two-factor login on.")
    form = _disable_form(request, request.POST)
    if form.is_valid():
        two_factor.two_factor_disable(user=request.user)
        messages.success(request, "Two-factor login is off.")
        return redirect("accounts:two_factor")
    return _two_factor_page(request, disable_form=form)


@login_required
@require_POST
def recovery_codes_new(request):
    if not request.user.has_two_factor:
        return redirect("accounts:two_factor")
    form = RecoveryCodesForm(request.POST, request=request, user=request.user)
    if form.is_valid():
        codes = two_factor.recovery_codes_make(user=request.user)
        return _recovery_codes_page(request, codes, enrolled=False)
    return _two_factor_page(request, recovery_form=form)


@login_required
def profile(request):
    # A copy, so that a rejected form never shows its values as the signed-in user's own.
    form = ProfileForm(request.POST or None, instance=copy.copy(request.user))
    if request.method == "POST" and form.is_valid():
        form.instance.save(update_fields=["name", "time_zone"])
        messages.success(request, "Your profile was saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def invitation_list(request):
    if not may_invite(request.user):
        raise PermissionDenied("Secretariat admins and national coordinators invite users.")
    form = InvitationForm(request.POST or None, inviter=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(invited_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("accounts:invitation_list")
    invitations = scope_national(Invitation.objects.for_listing(), request.user)
    page = Paginator(invitations, INVITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "valid_days": settings.INVITATION_VALID_DAYS}
    return _throttled(render(request, "accounts/invitation_list.html", context), form)


@require_POST
@login_required
def invitation_revoke(request, pk):
    invitation = get_object_or_404(revocable_invitations(request.user), pk=pk)
    if services.invitation_revoke(invitation=invitation):
        messages.success(request, f"The invitation to {invitation.email} was revoked.")
    else:
        messages.error(request, f"The invitation to {invitation.email} was no longer pending.")
    return redirect("accounts:invitation_list")


def invitation_accept(request, token):
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationUnavailable as gone:
        return _invitation_unavailable(request, gone.status)
    if invitation is None:
        return _invitation_unavailable(request, None, status_code=404)
    form = AcceptInvitationForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, password=form.cleaned_data["password1"], name=form.cleaned_data["name"]
            )
        except services.InvitationUnavailable as gone:
            return _invitation_unavailable(request, gone.status)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome to RPA Tracker. Your account is ready.")
            return redirect(landing_url(user))
    context = {"form": form, "invitation": invitation}
    return render(request, "accounts/invitation_accept.html", context)


def _invitation_unavailable(request, status, *, status_code=410):
    context = {"status": status}
    return render(request, "accounts/invitation_unavailable.html", context, status=status_code)
