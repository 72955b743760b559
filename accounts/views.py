import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from countries.access import scope_national

from . import services
from .forms import AcceptInvitationForm, InvitationForm, LoginForm, ProfileForm
from .models import Invitation, User

INVITATIONS_PER_PAGE = 25


def landing_url(user):
    """Where a user goes after logging in with no `next`: state users to their workspace."""
    if user.is_authenticated and user.is_state_user:
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

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.is_throttled:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.DEBUG:
            context["demo_accounts"] = User.objects.demo()
            context["demo_password"] = getattr(settings, "DEMO_PASSWORD", "")
        return context


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
    if not request.user.can_invite:
        raise PermissionDenied
    form = InvitationForm(request.POST or None, inviter=request.user)
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
    return render(request, "accounts/invitation_list.html", context)


@require_POST
@login_required
def invitation_revoke(request, pk):
    invitation = get_object_or_404(Invitation.objects.revocable_by(request.user), pk=pk)
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
