"""The one access policy: every "may this user …" decision of the application.

Views, templates (through `accounts.context_processors.access`), tasks, e-mails and the admin
ask the named functions here; no other module reads `user.role`. Every view, export, file
download and task that reads or writes national data scopes its queryset through
`scope_national` (live data) or `scope_submitted` (submitted reports), and gets the state a
user may edit from `editable_state`: a state's identity always comes from here (the server),
never from the request.

Objects of higher layers (plans, reports, invitations) are passed in and asked through their
own row-local methods, so this module imports nothing above `accounts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeGuard, TypeVar

from django.conf import settings
from django.db.models import Model, Q, QuerySet

from countries.models import MemberState

from .models import STATE_ROLES, Invitation, Role, User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser

# Any model: the scoping functions return a queryset of the model they were given.
_M = TypeVar("_M", bound=Model)

# Reviewers (ACWC) and the secretariat see every state's live data and review reports.
REGIONAL_ROLES = (Role.REVIEWER, Role.SECRETARIAT)


class PlanLike(Protocol):
    def open_for_updates(self) -> bool: ...


def _active(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active)


def _role(user: AnyUser) -> str | None:
    return getattr(user, "role", None) if _active(user) else None


# --- Who someone is, as far as access goes ---------------------------------------------------


def sees_every_state(user: AnyUser) -> bool:
    """Reviewers and the secretariat: every state's live national data."""
    return _role(user) in REGIONAL_ROLES


def is_state_user(user: AnyUser) -> TypeGuard[User]:
    """A member state's focal point or national coordinator (with their state set).

    True only for a signed-in account, so mypy knows `user` is a User where it holds."""
    return _role(user) in STATE_ROLES and bool(getattr(user, "member_state_id", None))


def is_state_user_of(user: AnyUser, member_state: MemberState | None) -> bool:
    return (
        member_state is not None and is_state_user(user) and user.member_state_id == member_state.pk
    )


def sees_accepted_data_only(user: AnyUser) -> bool:
    """Observers see accepted reports only, never live national data."""
    return _role(user) == Role.OBSERVER


# --- National data ---------------------------------------------------------------------------


def scope_national(
    queryset: QuerySet[_M], user: AnyUser, state_path: str = "member_state"
) -> QuerySet[_M]:
    """Limit `queryset` of national data to the rows `user` may see.

    `state_path` is the lookup from the queryset's model to its MemberState,
    e.g. "national_status__member_state" for history or evidence.
    """
    if sees_every_state(user):
        return queryset
    if is_state_user(user):
        return queryset.filter(**{state_path: user.member_state_id})
    # Observers never see live national data; accepted submissions are theirs (scope_submitted).
    return queryset.none()


def scope_submitted(
    queryset: QuerySet[_M], user: AnyUser, submission_path: str = ""
) -> QuerySet[_M]:
    """Limit `queryset` of submitted reports (Submission, or SubmissionItem with
    `submission_path="submission"`) to those `user` may see.

    Observers see accepted data only: the submissions on which a report is accepted now, of
    every state (a reopened report's earlier acceptance no longer counts). Everyone else sees
    what scope_national lets them see of the report's state.
    """
    prefix = f"{submission_path}__" if submission_path else ""
    if sees_accepted_data_only(user):
        return queryset.filter(**{f"{prefix}accepted_for__isnull": False})
    return scope_national(queryset, user, state_path=f"{prefix}report__member_state")


def visible_states(user: AnyUser) -> QuerySet[MemberState]:
    """Member states whose national detail `user` may see."""
    return scope_national(MemberState.objects.all(), user, state_path="pk")


def editable_state(user: AnyUser) -> MemberState | None:
    """The member state whose statuses `user` may edit, or None."""
    return user.member_state if is_state_user(user) else None


def sees_live_figures(user: AnyUser) -> bool:
    """Whether `user` may see live (not yet accepted) figures; observers see accepted ones only."""
    return _active(user) and not sees_accepted_data_only(user)


def has_national_access(user: AnyUser) -> bool:
    """Whether `user` may open national pages at all (their own state's, or every state's)."""
    return sees_every_state(user) or is_state_user(user)


def can_edit_status(user: AnyUser, member_state: MemberState | None, plan: PlanLike) -> bool:
    """Whether `user` may change `member_state`'s statuses on `plan` now.

    The one check every status write and every edit link goes through. It does not wait for
    an open reporting round: a submission freezes its own snapshot, so the live status can
    stay editable all year.
    """
    if member_state is None or editable_state(user) != member_state:
        return False
    return plan.open_for_updates() and member_state.reports_in(plan)


def sees_withdrawn_evidence(user: AnyUser) -> bool:
    """Reviewers and the secretariat also see withdrawn evidence, which history refers to."""
    return sees_every_state(user)


# --- Reporting rounds and review -------------------------------------------------------------


def may_review(user: AnyUser) -> bool:
    """Reviewers and the secretariat return, accept and reopen reports and review evidence."""
    return sees_every_state(user)


def may_submit(user: AnyUser, member_state: MemberState | None) -> bool:
    """Only the state's national coordinator submits its report (focal points do not)."""
    return _role(user) == Role.COORDINATOR and is_state_user_of(user, member_state)


def may_comment(user: AnyUser, member_state: MemberState | None) -> bool:
    """Reviewers comment on any state's report; the state's own users reply; observers do not."""
    return may_review(user) or is_state_user_of(user, member_state)


def may_see_submission_check(user: AnyUser, member_state: MemberState | None) -> bool:
    """The submission check of a state's report: its own users and the reviewers."""
    return may_review(user) or is_state_user_of(user, member_state)


def may_manage_rounds(user: AnyUser) -> bool:
    """The secretariat opens and edits reporting rounds."""
    return _role(user) == Role.SECRETARIAT


# --- People and accounts ---------------------------------------------------------------------


def may_know_account(user: AnyUser, member_state: MemberState | None) -> bool:
    """Whether `user`, inviting someone, may learn that an account or a pending invitation of
    `member_state` (None: a regional one) exists: the secretariat of any, a coordinator of
    their own state's only, so that the invitation form discloses nothing about other states."""
    if _role(user) == Role.SECRETARIAT:
        return True
    return is_state_user_of(user, member_state)


def invitable_roles(user: AnyUser) -> list[Role]:
    """Roles `user` may invite: the secretariat any, a coordinator their state's focal points."""
    role = _role(user)
    if role == Role.SECRETARIAT:
        return list(Role)
    if role == Role.COORDINATOR and is_state_user(user):
        return [Role.FOCAL_POINT]
    return []


def may_invite(user: AnyUser) -> TypeGuard[User]:
    """Whether `user` may invite anyone (a signed-in account, so a User where it holds)."""
    return bool(invitable_roles(user))


def invites_for_own_state_only(user: AnyUser) -> bool:
    """A coordinator invites focal points of their own state only."""
    return _role(user) == Role.COORDINATOR


def may_revoke_any_invitation(user: AnyUser) -> bool:
    """The secretariat may withdraw anyone's invitation; others only their own."""
    return _role(user) == Role.SECRETARIAT


def revocable_invitations(user: AnyUser) -> QuerySet[Invitation]:
    """Invitations `user` may withdraw: their own; the secretariat's, anyone's."""
    if may_revoke_any_invitation(user):
        return Invitation.objects.all()
    if may_invite(user):
        return Invitation.objects.filter(invited_by=user)
    return Invitation.objects.none()


def may_use_admin_site(user: AnyUser) -> bool:
    """Secretariat admins with staff status get the admin site's model permissions."""
    return bool(user.is_active and user.is_staff and _role(user) == Role.SECRETARIAT)


def must_use_two_factor(user: AnyUser) -> bool:
    """Roles in TWO_FACTOR_REQUIRED_ROLES must sign in with a code."""
    return _role(user) in settings.TWO_FACTOR_REQUIRED_ROLES


def role_needs_state(role: str) -> bool:
    """Focal points and coordinators belong to one member state; other roles to none."""
    return role in STATE_ROLES


def staff_role(role: str) -> bool:
    """Accounts of this role are staff (the admin site): the secretariat."""
    return role == Role.SECRETARIAT


# --- Who hears of what (notifications, digests, reminders) ------------------------------------


def reviewers() -> QuerySet[User]:
    """Active ACWC reviewers: told of every submission."""
    return User.objects.filter(role=Role.REVIEWER, is_active=True)


def state_users(member_state: MemberState | int | None = None) -> QuerySet[User]:
    """Active coordinators and focal points (of `member_state` when given)."""
    users = User.objects.filter(role__in=STATE_ROLES, is_active=True, member_state__isnull=False)
    return users if member_state is None else users.filter(member_state=member_state)


def users_who_see_state(member_state: MemberState | int) -> Q:
    """A filter on users: those who may see `member_state`'s national data."""
    return Q(role__in=REGIONAL_ROLES) | Q(role__in=STATE_ROLES, member_state=member_state)


def digest_scopes(user: AnyUser) -> list[str]:
    """The digests `user` may receive: "state" (their own state's) and "region", in order."""
    if not _active(user):
        return []
    return ["state", "region"] if is_state_user(user) else ["region"]


def digest_on_by_default(user: AnyUser, scope: str) -> bool:
    """Reviewers and the secretariat get the region's digest; state users their state's."""
    return sees_every_state(user) if scope == "region" else is_state_user(user)


# --- Navigation ------------------------------------------------------------------------------


class Access:
    """The decisions a page's header and links need, for templates (as `may`)."""

    def __init__(self, user: AnyUser) -> None:
        self.user = user

    @property
    def see_national(self) -> bool:
        return has_national_access(self.user)

    @property
    def see_every_state(self) -> bool:
        return sees_every_state(self.user)

    @property
    def see_accepted_only(self) -> bool:
        return sees_accepted_data_only(self.user)

    @property
    def report_for_own_state(self) -> bool:
        return is_state_user(self.user)

    @property
    def review(self) -> bool:
        return may_review(self.user)

    @property
    def submit(self) -> bool:
        return may_submit(self.user, editable_state(self.user))

    @property
    def invite(self) -> bool:
        return may_invite(self.user)

    @property
    def invite_own_state_only(self) -> bool:
        return invites_for_own_state_only(self.user)

    @property
    def revoke_any_invitation(self) -> bool:
        return may_revoke_any_invitation(self.user)

    @property
    def manage_rounds(self) -> bool:
        return may_manage_rounds(self.user)

    @property
    def must_use_two_factor(self) -> bool:
        return must_use_two_factor(self.user)
