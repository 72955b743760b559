"""The one place that decides whose country data a user may see and change.

Every view, export, file download and task that reads or writes national data scopes its
queryset through `scope_national`, and gets the state a user may edit from `editable_state`.
A state's identity always comes from here (the server), never from the request.
"""

from django.db.models import QuerySet

from countries.models import MemberState

from .models import STATE_ROLES, Role

REGIONAL_ROLES = (Role.REVIEWER, Role.SECRETARIAT)


def scope_national(queryset: QuerySet, user, state_path: str = "member_state") -> QuerySet:
    """Limit `queryset` of national data to the rows `user` may see.

    `state_path` is the lookup from the queryset's model to its MemberState,
    e.g. "national_status__member_state" for history or evidence.
    """
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.role in REGIONAL_ROLES:
        return queryset
    if user.role in STATE_ROLES and user.member_state_id:
        return queryset.filter(**{state_path: user.member_state_id})
    # Observers never see live national data; accepted submissions are theirs (scope_submitted).
    return queryset.none()


def scope_submitted(queryset: QuerySet, user, submission_path: str = "") -> QuerySet:
    """Limit `queryset` of submitted reports (Submission, or SubmissionItem with
    `submission_path="submission"`) to those `user` may see.

    Observers see accepted data only: the submissions on which a report is accepted now, of
    every state (a reopened report's earlier acceptance no longer counts). Everyone else sees
    what scope_national lets them see of the report's state.
    """
    prefix = f"{submission_path}__" if submission_path else ""
    if user.is_authenticated and user.is_active and user.role == Role.OBSERVER:
        return queryset.filter(**{f"{prefix}accepted_for__isnull": False})
    return scope_national(queryset, user, state_path=f"{prefix}report__member_state")


def visible_states(user) -> QuerySet[MemberState]:
    """Member states whose national detail `user` may see."""
    return scope_national(MemberState.objects.all(), user, state_path="pk")


def editable_state(user) -> MemberState | None:
    """The member state whose statuses `user` may edit, or None."""
    if user.is_authenticated and user.is_active and user.role in STATE_ROLES:
        return user.member_state
    return None


def sees_live_figures(user) -> bool:
    """Whether `user` may see live (not yet accepted) figures; observers see accepted ones only."""
    return user.is_authenticated and user.is_active and user.role != Role.OBSERVER


def has_national_access(user) -> bool:
    """Whether `user` may open national pages at all (their own state's, or every state's)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.role in REGIONAL_ROLES or (user.role in STATE_ROLES and bool(user.member_state_id))


def can_edit_status(user, member_state, plan) -> bool:
    """Whether `user` may change `member_state`'s statuses on `plan` now.

    The one check every status write and every edit link goes through. It does not wait for
    an open reporting round: a submission freezes its own snapshot, so the live status can
    stay editable all year.
    """
    if member_state is None or editable_state(user) != member_state:
        return False
    return plan.open_for_updates() and member_state.reports_in(plan)


def may_know_account(user, member_state: MemberState | None) -> bool:
    """Whether `user`, inviting someone, may learn that an account or a pending invitation of
    `member_state` (None: a regional one) exists: the secretariat of any, a coordinator of
    their own state's only, so that the invitation form discloses nothing about other states."""
    if not user.is_active:
        return False
    if user.role == Role.SECRETARIAT:
        return True
    return (
        user.role in STATE_ROLES
        and member_state is not None
        and user.member_state_id == member_state.pk
    )
