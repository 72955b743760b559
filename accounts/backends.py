from django.contrib.auth.backends import BaseBackend

from .policy import may_use_admin_site

# What secretariat admins manage in the admin site: plans, actions, states, rounds, users.
SECRETARIAT_APPS = frozenset({"accounts", "actions", "countries", "reviews", "reports"})


class RolePermissionBackend(BaseBackend):
    """Grant model permissions from the user's role, so the role is the one source of truth.

    Read-only admin pages (history, national statuses) refuse changes themselves.
    """

    def has_perm(self, user_obj, perm, obj=None):
        app_label, _, _ = perm.partition(".")
        return self.has_module_perms(user_obj, app_label)

    def has_module_perms(self, user_obj, app_label):
        return may_use_admin_site(user_obj) and app_label in SECRETARIAT_APPS
