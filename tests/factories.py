"""Small builders for test data; each takes keyword overrides."""

import datetime
import itertools
import secrets
import struct
import zlib

from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import Invitation, Role, User, hash_token
from actions.models import ActionItem, Body, FocusArea, NationalStatus, Plan, Provenance
from actions.services import national_status_update
from countries.models import MemberState

_seq = itertools.count(1)

STATES = {
    "KH": ("KHM", "116", "Cambodia", "1999-04-30", "2021-01-01", "Asia/Phnom_Penh"),
    "ID": ("IDN", "360", "Indonesia", "1967-08-08", "2021-01-01", "Asia/Jakarta"),
    "MY": ("MYS", "458", "Malaysia", "1967-08-08", "2021-01-01", "Asia/Kuala_Lumpur"),
    "PH": ("PHL", "608", "Philippines", "1967-08-08", "2021-01-01", "Asia/Manila"),
    "TH": ("THA", "764", "Thailand", "1967-08-08", "2021-01-01", "Asia/Bangkok"),
    "TL": ("TLS", "626", "Timor-Leste", "2025-10-26", "2026-01-01", "Asia/Dili"),
}


def make_state(code="KH", **overrides):
    alpha3, numeric, name, since, reports, zone = STATES[code]
    fields = {
        "iso_alpha3": alpha3,
        "iso_numeric": numeric,
        "name": name,
        "member_since": datetime.date.fromisoformat(since),
        "reports_from": datetime.date.fromisoformat(reports),
        "time_zone": zone,
    }
    fields.update(overrides)
    return MemberState.objects.create(code=code, **fields)


def make_plan(start_year=2021, end_year=2025, **overrides):
    fields = {
        "code": f"rpa-{start_year}-{end_year}",
        "title": f"Regional Plan of Action {start_year}–{end_year}",
        "short_title": f"RPA {start_year}–{end_year}",
        "status": Plan.Status.CLOSED if end_year < 2026 else Plan.Status.DRAFT,
    }
    fields.update(overrides)
    return Plan.objects.create(start_year=start_year, end_year=end_year, **fields)


def make_focus_area(plan, number=None, **overrides):
    fields = {"title": f"Focus area {next(_seq)}", "provenance": Provenance.CONFIRMED}
    fields.update(overrides)
    if number is None:
        number = plan.focus_areas.count() + 1
    return FocusArea.objects.create(plan=plan, number=number, **fields)


def make_item(focus_area, code=None, **overrides):
    n = next(_seq)
    fields = {
        "title": f"Action {n}",
        "provenance": Provenance.PROVISIONAL,
        "position": n,
    }
    fields.update(overrides)
    if code is None:
        code = f"{focus_area.number}.{focus_area.action_items.count() + 1}"
    return ActionItem.objects.create(
        plan=focus_area.plan, focus_area=focus_area, code=code, **fields
    )


def make_items(plan):
    """Three action items of `plan` over two focus areas."""
    first = make_focus_area(plan, title="Legal frameworks")
    second = make_focus_area(plan, title="Capacity")
    return [
        make_item(first, title="Review national laws"),
        make_item(first, title="Adopt a national action plan"),
        make_item(second, title="Train investigators"),
    ]


def make_body(code="ACWC", **overrides):
    fields = {"name": code}
    fields.update(overrides)
    return Body.objects.create(code=code, **fields)


def make_status(member_state, action_item, **overrides):
    fields = {
        "status": NationalStatus.Status.NOT_STARTED,
        "progress": 0,
        "updated_at": timezone.now(),
    }
    fields.update(overrides)
    return NationalStatus.objects.create(
        member_state=member_state, action_item=action_item, **fields
    )


def save_status(user, item, version=0, state=None, **values):
    """Save `item`'s status through the one write path, as `user` edited it from `version`:
    in progress at 40 % with empty texts, unless `values` say otherwise; a status that needs a
    narrative gets a short one unless `values` give it."""
    fields = {
        "status": NationalStatus.Status.IN_PROGRESS,
        "progress": 40,
        "narrative": "",
        "challenges": "",
        "next_steps": "",
        "responsible_agency": "",
    }
    fields.update(values)
    if "narrative" not in values and NationalStatus.needs_narrative(fields["status"]):
        fields["narrative"] = "Work under way."
    return national_status_update(
        user=user,
        member_state=state or user.member_state,
        action_item=item,
        expected_version=version,
        **fields,
    )


def status_form_data(version=0, **overrides):
    """What the status edit form posts: in progress at 40 % with empty texts, from `version`;
    a status that needs a narrative gets a short one unless `overrides` give it."""
    data = {
        "status": "in_progress",
        "progress": "40",
        "narrative": "",
        "challenges": "",
        "next_steps": "",
        "responsible_agency": "",
        "version": str(version),
    }
    data.update(overrides)
    if "narrative" not in overrides and NationalStatus.needs_narrative(data["status"]):
        data["narrative"] = "Work under way."
    return data


def make_user(
    role=Role.OBSERVER, member_state=None, email=None, password="correct horse 42", **extra
):
    email = email or f"{role}-{next(_seq)}@example.org"
    return User.objects.create_user(
        email=email, password=password, role=role, member_state=member_state, **extra
    )


# The tests' named people (tests/conftest.py has a fixture of each): role, the code of their
# member state, e-mail and name.
PERSONAS = {
    "focal_point": (Role.FOCAL_POINT, "KH", "sophea@example.org", "Sophea"),
    "coordinator": (Role.COORDINATOR, "KH", "dara@example.org", "Dara"),
    "other_focal_point": (Role.FOCAL_POINT, "MY", "aisyah@example.org", "Aisyah"),
    "other_coordinator": (Role.COORDINATOR, "MY", "farid@example.org", "Farid"),
    "reviewer": (Role.REVIEWER, None, "maria@example.org", "Maria"),
    "secretariat": (Role.SECRETARIAT, None, "budi@example.org", "Budi"),
    "observer": (Role.OBSERVER, None, "lin@example.org", "Lin"),
}
# A persona of each role, and Aisyah, a focal point of another state, to show what a state's
# users may not see of Cambodia's.
EACH_ROLE_AND_A_NEIGHBOUR = (
    "focal_point",
    "coordinator",
    "other_focal_point",
    "reviewer",
    "secretariat",
    "observer",
)


def make_persona(persona, member_state=None):
    """One of PERSONAS, in `member_state` (their state's row) if they have one."""
    role, _, email, name = PERSONAS[persona]
    staff = {"is_staff": True} if role == Role.SECRETARIAT else {}
    return make_user(role, member_state, email=email, name=name, **staff)


def make_personas(*personas):
    """The named PERSONAS, by name, with the member states they need (made if missing)."""
    made = {}
    for persona in personas:
        code = PERSONAS[persona][1]
        state = code and (MemberState.objects.filter(code=code).first() or make_state(code))
        made[persona] = make_persona(persona, state)
    return made


def make_invitation(invited_by, email, role=Role.FOCAL_POINT, member_state=None, **overrides):
    """A pending invitation as accounts.services.invitation_create stores it (without its
    e-mail): for tests that need many."""
    now = timezone.now()
    fields = {
        "created_at": now,
        "expires_at": now + datetime.timedelta(days=settings.INVITATION_VALID_DAYS),
        "token_hash": hash_token(secrets.token_urlsafe(32)),
    }
    fields.update(overrides)
    return Invitation.objects.create(
        email=email, role=role, member_state=member_state, invited_by=invited_by, **fields
    )


def logged_in(user):
    """A test client signed in as `user`."""
    client = Client()
    client.force_login(user)
    return client


def session_of(user):
    """A new signed-in session of `user` (its cookie's value), for tests that share it: made
    once with a module's rows, each test's client takes it (`signed_in`), and what a test does
    to the session is rolled back with the rest of its writes."""
    return logged_in(user).cookies[settings.SESSION_COOKIE_NAME].value


def signed_in(session):
    """A new test client (no cookies yet) in the session `session_of` made."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session
    return client


def png_bytes():
    """A real 1×1 greyscale PNG, small enough to upload anywhere."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )
