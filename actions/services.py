"""Writes to national data: each validates, checks permission and version, records history."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.policy import can_edit_status
from core.validators import is_whole_number
from countries.models import MemberState

from . import events
from .models import ActionItem, NationalStatus, StatusHistory

# Set by the service from the server's side, never from the user's input.
_NOT_VALIDATED_HERE = ("member_state", "action_item", "updated_by")


class StatusConflict(Exception):
    """The status changed since the user loaded it; `current` is what is saved now."""

    def __init__(self, current: NationalStatus) -> None:
        super().__init__(f"{current} was changed by someone else (now version {current.version})")
        self.current = current


@transaction.atomic
def national_status_update(
    *,
    user: User,
    member_state: MemberState,
    action_item: ActionItem,
    expected_version: int,
    status: str,
    progress: int | None,
    narrative: str,
    challenges: str,
    next_steps: str,
    responsible_agency: str,
) -> NationalStatus:
    """Save `member_state`'s status of `action_item` as edited from `expected_version`.

    Returns the saved row (unchanged when the values equal what is saved, which also makes a
    double-submitted form harmless). Raises StatusConflict when someone else changed one of
    these fields since `expected_version` (a change of evidence alone is no conflict),
    PermissionDenied when `user` may not edit it, and ValidationError when the values break
    a rule or are not of the right type (so a caller other than the form gets the same
    checks: NUL bytes, broken characters, text too long, progress not a whole per cent).
    """
    if not can_edit_status(user, member_state, action_item.plan):
        raise PermissionDenied(
            "Only the state's focal points and national coordinators change its statuses,"
            " on the plan open for updates."
        )
    if not is_whole_number(expected_version) or expected_version < 0:
        raise ValidationError(
            {"version": "This form is incomplete; open the item again and redo the change."}
        )
    submitted = _validated(
        member_state,
        action_item,
        status=status,
        progress=progress,
        narrative=narrative,
        challenges=challenges,
        next_steps=next_steps,
        responsible_agency=responsible_agency,
    )
    row = (
        NationalStatus.objects.select_for_update(of=("self",))
        .for_page()
        .get_for(member_state, action_item)
    )
    current = row or NationalStatus.blank(member_state, action_item)
    if current.tracked_values() == submitted:
        return current
    if current.version != expected_version and _edited_since(current, expected_version):
        raise StatusConflict(current)

    old = current.tracked_values() if row else dict.fromkeys(submitted)
    now = timezone.now()
    for field, value in submitted.items():
        setattr(current, field, value)
    current.version += 1
    current.updated_at = now
    current.updated_by = user
    if row:
        current.save()
    else:
        _insert_first_version(current)

    new = current.tracked_values()
    changes = {
        field: [old[field], new[field]]
        for field in NationalStatus.TRACKED_FIELDS
        if old[field] != new[field] and not (old[field] is None and new[field] == "")
    }
    StatusHistory.objects.create(
        national_status=current,
        version=current.version,
        changed_at=now,
        changed_by=user,
        changes=changes,
    )
    national_status_changed(current)
    return current


def _validated(member_state: MemberState, action_item: ActionItem, **values: Any) -> dict[str, Any]:
    """The tracked values as they will be stored, after the model's checks (full_clean)."""
    candidate = NationalStatus(
        member_state=member_state, action_item=action_item, updated_at=timezone.now(), **values
    )
    candidate.full_clean(
        exclude=_NOT_VALIDATED_HERE, validate_unique=False, validate_constraints=False
    )
    return candidate.tracked_values()


def _edited_since(status: NationalStatus, version: int) -> bool:
    """Whether a field this service writes changed after `version` of `status`."""
    if not status.is_recorded or not 0 <= version < status.version:
        return True
    later = list(status.history.filter(version__gt=version).values_list("changes", flat=True))
    if len(later) != status.version - version:  # a gap in the history: assume the worst
        return True
    return any(field in changes for changes in later for field in NationalStatus.TRACKED_FIELDS)


def _insert_first_version(status: NationalStatus) -> None:
    """Insert a state's first row for an item; losing the race to another first save conflicts."""
    try:
        with transaction.atomic():
            status.save(force_insert=True)
    except IntegrityError as error:
        existing = NationalStatus.objects.for_page().get_for(
            status.member_state, status.action_item
        )
        if existing is None:
            raise
        raise StatusConflict(existing) from error


def national_status_changed(national_status: NationalStatus) -> None:
    """Announce a change of `national_status` (or its evidence) inside the change's transaction.

    Receivers (progress summaries) queue their follow-up work through the outbox, which
    publishes it after the commit, or later if the broker is down: a save never waits on the
    broker, and the work is never lost.
    """
    events.national_status_changed.send(sender=NationalStatus, national_status=national_status)
