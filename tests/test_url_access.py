"""Who may open which URL: a role × URL matrix, and a walk of the URL resolver.

Every URL pattern of the project has at least one row in GET_MATRIX (the meta-tests below fail
otherwise), and every pattern is either on PUBLIC, deliberately, or sends an anonymous visitor
to the login page. A new URL therefore needs a row here and a decision about who may open it.
"""

import datetime
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.urls.converters import IntConverter, UUIDConverter
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import services as account_services
from accounts.models import Invitation, Role, hash_token
from actions import evidence as ev
from actions.models import Evidence, NationalStatus, StatusHistory
from actions.services import national_status_update
from core import pdf, xlsx
from reviews import services as review_services
from reviews.models import Comment, CountryReport, ReportingRound, ReportTransition
from reviews.models import today as review_today
from summaries.models import ProgressSummary
from summaries.summaries import make_progress_summaries
from tests import factories
from tests.conftest import shared_data

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "focal_point", "coordinator", "reviewer", "secretariat", "observer")

# Outcomes: a status code (302 is a redirect anywhere but a login page: a form saved, a link
# checked), or one of these redirects.
LOGIN = "302 to log in"  # to the login page, with ?next= the page asked for
STAFF = "302 to the admin's log in"  # the admin site: staff only
START = "302 to log in, to start again"  # to the login page with no ?next=

INVITATION_TOKEN = "known-invitation-token-for-the-matrix"


@dataclass(frozen=True)
class Ref:
    """An argument that names an object of the `world` fixture, resolved in each test."""

    name: str


class _World:
    def __getattr__(self, name):
        return Ref(name)


W = _World()


@dataclass(frozen=True)
class Row:
    name: str
    args: tuple
    expected: dict

    @property
    def id(self):
        shown = [a.name if isinstance(a, Ref) else a for a in self.args]
        return f"{self.name}({', '.join(map(str, shown))})"

    def url(self, world):
        return reverse(self.name, args=[resolve(a, world) for a in self.args])


def resolve(argument, world):
    return world[argument.name] if isinstance(argument, Ref) else argument


def rows(table):
    return [Row(name, args, dict(zip(ROLES, codes, strict=True))) for name, args, *codes in table]


# Cambodia's users are the focal point and coordinator; "MY" rows ask for Malaysia's objects.
# The edit URL names no state (the state comes from the account), so "Malaysia's edit" can only
# be tried by tampering with the form: see test_tampered_hidden_fields_change_only_own_state.
# fmt: off
GET_MATRIX = rows([
    # URL name                          arguments        anon   FP KH  CO KH  REV    ADMIN  OBS
    ("home",                             (),              200,   200,   200,   200,   200,   200),
    ("actions:plan_list",                (),              200,   200,   200,   200,   200,   200),
    ("actions:plan_detail",              (W.plan,),       200,   200,   200,   200,   200,   200),
    ("actions:action_item_detail",       (W.plan, "1.1"), 200,   200,   200,   200,   200,   200),
    ("countries:member_state_list",      (),              200,   200,   200,   200,   200,   200),
    ("countries:member_state_detail",    ("KH",),         200,   200,   200,   200,   200,   200),
    ("countries:member_state_detail",    ("kh",),         301,   301,   301,   301,   301,   301),
    ("national:workspace",               (),              LOGIN, 200,   200,   200,   200,   403),
    ("national:plan_workspace",          (W.plan,),       LOGIN, 200,   200,   403,   403,   403),
    ("national:plan_workspace",          (W.old_plan,),   LOGIN, 200,   200,   403,   403,   403),
    ("national:status_detail",           (W.item,),       LOGIN, 200,   200,   403,   403,   403),
    ("national:status_edit",             (W.item,),       LOGIN, 200,   200,   403,   403,   403),
    ("national:status_edit",             (W.old_item,),   LOGIN, 403,   403,   403,   403,   403),
    ("national:status_history",          (W.item,),       LOGIN, 200,   200,   403,   403,   403),
    ("national:state_workspace",         ("KH",),         LOGIN, 200,   200,   200,   200,   403),
    ("national:state_workspace",         ("MY",),         LOGIN, 404,   404,   200,   200,   403),
    ("national:state_plan_workspace",    ("KH", W.plan),  LOGIN, 200,   200,   200,   200,   403),
    ("national:state_plan_workspace",    ("MY", W.plan),  LOGIN, 404,   404,   200,   200,   403),
    ("national:state_status_detail",     ("KH", W.item),  LOGIN, 200,   200,   200,   200,   403),
    ("national:state_status_detail",     ("MY", W.item),  LOGIN, 404,   404,   200,   200,   403),
    ("national:state_status_history",    ("KH", W.item),  LOGIN, 200,   200,   200,   200,   403),
    ("national:state_status_history",    ("MY", W.item),  LOGIN, 404,   404,   200,   200,   403),
    ("national:status_import",           (),              LOGIN, 200,   200,   403,   403,   403),
    ("national:status_import_confirm",   (),              LOGIN, 405,   405,   405,   405,   403),
    ("national:evidence_link_add",       (W.item,),       LOGIN, 405,   405,   405,   405,   405),
    ("national:evidence_file_add",       (W.item,),       LOGIN, 405,   405,   405,   405,   405),
    ("national:evidence_download",       (W.kh_file,),    LOGIN, 200,   200,   200,   200,   404),
    ("national:evidence_download",       (W.my_file,),    LOGIN, 404,   404,   200,   200,   404),
    ("national:evidence_withdraw",       (W.kh_file,),    LOGIN, 200,   200,   403,   403,   404),
    ("national:evidence_withdraw",       (W.my_file,),    LOGIN, 404,   404,   403,   403,   404),
    ("accounts:login",                   (),              200,   200,   200,   200,   200,   200),
    # The code step answers only after a right password; without one, it starts again.
    ("accounts:login_verify",            (),              START, START, START, START, START, START),
    ("accounts:logout",                  (),              405,   405,   405,   405,   405,   405),
    ("accounts:profile",                 (),              LOGIN, 200,   200,   200,   200,   200),
    ("accounts:two_factor",              (),              LOGIN, 200,   200,   200,   200,   200),
    ("accounts:two_factor_disable",      (),              LOGIN, 405,   405,   405,   405,   405),
    ("accounts:recovery_codes_new",      (),              LOGIN, 405,   405,   405,   405,   405),
    ("accounts:password_change",         (),              LOGIN, 200,   200,   200,   200,   200),
    ("accounts:password_change_done",    (),              LOGIN, 200,   200,   200,   200,   200),
    ("accounts:password_reset",          (),              200,   200,   200,   200,   200,   200),
    ("accounts:password_reset_done",     (),              200,   200,   200,   200,   200,   200),
    ("accounts:password_reset_confirm",  (W.uid, W.key),  302,   302,   302,   302,   302,   302),
    ("accounts:password_reset_confirm",  (W.uid, "1-bad"),200,   200,   200,   200,   200,   200),
    ("accounts:password_reset_complete", (),              200,   200,   200,   200,   200,   200),
    ("accounts:invitation_list",         (),              LOGIN, 403,   200,   403,   200,   403),
    ("accounts:invitation_revoke",       (W.invitation,), 405,   405,   405,   405,   405,   405),
    ("accounts:invitation_accept",       (W.token,),      200,   200,   200,   200,   200,   200),
    ("accounts:invitation_accept",       ("unknown",),    404,   404,   404,   404,   404,   404),
    # Dashboards: regional aggregates for everyone signed in; state detail only where visible.
    ("reports:index",                    (),              LOGIN, 200,   200,   200,   200,   200),
    ("reports:plan_dashboard",           (W.plan,),       LOGIN, 200,   200,   200,   200,   200),
    ("reports:plan_dashboard",           (W.old_plan,),   LOGIN, 200,   200,   200,   200,   200),
    ("reports:plan_dashboard",           ("no-such-plan",),LOGIN, 404,  404,   404,   404,   404),
    ("reports:plan_matrix_csv",          (W.plan,),       LOGIN, 200,   200,   200,   200,   200),
    ("reports:plan_matrix_xlsx",         (W.plan,),       LOGIN, 200,   200,   200,   200,   200),
    ("reports:plan_brief_pdf",           (W.plan,),       LOGIN, 200,   200,   200,   200,   200),
    ("reports:state_profile",            ("KH",),         LOGIN, 200,   200,   200,   200,   404),
    ("reports:state_profile",            ("MY",),         LOGIN, 404,   404,   200,   200,   404),
    ("reports:item_across_states",       (W.item,),       LOGIN, 200,   200,   200,   200,   200),
    ("reports:statuses",                 (),              LOGIN, 200,   200,   200,   200,   200),
    ("reports:statuses_xlsx",         (),              LOGIN, 200,   200,   200,   200,   200),
    ("reports:statuses_csv",             (),              LOGIN, 200,   200,   200,   200,   200),
    ("reports:history",                  (),              LOGIN, 200,   200,   200,   200,   200),
    ("reports:history_xlsx",          (),              LOGIN, 200,   200,   200,   200,   200),
    ("reports:history_csv",              (),              LOGIN, 200,   200,   200,   200,   200),
    ("reports:evidence",                 (),              LOGIN, 200,   200,   200,   200,   200),
    ("reports:evidence_xlsx",         (),              LOGIN, 200,   200,   200,   200,   200),
    ("reports:evidence_csv",             (),              LOGIN, 200,   200,   200,   200,   200),
    ("reports:round_report_csv",         (W.round, "KH"), LOGIN, 200,   200,   200,   200,   404),
    ("reports:round_report_csv",         (W.round, "MY"), LOGIN, 404,   404,   404,   404,   404),
    ("reports:round_report_csv",         (999999, "KH"),  LOGIN, 404,   404,   404,   404,   404),
    ("reports:round_report_xlsx",        (W.round, "KH"), LOGIN, 200,   200,   200,   200,   404),
    ("reports:round_report_xlsx",        (W.round, "MY"), LOGIN, 404,   404,   404,   404,   404),
    # A state's update file: its own focal points and coordinators only.
    ("reports:update_file_csv",          (),              LOGIN, 200,   200,   403,   403,   403),
    ("reports:update_file_xlsx",         (),              LOGIN, 200,   200,   403,   403,   403),
    ("reports:downloads_help",           (),              LOGIN, 200,   200,   200,   200,   200),
    # Reporting rounds and review: a state user's report is their own state's only; observers
    # open any report page but see only accepted submissions on it. The moves are POST-only.
    ("reviews:home",                     (),              LOGIN, 302,   200,   200,   200,   200),
    ("reviews:round_list",               (),              LOGIN, 200,   200,   200,   200,   200),
    ("reviews:round_create",             (),              LOGIN, 403,   403,   403,   200,   403),
    ("reviews:compliance",               (),              LOGIN, 200,   200,   200,   200,   200),
    ("reviews:round_compliance",         (W.round,),      LOGIN, 200,   200,   200,   200,   200),
    ("reviews:round_compliance",         (999999,),       LOGIN, 404,   404,   404,   404,   404),
    ("reviews:my_report",                (),              LOGIN, 302,   302,   302,   302,   302),
    ("reviews:report_detail",            (W.round, "KH"), LOGIN, 200,   200,   200,   200,   200),
    ("reviews:report_detail",            (W.round, "MY"), LOGIN, 404,   404,   200,   200,   200),
    ("reviews:report_detail",            (W.round, "TL"), LOGIN, 404,   404,   404,   404,   404),
    ("reviews:report_check",             (W.round, "KH"), LOGIN, 200,   200,   200,   200,   403),
    ("reviews:report_check",             (W.round, "MY"), LOGIN, 404,   404,   200,   200,   403),
    ("reviews:report_check",             (W.round, "TL"), LOGIN, 404,   404,   404,   404,   404),
    # The printable report: scoped exactly like the report page.
    ("reviews:report_pdf",               (W.round, "KH"), LOGIN, 200,   200,   200,   200,   200),
    ("reviews:report_pdf",               (W.round, "MY"), LOGIN, 404,   404,   200,   200,   200),
    ("reviews:report_submit",            (W.round, "KH"), LOGIN, 405,   405,   405,   405,   405),
    ("reviews:report_return",            (W.round, "KH"), LOGIN, 405,   405,   405,   405,   405),
    ("reviews:report_accept",            (W.round, "KH"), LOGIN, 405,   405,   405,   405,   405),
    ("reviews:report_reopen",            (W.round, "KH"), LOGIN, 405,   405,   405,   405,   405),
    ("reviews:comment_add",              (W.round, "KH"), LOGIN, 405,   405,   405,   405,   405),
    ("reviews:notification_list",        (),              LOGIN, 200,   200,   200,   200,   200),
    ("reviews:notification_read_all",    (),              LOGIN, 405,   405,   405,   405,   405),
    ("reviews:notification_open",        (999999,),       LOGIN, 405,   405,   405,   405,   405),
    ("reviews:evidence_review",          (W.kh_file,),    LOGIN, 403,   403,   200,   200,   403),
    ("reviews:evidence_review",          (W.my_file,),    LOGIN, 403,   403,   200,   200,   403),
    # Region summaries for every signed-in user; a state's for the state, reviewers, secretariat.
    ("summaries:list",                   (),              LOGIN, 200,   200,   200,   200,   200),
    ("summaries:detail",           (W.region_summary,),   LOGIN, 200,   200,   200,   200,   200),
    ("summaries:detail",               (W.kh_summary,),   LOGIN, 200,   200,   200,   200,   404),
    ("summaries:detail",               (W.my_summary,),   LOGIN, 404,   404,   200,   200,   404),
    ("summaries:csv",              (W.region_summary,),   LOGIN, 200,   200,   200,   200,   200),
    ("summaries:csv",                  (W.kh_summary,),   LOGIN, 200,   200,   200,   200,   404),
    ("summaries:csv",                  (W.my_summary,),   LOGIN, 404,   404,   200,   200,   404),
    ("summaries:preferences",            (),              LOGIN, 200,   200,   200,   200,   200),
    # The admin site is one group: Django protects it; only the secretariat is staff.
    ("admin:index",                      (),              STAFF, STAFF, STAFF, STAFF, 200,   STAFF),
    # Its login page is the site's own (throttled, two-factor): refused to signed-in non-staff.
    ("admin:login",                      (),              LOGIN, 403,   403,   403,   302,   403),
    ("admin:accounts_user_changelist",   (),              STAFF, STAFF, STAFF, STAFF, 200,   STAFF),
])
# fmt: on

# URL names anyone may open without logging in, deliberately. Everything else must send an
# anonymous visitor to the login page.
PUBLIC = {
    "home",
    "actions:plan_list",
    "actions:plan_detail",
    "actions:action_item_detail",
    "countries:member_state_list",
    "countries:member_state_detail",
    "accounts:login",
    "accounts:login_verify",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:invitation_accept",
}
ADMIN_NAMESPACE = "admin"
ADMIN_ROUTE = "admin/"  # as mounted in rpa_tracker/urls.py
ROUTE_TAG = re.compile(r"<(?:\w+:)?(?P<keyword>\w+)>")  # <int:item_id> in a path() route


# --- The objects the URLs point at ---------------------------------------------------------------


def _save(user, item, **values):
    fields = {
        "status": NationalStatus.Status.IN_PROGRESS,
        "progress": 40,
        "narrative": f"{user.member_state}'s own draft",
        "challenges": "",
        "next_steps": "",
        "responsible_agency": "",
    }
    fields.update(values)
    return national_status_update(
        user=user,
        member_state=user.member_state,
        action_item=item,
        expected_version=0,
        **fields,
    )


def _png(name):
    return SimpleUploadedFile(name, factories.png_bytes(), content_type="image/png")


PERSONAS = factories.EACH_ROLE_AND_A_NEIGHBOUR


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The matrix's world, built once for the module: every test's writes are rolled back."""
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=media), shared_data(django_db_blocker):
        cambodia, malaysia = factories.make_state("KH"), factories.make_state("MY")
        plan_2021 = factories.make_plan(2021, 2025)
        plan_2026 = factories.make_plan(2026, 2030, predecessor=plan_2021)
        people = {
            "focal_point": factories.make_user(
                Role.FOCAL_POINT, cambodia, email="sophea@example.org", name="Sophea"
            ),
            "coordinator": factories.make_user(
                Role.COORDINATOR, cambodia, email="dara@example.org", name="Dara"
            ),
            "other_focal_point": factories.make_user(
                Role.FOCAL_POINT, malaysia, email="aisyah@example.org", name="Aisyah"
            ),
            "reviewer": factories.make_user(Role.REVIEWER, email="maria@example.org", name="Maria"),
            "secretariat": factories.make_user(
                Role.SECRETARIAT, email="budi@example.org", name="Budi", is_staff=True
            ),
            "observer": factories.make_user(Role.OBSERVER, email="lin@example.org", name="Lin"),
        }
        world = _build_world(plan_2021, plan_2026, **people)
        sessions = _sessions(people)
        yield world, {"cambodia": cambodia, "malaysia": malaysia, **people}, sessions, snapshot()


@pytest.fixture(scope="module", autouse=True)
def _documents_not_laid_out():
    """The matrix asks who gets a document, and with which headers: the views, their access
    checks, the PDFs' templates and the workbooks' rows run for real, but the PDF is not laid
    out (WeasyPrint takes 0.3-0.9 s a document) and no workbook is packed. What the documents
    hold is tested in tests/documents and tests/regional/test_xlsx*.py."""

    def rows_only(target, header, rows, *, title="", provisional_rows=False):
        count = sum(1 for _ in rows)
        target.write(b"rows read, no workbook")
        return count

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf, "layout_pdf", lambda html: b"%PDF- not laid out")
        patch.setattr(xlsx, "write_workbook", rows_only)
        yield


def _sessions(people):
    """A signed-in session of each role's persona, made once: a test's client only takes its
    cookie (a test that logs out deletes the session in its own transaction)."""
    sessions = {}
    for role in ROLES[1:]:
        client = Client()
        client.force_login(people[role])
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions


@pytest.fixture
def world(_world):
    return _world[0]


@pytest.fixture
def as_built(_world):
    """The snapshot() of the world as built: every test's writes are rolled back."""
    return _world[3]


@pytest.fixture
def cambodia(_world):
    return _world[1]["cambodia"]


@pytest.fixture
def malaysia(_world):
    return _world[1]["malaysia"]


@pytest.fixture
def focal_point(_world):
    return _world[1]["focal_point"]


@pytest.fixture
def coordinator(_world):
    return _world[1]["coordinator"]


@pytest.fixture
def other_focal_point(_world):
    return _world[1]["other_focal_point"]


@pytest.fixture
def reviewer(_world):
    return _world[1]["reviewer"]


@pytest.fixture
def secretariat(_world):
    return _world[1]["secretariat"]


@pytest.fixture
def observer(_world):
    return _world[1]["observer"]


def _build_world(
    plan_2021,
    plan_2026,
    focal_point,
    coordinator,
    other_focal_point,
    reviewer,
    secretariat,
    observer,
):
    """Cambodia's and Malaysia's status of a current item, each with a file; an invitation."""
    item = factories.make_item(factories.make_focus_area(plan_2026), code="1.1")
    old_item = factories.make_item(factories.make_focus_area(plan_2021), code="1.1")
    _save(focal_point, item)
    _save(other_focal_point, item)
    ev.evidence_add_link(
        user=focal_point, item=item, title="Cambodia's decree", url="https://example.org/kh"
    )
    kh_file = ev.evidence_add_file(user=focal_point, item=item, file=_png("kh.png"))
    my_file = ev.evidence_add_file(user=other_focal_point, item=item, file=_png("my.png"))
    invitation = account_services.invitation_create(
        invited_by=secretariat, email="new.reviewer@example.org", role=Role.REVIEWER
    )
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=hash_token(INVITATION_TOKEN))
    # Someone who asked for a new password; never logged in here, so the token stays valid.
    forgetful = factories.make_user(Role.OBSERVER, email="forgetful@example.org")
    # An open round in which Cambodia's report is submitted and a reviewer asked a question.
    reporting_round = ReportingRound.objects.create(
        plan=plan_2026,
        name="2026 annual",
        opens_on=review_today() - datetime.timedelta(days=10),
        due_on=review_today() + datetime.timedelta(days=20),
        closes_on=review_today() + datetime.timedelta(days=40),
    )
    kh_report = review_services.report_for(
        reporting_round=reporting_round, member_state=coordinator.member_state
    )
    review_services.report_submit(user=coordinator, report=kh_report)
    review_services.comment_add(user=reviewer, report=kh_report, body="Which decree?")
    # Progress summaries of the region, Cambodia and Malaysia.
    make_progress_summaries()
    summaries = ProgressSummary.objects.filter(final=True)
    return {
        "region_summary": summaries.get(member_state=None).pk,
        "kh_summary": summaries.get(member_state__code="KH").pk,
        "my_summary": summaries.get(member_state__code="MY").pk,
        "round": reporting_round.pk,
        "plan_pk": plan_2026.pk,
        "plan": plan_2026.code,
        "old_plan": plan_2021.code,
        "item": item.pk,
        "old_item": old_item.pk,
        "kh_file": kh_file.pk,
        "my_file": my_file.pk,
        "invitation": invitation.pk,
        "token": INVITATION_TOKEN,
        "uid": urlsafe_base64_encode(force_bytes(forgetful.pk)),
        "key": default_token_generator.make_token(forgetful),
        "kh": focal_point.member_state_id,
        "kh_status": NationalStatus.objects.get(member_state__code="KH", action_item=item),
        "my_status": NationalStatus.objects.get(member_state__code="MY", action_item=item),
    }


@pytest.fixture(scope="module")
def _clients():
    return {role: Client() for role in ROLES}


@pytest.fixture
def clients(_world, _clients):
    """One client per role, signed in as that role's persona (anonymous: not signed in): each
    test's client has the session's cookie and nothing else."""
    for role, client in _clients.items():
        client.cookies.clear()
        if role in _world[2]:
            client.cookies[settings.SESSION_COOKIE_NAME] = _world[2][role]
    return _clients


def outcome(response, asked_for):
    """What a response did, in the matrix's terms."""
    if response.status_code != 302:
        return response.status_code
    target = urlsplit(response["Location"])
    if target.path == reverse("accounts:login"):
        next_ = parse_qs(target.query).get("next")
        if next_ is None:
            return START
        return LOGIN if next_ == [asked_for] else f"log in, then go to {next_}"
    if target.path == reverse("admin:login"):
        return STAFF
    return 302


# --- GET: every URL × every role --------------------------------------------------------------


@pytest.mark.parametrize("row", GET_MATRIX, ids=lambda row: row.id)
def test_each_role_gets_the_expected_answer_from_each_url_and_no_cache_keeps_it(
    row, world, clients
):
    """What each role gets; and nothing a signed-in user is shown may be kept in a cache
    (private pages stay private on shared computers and behind proxies)."""
    url = row.url(world)

    responses = {role: clients[role].get(url) for role in ROLES}

    assert {role: outcome(response, url) for role, response in responses.items()} == row.expected
    cached = {}
    for role in ROLES[1:]:
        directives = responses[role].get("Cache-Control", "")
        if "no-store" not in directives or "private" not in directives:
            cached[role] = directives
    assert cached == {}


# --- POST: the main writes × every role, and nothing changes when refused ---------------------


def snapshot():
    """Everything the writes below could change, as plain values."""
    return {
        "statuses": list(NationalStatus.objects.order_by("pk").values()),
        "history": list(StatusHistory.objects.order_by("pk").values_list("pk", flat=True)),
        "evidence": list(Evidence.objects.order_by("pk").values()),
        "invitations": list(Invitation.objects.order_by("pk").values()),
        "rounds": list(ReportingRound.objects.order_by("pk").values()),
        "reports": list(CountryReport.objects.order_by("pk").values()),
        "transitions": list(ReportTransition.objects.order_by("pk").values_list("pk", flat=True)),
        "comments": list(Comment.objects.order_by("pk").values_list("pk", flat=True)),
    }


def status_form(world):
    return {
        "status": "completed",
        "progress": "100",
        "narrative": "Law adopted.",
        "challenges": "",
        "next_steps": "",
        "responsible_agency": "CNCC",
        "version": str(world["kh_status"].version),
    }


def old_status_form(world):
    return {**status_form(world), "version": "0"}


def link_form(world):
    return {"link-title": "Ministry page", "link-url": "https://example.org/ministry"}


def file_form(world):
    return {"upload-files": [_png("chart.png")], "upload-title": "Chart"}


def invitation_form(world):
    return {"email": "new.focal@example.org", "role": "focal_point", "member_state": world["kh"]}


def round_form(world):
    opens = review_today() + datetime.timedelta(days=100)
    return {
        "plan": world["plan_pk"],
        "name": "Next round",
        "opens_on": opens.isoformat(),
        "due_on": (opens + datetime.timedelta(days=30)).isoformat(),
        "closes_on": (opens + datetime.timedelta(days=60)).isoformat(),
    }


def submit_form(world):
    counts = "never_updated=0;missing_narrative=0;missing_evidence=0;unanswered_evidence=0"
    return {"cover_note": "All items updated.", "counts": counts, "confirm": "on"}


def return_form(world):
    return {"comment": "Please add the 2025 decree."}


def reopen_form(world):
    return {"reason": "A figure was wrong."}


def comment_form(world):
    return {"item": "", "body": "Decree 12/2025."}


def evidence_review_form(world):
    return {"decision": "needs_more", "comment": "A signed copy, please."}


def no_form(world):
    return {}


def digest_form(world):
    return {"region": "on"}


@dataclass(frozen=True)
class PostRow:
    label: str
    name: str
    args: tuple
    form: object
    expected: tuple
    writes: bool = True  # whether success (a 302) changes the snapshot

    def url(self, world):
        return Row(self.name, self.args, {}).url(world)


# fmt: off
POST_MATRIX = [
    #       label, URL name, arguments, form
    #       anon   FP KH  CO KH  REV  ADMIN OBS
    PostRow("status edit", "national:status_edit", (W.item,), status_form,
            (LOGIN, 302,   302,   403, 403,  403)),
    PostRow("status edit, closed plan", "national:status_edit", (W.old_item,), old_status_form,
            (LOGIN, 403,   403,   403, 403,  403)),
    PostRow("evidence link", "national:evidence_link_add", (W.item,), link_form,
            (LOGIN, 302,   302,   403, 403,  403)),
    PostRow("evidence file", "national:evidence_file_add", (W.item,), file_form,
            (LOGIN, 302,   302,   403, 403,  403)),
    PostRow("withdraw KH", "national:evidence_withdraw", (W.kh_file,), no_form,
            (LOGIN, 302,   302,   403, 403,  404)),
    PostRow("withdraw MY", "national:evidence_withdraw", (W.my_file,), no_form,
            (LOGIN, 404,   404,   403, 403,  404)),
    PostRow("invite", "accounts:invitation_list", (), invitation_form,
            (LOGIN, 403,   302,   403, 302,  403)),
    PostRow("revoke invitation", "accounts:invitation_revoke", (W.invitation,), no_form,
            (LOGIN, 404,   404,   404, 302,  404)),
    PostRow("create round", "reviews:round_create", (), round_form,
            (LOGIN, 403,   403,   403, 302,  403)),
    # Cambodia's report is submitted already: the coordinator is told so, and nothing changes.
    PostRow("submit KH again", "reviews:report_submit", (W.round, "KH"), submit_form,
            (LOGIN, 403,   302,   403, 403,  403), writes=False),
    PostRow("submit MY", "reviews:report_submit", (W.round, "MY"), submit_form,
            (LOGIN, 404,   404,   403, 403,  403)),
    PostRow("return KH", "reviews:report_return", (W.round, "KH"), return_form,
            (LOGIN, 403,   403,   302, 302,  403)),
    PostRow("accept KH", "reviews:report_accept", (W.round, "KH"), no_form,
            (LOGIN, 403,   403,   302, 302,  403)),
    # Reopening needs an accepted report: reviewers are told so, and nothing changes.
    PostRow("reopen KH, not accepted", "reviews:report_reopen", (W.round, "KH"), reopen_form,
            (LOGIN, 403,   403,   302, 302,  403), writes=False),
    PostRow("comment KH", "reviews:comment_add", (W.round, "KH"), comment_form,
            (LOGIN, 302,   302,   302, 302,  403)),
    PostRow("comment MY", "reviews:comment_add", (W.round, "MY"), comment_form,
            (LOGIN, 404,   404,   302, 302,  403)),
    PostRow("review KH evidence", "reviews:evidence_review", (W.kh_file,), evidence_review_form,
            (LOGIN, 403,   403,   302, 302,  403)),
    PostRow("digest preferences", "summaries:preferences", (), digest_form,
            (LOGIN, 302,   302,   302, 302,  302), writes=False),
    PostRow("log out", "accounts:logout", (), no_form,
            (302,   302,   302,   302, 302,  302), writes=False),
]
# fmt: on


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", POST_MATRIX, ids=lambda row: row.label)
def test_each_role_may_write_only_what_the_matrix_allows(row, role, world, clients, as_built):
    url = row.url(world)
    before = as_built

    answer = outcome(clients[role].post(url, row.form(world)), url)

    assert answer == row.expected[ROLES.index(role)]
    if answer == 302 and row.writes:
        assert snapshot() != before
    else:
        assert snapshot() == before


@pytest.mark.parametrize("role", ROLES[1:])
def test_logging_out_ends_the_session(role, world, clients):
    clients[role].post(reverse("accounts:logout"))

    response = clients[role].get(reverse("accounts:profile"))

    assert outcome(response, reverse("accounts:profile")) == LOGIN


def test_tampered_hidden_fields_change_only_own_state(world, clients, malaysia, reviewer):
    """Naming Malaysia (or another author) in the forms changes Cambodia's status, never hers."""

    def malaysias_rows():
        statuses = NationalStatus.objects.filter(member_state=malaysia)
        evidence = Evidence.objects.filter(national_status__member_state=malaysia)
        return list(statuses.values()), list(evidence.values())

    malaysia_before = malaysias_rows()
    tampered = {
        "member_state": malaysia.pk,
        "member_state_id": malaysia.pk,
        "country": "MY",
        "code": "MY",
        "national_status": world["my_status"].pk,
        "updated_by": reviewer.pk,
    }
    client = clients["focal_point"]

    edit = client.post(
        reverse("national:status_edit", args=[world["item"]]), {**status_form(world), **tampered}
    )
    link = client.post(
        reverse("national:evidence_link_add", args=[world["item"]]),
        {**link_form(world), **tampered},
    )

    assert (edit.status_code, link.status_code) == (302, 302)
    cambodias = NationalStatus.objects.get(pk=world["kh_status"].pk)
    assert (cambodias.status, cambodias.updated_by.email) == ("completed", "sophea@example.org")
    assert cambodias.evidence.filter(title="Ministry page").exists()
    assert malaysias_rows() == malaysia_before


# --- The resolver: every URL is public on purpose, or asks for a login; and is in the matrix ----


@dataclass(frozen=True)
class Pattern:
    name: str | None  # namespaced, e.g. "national:status_edit"; None when unnamed
    route: str  # the full route, e.g. "national/items/<int:item_id>/edit/"
    parameters: dict  # keyword -> converter (None for a regex group)
    buildable_from_route: bool  # all parts are path() routes, so the URL can be filled in

    @property
    def in_admin(self):
        # The admin's catch-all pattern has no name: it is known by where the admin is mounted.
        return (self.name or "").split(":")[0] == ADMIN_NAMESPACE or self.route.startswith(
            ADMIN_ROUTE
        )


def url_patterns(resolver=None, prefix="", namespace="", parameters=None, plain=True):
    """Every URL pattern under `resolver` (default: the project's), through includes."""
    resolver = resolver or get_resolver()
    parameters = parameters or {}
    for entry in resolver.url_patterns:
        here = {**parameters, **_parameters(entry.pattern)}
        route = prefix + str(entry.pattern)
        is_route = plain and type(entry.pattern).__name__ == "RoutePattern"
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, route, inner, here, is_route)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield Pattern(name, route, here, is_route)


def _parameters(pattern):
    converters = getattr(pattern, "converters", {})
    groups = dict.fromkeys(pattern.regex.groupindex) if not converters else {}
    return {**groups, **converters}


def plausible_value(keyword, converter, world):
    """A real object's value for a URL keyword when there is one, else one of the right form."""
    by_keyword = {
        "item_id": world["item"],
        "plan_code": world["plan"],
        "item_code": "1.1",
        "code": "KH",
        "token": world["token"],
        "uidb64": world["uid"],
        "pk": world["kh_file"],
    }
    if keyword in by_keyword:
        return by_keyword[keyword]
    if isinstance(converter, IntConverter):
        return 1
    if isinstance(converter, UUIDConverter):
        return "00000000-0000-0000-0000-000000000001"
    return "x"


def url_for(pattern, world):
    """A URL of `pattern` with real objects: the matrix's first row for it, else filled in."""
    row = next((row for row in GET_MATRIX if row.name == pattern.name), None)
    if row is not None:
        return row.url(world)
    values = {k: plausible_value(k, c, world) for k, c in pattern.parameters.items()}
    if pattern.name:
        return reverse(pattern.name, kwargs=values)
    if not pattern.buildable_from_route:
        return None

    def fill(tag):
        keyword = tag["keyword"]
        converter = pattern.parameters[keyword]
        return str(converter.to_url(values[keyword]))

    return "/" + ROUTE_TAG.sub(fill, pattern.route)


def unprotected(world):
    """Patterns neither PUBLIC nor sending an anonymous visitor to log in, with what they did."""
    client = Client()
    problems = []
    for pattern in url_patterns():
        if pattern.in_admin or pattern.name in PUBLIC:
            continue
        url = url_for(pattern, world)
        if url is None:
            problems.append((pattern.route, "unnamed, and its URL cannot be built"))
            continue
        answer = outcome(client.get(url), url)
        if answer == 405:  # a POST-only view: a POST must ask for a login too
            answer = outcome(client.post(url), url)
        if answer != LOGIN:
            problems.append((pattern.name or pattern.route, answer))
    return problems


def test_every_url_is_public_on_purpose_or_asks_anonymous_visitors_to_log_in(world):
    problems = unprotected(world)

    assert problems == [], "Put these behind the login, or add them to PUBLIC on purpose."


def test_every_url_pattern_has_a_row_in_the_role_matrix():
    in_matrix = {row.name for row in GET_MATRIX}
    project = [p for p in url_patterns() if not p.in_admin]

    missing = [p.name or p.route for p in project if p.name not in in_matrix]

    assert missing == [], "Add a GET_MATRIX row (who gets what) for each of these URLs."
    assert any(row.name.startswith(f"{ADMIN_NAMESPACE}:") for row in GET_MATRIX)


def test_the_matrix_and_the_public_list_name_only_urls_that_exist():
    names = {p.name for p in url_patterns()}

    assert {row.name for row in GET_MATRIX} - names == set()
    assert PUBLIC - names == set()


def test_the_admin_site_sends_anonymous_visitors_to_its_own_login(db):
    response = Client().get("/admin/")

    assert outcome(response, "/admin/") == STAFF


def _leaky_view(request, item_id=None):
    return HttpResponse("Cambodia's private draft")


class LeakyUrls:
    """A URL configuration with one page that forgot its login check."""

    urlpatterns = [
        path("accounts/", include("accounts.urls")),
        path("leak/<int:item_id>/", _leaky_view),
        path("guarded/<int:item_id>/", login_required(_leaky_view), name="guarded"),
    ]


def test_the_resolver_walk_finds_a_page_that_forgot_its_login_check(world, settings):
    settings.ROOT_URLCONF = LeakyUrls

    assert unprotected(world) == [("leak/<int:item_id>/", 200)]
    assert [p.name for p in url_patterns() if p.name and not p.name.startswith("accounts:")] == [
        "guarded"
    ]
