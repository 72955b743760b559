from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone

from core.admin import ReadOnlyModelAdmin

from . import two_factor
from .models import Invitation, LoginAttempt, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "role", "member_state", "is_active", "last_login"]
    list_filter = ["role", "member_state", "is_active", "is_staff"]
    search_fields = ["email", "name"]
    list_select_related = ["member_state"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["name", "role", "member_state", "time_zone"]}),
        ("Two-factor login", {"fields": ["two_factor_status"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["two_factor_status"]
    actions = ["reset_two_factor"]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "role", "member_state", "password1", "password2"],
            },
        ),
    ]

    @admin.display(description="Two-factor login")
    def two_factor_status(self, user):
        if not user.has_two_factor:
            return "Off"
        return f"On since {timezone.localtime(user.two_factor_enabled_at):%Y-%m-%d %H:%M %Z}"

    @admin.action(
        description="Reset two-factor login (lost phone): they set it up again",
        permissions=["change"],
    )
    def reset_two_factor(self, request, queryset):
        count = two_factor.two_factor_reset(users=queryset, by=request.user)
        self.message_user(
            request, f"Two-factor login reset for {count} user(s).", level=messages.SUCCESS
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are sent from the invitations page (which e-mails the link), not from here."""

    list_display = ["email", "role", "member_state", "invited_by", "created_at", "expires_at"]
    list_filter = ["role", "member_state"]
    search_fields = ["email"]
    list_select_related = ["member_state", "invited_by"]
    readonly_fields = [
        "email",
        "role",
        "member_state",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "token_hash",
    ]
    fields = [*readonly_fields, "revoked_at"]

    def has_add_permission(self, request):
        return False


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ReadOnlyModelAdmin):
    """A read-only record of logins: who tried, from where, and what happened."""

    list_display = ["at", "email", "ip", "outcome"]
    list_filter = ["outcome"]
    search_fields = ["email", "ip"]
    date_hierarchy = "at"
