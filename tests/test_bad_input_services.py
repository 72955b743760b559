"""security.md's bad-input catalogue, given to the write services directly (issue 12).

The web forms refuse all of this first, with their own messages (tests/actions/
test_national_bad_input.py and the page tests). An admin action, a management command or a
future import or API calls the services, and the models behind them, without a form: they
must refuse the same input with a ValidationError — never a TypeError, a database error or
a value silently changed (55.7 stored as 55) — and write nothing.
"""

import datetime
import math
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from actions import evidence as ev
from actions.models import Evidence, NationalStatus, StatusHistory
from actions.services import national_status_update
from core.validators import CONTROL_BUT_TAB_AND_LINE_BREAKS, CONTROL_OR_SURROGATE
from reviews import services as reviews
from reviews.models import (
    Comment,
    CountryReport,
    ReportingRound,
    ReportTransition,
    Submission,
    today,
)
from tests import factories
from tests.conftest import make_cast, shared_data, shared_fixtures

pytestmark = pytest.mark.django_db

Status = NationalStatus.Status

MEGABYTE = "x" * 1_000_000
NUL = "before\x00after"
SURROGATE = "before\ud800after"  # what invalid UTF-8 becomes when decoded with surrogateescape
BAD_TEXT = {"1 MB": MEGABYTE, "NUL": NUL, "lone surrogate": SURROGATE}
# Stored as typed: the pages escape them and the CSV downloads neutralise them.
TYPED_AS_IS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '=HYPERLINK("https://evil.example","x")',
    "@SUM(1)",
    "+1+1",
    "-2+3",
    "\t=1",
    "\r=1",
    "' OR 1=1--",
]


def pdf(name="report.pdf", content=b"%PDF-1.4\n%%EOF\n"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


PERSONAS = ("focal_point", "coordinator", "reviewer", "secretariat")


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    """Cambodia, an item of the 2026 plan (no status yet) and the personas, made once for the
    module."""
    with shared_data(django_db_blocker):
        cast = make_cast(*PERSONAS, states=("KH",), plans=(2021, 2026))
        cast.item = factories.make_item(factories.make_focus_area(cast.plan_2026), code="1.1")
        yield cast


cambodia, plan_2026, item = shared_fixtures("cambodia", "plan_2026", "item")
focal_point, coordinator, reviewer, secretariat = shared_fixtures(*PERSONAS)


@pytest.fixture
def saved(focal_point, cambodia, item):
    """Cambodia's status of the item, saved once through the service (version 1)."""
    return save(focal_point, cambodia, item, expected_version=0)


def save(user, state, item, **changes):
    values = {
        "expected_version": 1,
        "status": Status.IN_PROGRESS,
        "progress": 40,
        "narrative": "Draft law before parliament.",
        "challenges": "",
        "next_steps": "",
        "responsible_agency": "Ministry of Social Affairs",
    }
    values.update(changes)
    return national_status_update(user=user, member_state=state, action_item=item, **values)


def everything_written(media=None):
    """What a write could have left behind: every row of the written models, stored files."""
    rows = {
        model.__name__: sorted(model.objects.values_list())
        for model in (
            NationalStatus,
            StatusHistory,
            Evidence,
            ReportingRound,
            CountryReport,
            Submission,
            ReportTransition,
            Comment,
        )
    }
    files = sorted(p.name for p in media.rglob("*") if p.is_file()) if media else []
    return rows, files


def refused(call, field=None, media=None):
    """Run `call`: it must raise ValidationError (naming `field`) and change nothing."""
    before = everything_written(media)
    with pytest.raises(ValidationError) as raised:
        call()
    assert everything_written(media) == before
    if field:
        assert field in raised.value.message_dict, raised.value
    return raised.value


# --- Control characters and broken characters --------------------------------------------------


def test_the_character_checks_find_exactly_unicodes_control_characters_and_surrogates():
    """Every code point of the control (Cc) and surrogate (Cs) categories is below U+10000."""
    for code in range(0x10000):
        char, category = chr(code), unicodedata.category(chr(code))
        control = category == "Cc" and char not in "\t\n\r"
        assert bool(CONTROL_BUT_TAB_AND_LINE_BREAKS.match(char)) is control, hex(code)
        assert bool(CONTROL_OR_SURROGATE.match(char)) is (category in ("Cc", "Cs")), hex(code)


# --- National statuses: national_status_update -----------------------------------------------

TEXT_FIELDS = ["narrative", "challenges", "next_steps", "responsible_agency"]


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("bad", BAD_TEXT.values(), ids=BAD_TEXT.keys())
def test_the_status_service_refuses_bad_text(saved, focal_point, cambodia, item, field, bad):
    error = refused(lambda: save(focal_point, cambodia, item, **{field: bad}), field)

    if bad is NUL:
        assert "NUL character" in error.message_dict[field][0]


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_the_first_save_of_a_status_refuses_bad_text_too(focal_point, cambodia, item, field):
    refused(lambda: save(focal_point, cambodia, item, expected_version=0, **{field: NUL}), field)
    assert not NationalStatus.objects.exists()


def test_a_long_agency_name_is_refused(saved, focal_point, cambodia, item):
    refused(
        lambda: save(focal_point, cambodia, item, responsible_agency="x" * 301),
        "responsible_agency",
    )


@pytest.mark.parametrize(
    "progress",
    [
        -1,
        101,
        100.5,
        55.7,
        55.0,
        math.nan,
        math.inf,
        1e3,
        "abc",
        "fifty",
        "55.7",
        "",
        True,
        [],
        None,
    ],
    ids=repr,
)
def test_the_status_service_refuses_progress_that_is_not_a_whole_percent(
    saved, focal_point, cambodia, item, progress
):
    refused(lambda: save(focal_point, cambodia, item, progress=progress), "progress")
    assert NationalStatus.objects.get().progress == 40


@pytest.mark.parametrize("status", ["done", "", None, "COMPLETED"])
def test_the_status_service_refuses_a_status_outside_the_vocabulary(
    saved, focal_point, cambodia, item, status
):
    refused(lambda: save(focal_point, cambodia, item, status=status), "status")


@pytest.mark.parametrize(
    ("status", "progress", "message"),
    [
        (Status.COMPLETED, 50, "Completed means 100 %"),
        (Status.NOT_STARTED, 10, "Not started means 0 %"),
        (Status.NOT_APPLICABLE, 10, "Not applicable means no progress figure"),
    ],
)
def test_the_status_service_explains_the_status_and_progress_rules(
    saved, focal_point, cambodia, item, status, progress, message
):
    error = refused(
        lambda: save(focal_point, cambodia, item, status=status, progress=progress), "progress"
    )

    assert message in error.message_dict["progress"][0]


@pytest.mark.parametrize("version", ["abc", -1, 1.5, None, True])
def test_the_status_service_refuses_a_damaged_version(saved, focal_point, cambodia, item, version):
    refused(lambda: save(focal_point, cambodia, item, expected_version=version), "version")


@pytest.mark.parametrize("text", TYPED_AS_IS)
def test_text_that_looks_like_code_is_stored_as_typed(saved, focal_point, cambodia, item, text):
    save(focal_point, cambodia, item, narrative=text, responsible_agency=text)

    status = NationalStatus.objects.get()
    assert (status.narrative, status.responsible_agency) == (text, text)


def test_a_text_at_the_limit_is_stored(saved, focal_point, cambodia, item):
    save(focal_point, cambodia, item, narrative="x" * 20_000)

    assert len(NationalStatus.objects.get().narrative) == 20_000


def test_progress_given_as_digits_is_stored_as_the_number(saved, focal_point, cambodia, item):
    save(focal_point, cambodia, item, progress="55")

    assert NationalStatus.objects.get().progress == 55
    assert StatusHistory.objects.order_by("version").last().changes["progress"] == [40, 55]


def test_a_double_submission_is_one_change(saved, focal_point, cambodia, item):
    save(focal_point, cambodia, item, progress=60)
    save(focal_point, cambodia, item, progress=60)

    assert NationalStatus.objects.get().version == 2
    assert StatusHistory.objects.count() == 2


# --- The model itself: full_clean and the database ---------------------------------------------


@pytest.mark.parametrize("progress", [55.7, "fifty", math.nan, math.inf, 1e3], ids=repr)
def test_the_models_full_clean_refuses_progress_without_rounding_or_crashing(
    cambodia, item, progress
):
    status = NationalStatus(
        member_state=cambodia,
        action_item=item,
        status=Status.IN_PROGRESS,
        progress=progress,
        narrative="Started.",
        updated_at=timezone.now(),
    )

    with pytest.raises(ValidationError) as raised:
        status.full_clean()

    assert "progress" in raised.value.message_dict
    assert status.progress is progress  # not turned into 55


@pytest.mark.parametrize("bad", BAD_TEXT.values(), ids=BAD_TEXT.keys())
def test_the_models_full_clean_refuses_bad_text(cambodia, item, bad):
    status = NationalStatus(
        member_state=cambodia,
        action_item=item,
        status=Status.IN_PROGRESS,
        progress=10,
        narrative=bad,
        updated_at=timezone.now(),
    )

    with pytest.raises(ValidationError) as raised:
        status.full_clean()

    assert "narrative" in raised.value.message_dict


@pytest.mark.parametrize("field", ["narrative", "challenges", "next_steps"])
def test_the_database_refuses_overlong_status_text_that_skips_the_model(saved, field):
    with pytest.raises(IntegrityError), transaction.atomic():
        NationalStatus.objects.update(**{field: "x" * 20_001})

    assert len(getattr(NationalStatus.objects.get(), field)) < 20_001


def test_the_database_refuses_an_overlong_comment_that_skips_the_model(report, reviewer):
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.create(report=report, author=reviewer, body="x" * 10_001)


# --- Evidence: links and files ------------------------------------------------------------------


@pytest.mark.parametrize(
    "title", [*BAD_TEXT.values(), None, "   "], ids=[*BAD_TEXT.keys(), "None", "blank"]
)
def test_the_link_service_refuses_a_bad_title(focal_point, item, title):
    refused(
        lambda: ev.evidence_add_link(
            user=focal_point, item=item, title=title, url="https://example.org"
        )
    )


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.org/x",
        "//example.org/x",
        "https://example.org/\x00",
        "https://example.org/\ud800",
        "https://example.org/" + "x" * 2000,
        None,
    ],
    ids=repr,
)
def test_the_link_service_refuses_anything_but_a_web_address(focal_point, item, url):
    refused(lambda: ev.evidence_add_link(user=focal_point, item=item, title="Law", url=url))


@pytest.mark.parametrize("text", TYPED_AS_IS[:4])
def test_a_link_title_that_looks_like_code_is_stored_as_typed(focal_point, item, text):
    evidence = ev.evidence_add_link(
        user=focal_point, item=item, title=text, url="https://example.org"
    )

    assert Evidence.objects.get(pk=evidence.pk).title == text


@pytest.mark.parametrize("title", BAD_TEXT.values(), ids=BAD_TEXT.keys())
def test_the_file_service_refuses_a_bad_title(focal_point, item, media, title):
    refused(
        lambda: ev.evidence_add_file(user=focal_point, item=item, file=pdf(), title=title),
        media=media,
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.pdf", b""),
        ("page.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("image.pdf", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ],
)
def test_the_file_service_refuses_files_that_are_not_what_they_claim(
    focal_point, item, media, name, content
):
    refused(
        lambda: ev.evidence_add_file(user=focal_point, item=item, file=pdf(name, content)),
        media=media,
    )


def test_the_file_service_refuses_a_file_over_the_limit_and_too_many_files(
    focal_point, item, media, settings
):
    settings.EVIDENCE_MAX_FILE_SIZE = 100
    refused(
        lambda: ev.evidence_add_file(
            user=focal_point, item=item, file=pdf(content=b"%PDF-1.4\n" + b"0" * 200)
        ),
        media=media,
    )
    many = [pdf(f"{n}.pdf") for n in range(ev.MAX_FILES_PER_UPLOAD + 1)]
    refused(lambda: ev.evidence_add_files(user=focal_point, item=item, files=many), media=media)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("../../x.pdf", "x.pdf"),
        ("..\\x.pdf", "x.pdf"),
        ('a\r\nb "c".pdf', "ab c.pdf"),
    ],
)
def test_a_hostile_file_name_is_only_a_label(focal_point, item, media, name, label):
    evidence = ev.evidence_add_file(user=focal_point, item=item, file=pdf(name))

    assert evidence.original_name == label
    assert evidence.file.name.startswith("evidence/")
    assert ".." not in evidence.file.name
    assert [p.parent.name for p in media.rglob("*.pdf")] == ["evidence"]


# --- Reviews: comments, report moves, evidence reviews, rounds ----------------------------------


@pytest.fixture
def open_round(plan_2026):
    day = today()
    return ReportingRound.objects.create(
        plan=plan_2026,
        name="2026 annual",
        opens_on=day - datetime.timedelta(days=10),
        due_on=day + datetime.timedelta(days=20),
        closes_on=day + datetime.timedelta(days=40),
    )


@pytest.fixture
def report(open_round, cambodia):
    return CountryReport.objects.create(round=open_round, member_state=cambodia)


@pytest.fixture
def submitted(report, coordinator):
    reviews.report_submit(user=coordinator, report=report)
    report.refresh_from_db()
    return report


BAD_COMMENTS = {**BAD_TEXT, "None": None, "not text": 42, "blank": "  "}


@pytest.mark.parametrize("body", BAD_COMMENTS.values(), ids=BAD_COMMENTS.keys())
def test_the_comment_service_refuses_bad_text(report, reviewer, body):
    refused(lambda: reviews.comment_add(user=reviewer, report=report, body=body))


@pytest.mark.parametrize("text", TYPED_AS_IS)
def test_a_comment_that_looks_like_code_is_stored_as_typed(report, reviewer, text):
    comment = reviews.comment_add(user=reviewer, report=report, body=f"See {text}")

    assert Comment.objects.get(pk=comment.pk).body == f"See {text}".strip()


@pytest.mark.parametrize("bad", BAD_TEXT.values(), ids=BAD_TEXT.keys())
def test_the_report_moves_refuse_bad_text(submitted, report, coordinator, reviewer, bad):
    refused(lambda: reviews.report_return(user=reviewer, report=submitted, comment=bad))
    reviews.report_accept(user=reviewer, report=submitted)
    refused(lambda: reviews.report_reopen(user=reviewer, report=submitted, reason=bad))


@pytest.mark.parametrize("bad", BAD_TEXT.values(), ids=BAD_TEXT.keys())
def test_the_submission_refuses_a_bad_cover_note(report, coordinator, bad):
    refused(lambda: reviews.report_submit(user=coordinator, report=report, cover_note=bad))


@pytest.mark.parametrize(
    ("decision", "comment"),
    [
        ("approved", "fine"),
        (None, ""),
        (Evidence.Review.NEEDS_MORE, ""),
        *((Evidence.Review.NEEDS_MORE, bad) for bad in BAD_TEXT.values()),
    ],
)
def test_the_evidence_review_refuses_bad_input(focal_point, item, reviewer, decision, comment):
    evidence = ev.evidence_add_link(
        user=focal_point, item=item, title="Law", url="https://example.org"
    )

    refused(
        lambda: reviews.evidence_review(
            user=reviewer, evidence_id=evidence.pk, decision=decision, comment=comment
        )
    )


ROUND = {
    "name": "2027 annual",
    "opens_on": datetime.date(2027, 1, 10),
    "due_on": datetime.date(2027, 2, 10),
    "closes_on": datetime.date(2027, 3, 10),
}


@pytest.mark.parametrize(
    "changes",
    [
        {"opens_on": datetime.date(1, 1, 1)},
        {"closes_on": datetime.date(9999, 12, 31)},
        {"due_on": "2025-02-30"},
        {"opens_on": 20270110},
        {"due_on": datetime.date(2027, 1, 1)},  # due before it opens
        *({"name": bad} for bad in (NUL, SURROGATE, "x" * 101, None)),
    ],
    ids=repr,
)
def test_the_round_service_refuses_bad_dates_and_names(plan_2026, secretariat, changes):
    values = {**ROUND, **changes}

    refused(lambda: reviews.round_create(user=secretariat, plan=plan_2026, **values))


def test_a_round_with_good_values_is_created(plan_2026, secretariat):
    reporting_round = reviews.round_create(user=secretariat, plan=plan_2026, **ROUND)

    assert ReportingRound.objects.get(pk=reporting_round.pk).name == "2027 annual"
