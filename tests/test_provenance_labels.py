"""Provisional wording is labelled wherever an action or a focus area is shown.

Every page type, CSV download and e-mail that shows an action or a focus area is listed
below. Each is opened twice on the same data: once with the action and its focus area
provisional, where the "Provisional" badge (or the plain-text mark, or the CSV's provenance
column) must be there, and once with both confirmed, where it must not.
"""

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.core import mail
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from actions import evidence as ev
from actions.models import NationalStatus, Provenance
from mailings.digests import digest_mails, with_digest_choices
from mailings.mailing import deliver
from mailings.reminders import stale_reminders
from reviews import notifications
from reviews import services as review_services
from reviews.models import ReportingRound
from reviews.models import today as review_today
from summaries.models import ProgressSummary
from summaries.summaries import make_progress_summaries
from tests import factories
from tests.conftest import shared_data

BADGE = '<span class="badge provisional">Provisional</span>'
TEXT_MARK = "(provisional)"
MAIN = re.compile(r'<main id="main".*?</main>', re.S)  # the page without its footer's legend


pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", params=[Provenance.PROVISIONAL, Provenance.CONFIRMED])
def provenance(request):
    return request.param


@pytest.fixture(scope="module")
def _world(provenance, django_db_setup, django_db_blocker, tmp_path_factory):
    """One action (in one focus area) of the current plan, both of `provenance`, which
    Cambodia updated, gave evidence for, submitted, had commented on and accepted; built once
    for each provenance (each test's writes are rolled back)."""
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=media), shared_data(django_db_blocker):
        cambodia = factories.make_state("KH")
        factories.make_state("MY")
        plan_2021 = factories.make_plan(2021, 2025)
        plan_2026 = factories.make_plan(2026, 2030, predecessor=plan_2021)
        people = {
            "focal_point": factories.make_user(Role.FOCAL_POINT, cambodia),
            "coordinator": factories.make_user(Role.COORDINATOR, cambodia),
            "reviewer": factories.make_user(Role.REVIEWER),
            "observer": factories.make_user(Role.OBSERVER),
        }
        yield _build_world(plan_2026, provenance, **people), people


def _build_world(plan_2026, provenance, *, focal_point, coordinator, reviewer, observer):
    area = factories.make_focus_area(plan_2026, 1, title="Legal frameworks", provenance=provenance)
    item = factories.make_item(area, "1.1", title="Review the laws", provenance=provenance)
    factories.save_status(focal_point, item, status="in_progress", progress=40)
    link = ev.evidence_add_link(
        user=focal_point, item=item, title="Decree", url="https://example.org/decree"
    )
    reporting_round = ReportingRound.objects.create(
        plan=plan_2026,
        name="2026 annual",
        opens_on=review_today() - datetime.timedelta(days=10),
        due_on=review_today() + datetime.timedelta(days=20),
        closes_on=review_today() + datetime.timedelta(days=40),
    )
    report = review_services.report_for(
        reporting_round=reporting_round, member_state=coordinator.member_state
    )
    review_services.report_submit(user=coordinator, report=report)
    comment = review_services.comment_add(
        user=reviewer, report=report, body="Which law?", action_item=item
    )
    review_services.report_accept(user=reviewer, report=report)
    make_progress_summaries()
    return {
        "plan": plan_2026,
        "item": item,
        "evidence": link,
        "round": reporting_round,
        "comment": comment,
        "kh_summary": ProgressSummary.objects.filter(member_state__code="KH").latest("pk"),
        "region_summary": ProgressSummary.objects.filter(member_state=None).latest("pk"),
    }


@pytest.fixture
def world(_world):
    return _world[0]


# (what, who opens it, how its URL is made from the world)
PAGES = [
    ("plan page", "anonymous", lambda w: reverse("actions:plan_detail", args=[w["plan"].code])),
    (
        "action page",
        "anonymous",
        lambda w: reverse("actions:action_item_detail", args=[w["plan"].code, "1.1"]),
    ),
    ("workspace", "focal_point", lambda w: reverse("national:workspace")),
    (
        "a state's workspace, as a reviewer",
        "reviewer",
        lambda w: reverse("national:state_plan_workspace", args=["KH", w["plan"].code]),
    ),
    ("item page", "focal_point", lambda w: reverse("national:status_detail", args=[w["item"].pk])),
    (
        "item page, as a reviewer",
        "reviewer",
        lambda w: reverse("national:state_status_detail", args=["KH", w["item"].pk]),
    ),
    ("edit page", "focal_point", lambda w: reverse("national:status_edit", args=[w["item"].pk])),
    (
        "an item's history page",
        "focal_point",
        lambda w: reverse("national:status_history", args=[w["item"].pk]),
    ),
    (
        "country report",
        "reviewer",
        lambda w: reverse("reviews:report_detail", args=[w["round"].pk, "KH"]),
    ),
    (
        "country report, as an observer",
        "observer",
        lambda w: reverse("reviews:report_detail", args=[w["round"].pk, "KH"]),
    ),
    (
        "withdrawing evidence",
        "focal_point",
        lambda w: reverse("national:evidence_withdraw", args=[w["evidence"].pk]),
    ),
    (
        "evidence review",
        "reviewer",
        lambda w: reverse("reviews:evidence_review", args=[w["evidence"].pk]),
    ),
    (
        "regional dashboard",
        "reviewer",
        lambda w: reverse("reports:plan_dashboard", args=[w["plan"].code]),
    ),
    (
        "regional dashboard, as an observer",
        "observer",
        lambda w: reverse("reports:plan_dashboard", args=[w["plan"].code]),
    ),
    (
        "action across states dashboard",
        "reviewer",
        lambda w: reverse("reports:item_across_states", args=[w["item"].pk]),
    ),
    ("state profile", "reviewer", lambda w: reverse("reports:state_profile", args=["KH"])),
    (
        "status table",
        "reviewer",
        lambda w: reverse("reports:statuses") + f"?plan={w['plan'].code}",
    ),
    ("history table", "reviewer", lambda w: reverse("reports:history")),
    ("evidence table", "reviewer", lambda w: reverse("reports:evidence")),
    (
        "a state's summary",
        "focal_point",
        lambda w: reverse("summaries:detail", args=[w["kh_summary"].pk]),
    ),
    (
        "the region's summary",
        "reviewer",
        lambda w: reverse("summaries:detail", args=[w["region_summary"].pk]),
    ),
]

CSVS = [
    ("statuses", "reviewer", lambda w: reverse("reports:statuses_csv") + f"?plan={w['plan'].code}"),
    ("history", "reviewer", lambda w: reverse("reports:history_csv")),
    ("evidence", "reviewer", lambda w: reverse("reports:evidence_csv")),
    (
        "status matrix",
        "reviewer",
        lambda w: reverse("reports:plan_matrix_csv", args=[w["plan"].code]),
    ),
    (
        "a state's report in a round",
        "reviewer",
        lambda w: reverse("reports:round_report_csv", args=[w["round"].pk, "KH"]),
    ),
    (
        "a state's summary",
        "focal_point",
        lambda w: reverse("summaries:csv", args=[w["kh_summary"].pk]),
    ),
    (
        "the region's summary",
        "reviewer",
        lambda w: reverse("summaries:csv", args=[w["region_summary"].pk]),
    ),
]


def client_of(who, client, world_and_people):
    if who != "anonymous":
        client.force_login(world_and_people[1][who])
    return client


@pytest.mark.parametrize(("what", "who", "url"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_labels_a_provisional_action_and_only_that(
    what, who, url, world, provenance, client, _world
):
    response = client_of(who, client, _world).get(url(world))

    assert response.status_code == 200
    (main,) = MAIN.findall(response.content.decode())
    # It shows the action (by its title, or by its number in a table) or its focus area.
    assert "Review the laws" in main or ">1.1</a>" in main or "Legal frameworks" in main
    assert (BADGE in main) == (provenance == Provenance.PROVISIONAL)


XLSX = [
    (
        "statuses",
        "reviewer",
        lambda w: reverse("reports:statuses_xlsx") + f"?plan={w['plan'].code}",
    ),
    ("history", "reviewer", lambda w: reverse("reports:history_xlsx")),
    ("evidence", "reviewer", lambda w: reverse("reports:evidence_xlsx")),
    (
        "status matrix",
        "reviewer",
        lambda w: reverse("reports:plan_matrix_xlsx", args=[w["plan"].code]),
    ),
    (
        "a state's report in a round",
        "reviewer",
        lambda w: reverse("reports:round_report_xlsx", args=[w["round"].pk, "KH"]),
    ),
    ("a state's update file", "focal_point", lambda w: reverse("reports:update_file_xlsx")),
]
CSVS.append(("a state's update file", "focal_point", lambda w: reverse("reports:update_file_csv")))


def csv_table(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def xlsx_table(response):
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


DOWNLOADS = [(*c, csv_table) for c in CSVS] + [(*x, xlsx_table) for x in XLSX]


@pytest.mark.parametrize(
    ("what", "who", "url", "table"),
    DOWNLOADS,
    ids=[f"{d[0]} ({d[3].__name__[:-6]})" for d in DOWNLOADS],
)
def test_each_download_ends_with_the_provenance_of_its_actions_or_focus_areas(
    what, who, url, table, world, provenance, client, _world
):
    response = client_of(who, client, _world).get(url(world))

    assert response.status_code == 200
    header, *rows = table(response)
    assert header[-1].lower() == "provenance"
    about_the_action = [
        row
        for row in rows
        if any(c == "1.1" or "Legal frameworks" in c or "Review the laws" in c for c in row)
    ]
    assert about_the_action
    assert {row[-1] for row in about_the_action} == {provenance}
    assert {row[-1] for row in rows} <= {provenance, ""}


def _mail_about_the_comment(world):
    with TestCase.captureOnCommitCallbacks(execute=True):  # the outbox sends after the commit
        notifications.queue_comment_emails(world["comment"].pk)


def _digest(world):
    factories.make_user(Role.REVIEWER, email="ana@example.org")
    users = with_digest_choices(User.objects.filter(email="ana@example.org"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        deliver(digest_mails([world["region_summary"]], list(users)))


def _stale_reminder(world):
    NationalStatus.objects.update(updated_at=timezone.now() - datetime.timedelta(days=400))
    users = list(User.objects.filter(role=Role.FOCAL_POINT).select_related("member_state"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        deliver(stale_reminders(users, timezone.localdate()))


EMAILS = [
    ("a comment on the action", _mail_about_the_comment),
    ("the digest of a summary", _digest),
    ("a reminder of stale statuses", _stale_reminder),
]


@pytest.mark.parametrize(("what", "send"), EMAILS, ids=[e[0] for e in EMAILS])
def test_each_email_marks_a_provisional_action_in_its_text_and_html(what, send, world, provenance):
    mail.outbox.clear()

    send(world)

    assert mail.outbox
    provisional = provenance == Provenance.PROVISIONAL
    for message in mail.outbox:
        html, kind = message.alternatives[0]
        assert kind == "text/html"
        assert (TEXT_MARK in message.body) == provisional
        assert (BADGE in html) == provisional
