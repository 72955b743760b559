"""CSV downloads: formula injection, numbers, BOM, RFC 4180, scripts, scope, columns, queries."""

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from actions.models import Evidence, NationalStatus, StatusHistory
from core.csv import BOM, cell, csv_lines, neutralised
from downloads import matrix
from downloads import views as download_views
from downloads.columns import (
    EVIDENCE_COLUMNS,
    HISTORY_COLUMNS,
    ROUND_REPORT_COLUMNS,
    STATUS_COLUMNS,
    header,
)
from tests import factories, small_plan
from tests.conftest import make_cast, shared_data, shared_fixtures
from tests.factories import logged_in
from tests.query_counts import assert_flat

pytestmark = pytest.mark.django_db

Status = NationalStatus.Status
PLAN = "rpa-2021-2025"
CHUNK = 5  # rows a download fetches at a time in the test of longer downloads
DOCS = Path(__file__).resolve().parents[2] / "docs" / "downloads.md"

PAYLOADS = ['=HYPERLINK("https://evil.example","x")', "@SUM(1)", "+1+1", "-2+3", "\t=1", "\r=1"]
SCRIPTS = {
    "Khmer": "ក្រសួងសង្គមកិច្ច អតីតយុទ្ធជន និងយុវនីតិសម្បទា",
    "Thai": "กระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์",
    "Lao": "ກະຊວງແຮງງານ ແລະ ສະຫວັດດີການສັງຄົມ",
    "Burmese": "လူမှုဝန်ထမ်း ကယ်ဆယ်ရေးနှင့် ပြန်လည်နေရာချထားရေးဝန်ကြီးဌာန",
    "Vietnamese": "Bộ Lao động – Thương binh và Xã hội",
}


PERSONAS = (
    "reviewer",
    "secretariat",
    "focal_point",
    "coordinator",
    "other_focal_point",
    "observer",
)


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    """The small plan of 2021 and every persona, made once for the module."""
    with shared_data(django_db_blocker):
        cast = make_cast(*PERSONAS)
        cast.small = small_plan.build(cast.plan_2021)
        yield cast


small, plan_2021, cambodia, malaysia, timor_leste = shared_fixtures(
    "small", "plan_2021", "cambodia", "malaysia", "timor_leste"
)
reviewer, secretariat, focal_point, coordinator, other_focal_point, observer = shared_fixtures(
    *PERSONAS
)


def download(user, name, *args, **params):
    response = logged_in(user).get(reverse(name, args=args), params)
    assert response.status_code == 200, response.status_code
    return response


def body(response):
    return b"".join(response.streaming_content)


def parsed(response):
    """The rows of a CSV download as dicts, read as a spreadsheet would (BOM removed)."""
    text = body(response).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


# The cell rules.


@pytest.mark.parametrize("payload", [*PAYLOADS[:4], "\x00=1", "-5", "=1+2", " =1", "'=1"])
def test_text_starting_with_a_formula_character_gets_an_apostrophe(payload):
    assert cell(payload) == "'" + payload


@pytest.mark.parametrize(
    ("text", "written"),
    [
        # Excel with ";" as its list separator splits this into "x", "=1+2" and "".
        ("x;=1+2;", "x;'=1+2;"),
        ("a,@SUM(1)", "a,'@SUM(1)"),
        ("a\t-2+3", "a\t'-2+3"),
        ("line\n=1", "line\n'=1"),
        ("line\r\n+1", "line\r\n'+1"),
        ("a; =1", "a;' =1"),
        ("a;'=1", "a;''=1"),
        # Tab and CR are both separators and formula characters.
        ("\t=1", "'\t'=1"),
        ("\r=1", "'\r'=1"),
        ("a\t\t=1", "a\t'\t'=1"),
    ],
)
def test_a_formula_after_any_separator_gets_an_apostrophe_too(text, written):
    assert cell(text) == written


@pytest.mark.parametrize(
    "value",
    ["Law adopted", "", "1+1", "a=b", "'quoted", "5 %", "a; b", "x - y", "a,b;c", "2021-2025"],
)
def test_other_text_is_written_as_typed(value):
    assert cell(value) == value


def restored(cell_text):
    """What docs/downloads.md tells an importer to do with a text cell."""
    return re.sub(r"(^|[,;\t\r\n])'(?=[ ']*[=+\-@\t\r\x00])", r"\1", cell_text)


@pytest.mark.parametrize(
    "text",
    [*PAYLOADS, "x;=1+2;", "'=1", "''=1", "' =1", "a;'b", "'quoted", "a\t\t=1", "- a\n- b"],
)
def test_an_importer_gets_back_exactly_what_was_typed(text):
    assert restored(neutralised(text)) == text


def test_numbers_stay_numbers_and_none_is_empty():
    assert cell(-5) == -5
    assert cell(0) == 0
    assert cell(37.5) == 37.5
    assert cell(None) == ""
    assert cell(True) == "yes"
    assert cell(datetime.date(2026, 11, 28)) == "2026-11-28"


def test_numbers_are_written_bare_and_negative_text_is_neutralised():
    text = "".join(csv_lines(["n", "t"], [[-5, "-5"], [12, "12"]]))

    assert text == BOM + '"n","t"\r\n-5,"\'-5"\r\n12,"12"\r\n'


def test_text_is_always_quoted_as_rfc_4180_says():
    tricky = ['a "quoted", text', "two\r\nlines", "plain"]

    text = "".join(csv_lines(["x", "y", "z"], [tricky]))

    assert text.endswith('"a ""quoted"", text","two\r\nlines","plain"\r\n')
    [row] = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))[1:]
    assert row == tricky


# The status download.


@pytest.fixture
def payload_statuses(small):
    """Cambodia's statuses hold the formula payloads and the five scripts as text."""
    texts = PAYLOADS + list(SCRIPTS.values())
    for n, value in enumerate(texts):
        item = factories.make_item(small.fa2, f"2.{n + 10}", title=value)
        factories.make_status(
            small.kh,
            item,
            status=Status.IN_PROGRESS,
            progress=n,
            narrative=value,
            responsible_agency=value,
        )
    return texts


def test_downloaded_statuses_neutralise_every_payload(payload_statuses, reviewer):
    rows = parsed(download(reviewer, "reports:statuses_csv", plan=PLAN, state="KH", q="2.1"))

    by_code = {row["item_code"]: row for row in rows}
    for n, payload in enumerate(PAYLOADS):
        row = by_code[f"2.{n + 10}"]
        assert row["narrative"] == neutralised(payload)
        assert row["narrative"].startswith("'")
        assert row["item_title"] == row["responsible_agency"] == row["narrative"]
        assert row["progress"] == str(n)  # a number, not neutralised


def test_all_five_scripts_round_trip_and_the_file_starts_with_a_bom(payload_statuses, reviewer):
    response = download(reviewer, "reports:statuses_csv", plan=PLAN, state="KH")

    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\xef\xbb\xbf") == 1
    rows = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    narratives = {row["narrative"] for row in rows}
    for name, text in SCRIPTS.items():
        assert text in narratives, name
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_progress_is_a_bare_number_and_lines_end_with_crlf(small, reviewer):
    raw = body(download(reviewer, "reports:statuses_csv", plan=PLAN, state="KH")).decode("utf-8")

    lines = raw.split("\r\n")
    assert lines[-1] == ""
    assert "\n" not in "".join(lines)
    assert ',"completed","Completed",100,' in raw
    assert ',"not_applicable","Not applicable","",' in raw  # no progress: an empty cell


def test_downloads_are_streamed_attachments_with_dated_names(small, reviewer):
    today = timezone.localdate().isoformat()
    for name, stem in [
        ("reports:statuses_csv", "statuses"),
        ("reports:history_csv", "history"),
        ("reports:evidence_csv", "evidence"),
    ]:
        response = download(reviewer, name)
        assert response.streaming
        assert response["Content-Disposition"] == (f'attachment; filename="rpa-{stem}-{today}.csv"')
    matrix = download(reviewer, "reports:plan_matrix_csv", PLAN)
    assert f'filename="rpa-status-matrix-{today}.csv"' in matrix["Content-Disposition"]


def test_a_history_longer_than_one_fetch_streams_every_row_in_the_same_queries(
    small, reviewer, monkeypatch
):
    """Rows are fetched a chunk at a time (flat memory): more rows, same queries, none lost.
    Chunks of five rows here, so that a few rows make several fetches."""
    monkeypatch.setattr(download_views, "ITERATOR_CHUNK", CHUNK)
    status = NationalStatus.objects.filter(member_state__code="KH").order_by("pk").first()
    first = StatusHistory.objects.filter(national_status=status).count()
    client = logged_in(reviewer)
    url = reverse("reports:history_csv")
    before = len(parsed(client.get(url, {"state": "KH"})))

    def more_than_two_fetches():
        now = timezone.now()
        StatusHistory.objects.bulk_create(
            StatusHistory(
                national_status=status,
                version=first + 1000 + number,
                changed_at=now - datetime.timedelta(minutes=number),
                changes={"narrative": [f"Step {number}", f"Step {number + 1}"]},
            )
            for number in range(2 * CHUNK + 7)
        )

    assert_flat(client, "reports:history_csv", url, more_than_two_fetches, {"state": "KH"})

    response = client.get(url, {"state": "KH"})
    assert response.streaming
    assert len(parsed(response)) == before + 2 * CHUNK + 7


# A download holds exactly the filtered rows of its table, in its columns.


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"state": "MY"},
        {"status": "applicable", "sort": "-progress"},
        {"focus_area": "1", "stale": "either"},
        {"progress_min": "10", "progress_max": "60"},
    ],
)
def test_the_download_has_the_tables_rows_and_columns(small, reviewer, params):
    client = logged_in(reviewer)
    page = client.get(reverse("reports:statuses"), {"plan": PLAN, "per_page": 100, **params})
    on_screen = [
        (row.record.state_code, row.record.code) for row in page.context["table"].page.object_list
    ]

    rows = parsed(client.get(reverse("reports:statuses_csv"), {"plan": PLAN, **params}))

    assert [(r["member_state_code"], r["item_code"]) for r in rows] == on_screen
    assert rows
    assert list(rows[0]) == header(STATUS_COLUMNS)


def test_the_download_link_on_the_page_carries_the_filters(small, reviewer):
    page = logged_in(reviewer).get(
        reverse("reports:statuses"), {"plan": PLAN, "state": "KH", "page": "2", "sort": "title"}
    )

    link = re.search(r'href="(/reports/statuses/csv/\?[^"]+)"', page.content.decode()).group(1)
    assert (
        link.replace("&amp;", "&")
        == "/reports/statuses/csv/?plan=rpa-2021-2025&state=KH&sort=title"
    )


def test_all_pages_are_downloaded_not_just_the_shown_one(small, reviewer):
    for n in range(40):
        factories.make_item(small.fa2, f"2.{n + 10}")

    rows = parsed(download(reviewer, "reports:statuses_csv", plan=PLAN, page="1", per_page="10"))

    assert len(rows) == 2 * 45


# What a user cannot see, they cannot download.


@pytest.fixture
def history_and_evidence(small):
    for (code, item_code), status in small.statuses.items():
        StatusHistory.objects.create(
            national_status=status,
            version=1,
            changed_at=status.updated_at,
            changes={"status": ["not_started", status.status], "progress": [0, status.progress]},
        )
        Evidence.objects.create(
            national_status=status,
            kind=Evidence.Kind.LINK,
            title=f"{code} {item_code} evidence",
            url="https://example.org",
            added_at=status.updated_at,
        )


def states_in(response, column="member_state_code"):
    return {row[column] for row in parsed(response)}


def test_each_role_downloads_only_what_it_may_see(
    history_and_evidence, reviewer, secretariat, focal_point, coordinator, observer
):
    for user, expected in [
        (reviewer, {"KH", "MY"}),
        (secretariat, {"KH", "MY"}),
        (focal_point, {"KH"}),
        (coordinator, {"KH"}),
        (observer, set()),
    ]:
        for name in ("reports:statuses_csv", "reports:history_csv", "reports:evidence_csv"):
            response = download(user, name, plan=PLAN)
            assert states_in(response) == expected, (user.role, name)
        # Naming another state in the URL changes nothing.
        tampered = download(user, "reports:statuses_csv", plan=PLAN, state="MY")
        assert states_in(tampered) <= expected


def test_a_focal_points_download_has_no_other_states_text(history_and_evidence, focal_point):
    for name in ("reports:statuses_csv", "reports:history_csv", "reports:evidence_csv"):
        raw = body(download(focal_point, name, plan=PLAN)).decode("utf-8")
        assert "Malaysia" not in raw
        assert "MY " not in raw


def test_the_matrix_download_follows_the_dashboards_scope(small, reviewer, focal_point, observer):
    def scopes(user):
        rows = parsed(download(user, "reports:plan_matrix_csv", PLAN))
        return {(row["scope"], row["member_state_code"]) for row in rows}

    assert scopes(reviewer) == {("state", "KH"), ("state", "MY"), ("region", "")}
    assert scopes(focal_point) == {("state", "KH"), ("region", "")}
    assert scopes(observer) == {("region", "")}  # no accepted report yet


def test_the_matrix_download_has_the_hand_computed_figures(small, reviewer):
    rows = parsed(download(reviewer, "reports:plan_matrix_csv", PLAN))

    kh_fa1 = next(r for r in rows if r["member_state_code"] == "KH" and r["focus_area"] == "1")
    assert (kh_fa1["completed_percent"], kh_fa1["average_progress"]) == ("33.3", "46.7")
    region = next(r for r in rows if r["scope"] == "region" and r["focus_area"] == "")
    assert (region["items"], region["applicable"], region["average_progress"]) == (
        "10",
        "8",
        "45.0",
    )
    assert (region["not_started"], region["never_updated"], region["source"]) == ("2", "2", "live")
    assert "TL" not in {r["member_state_code"] for r in rows}


# A state's report in a round.


@pytest.fixture
def round_report(plan_2026, cambodia, malaysia, timor_leste, coordinator, reviewer):
    built = small_plan.build(plan_2026)
    NationalStatus.objects.filter(pk=built.statuses["KH", "1.1"].pk).update(
        narrative='=HYPERLINK("x")'
    )
    reporting_round = small_plan.make_round(plan_2026, "2026 annual")
    small_plan.accept_report(reporting_round, coordinator=coordinator, reviewer=reviewer)
    return reporting_round


def round_csv(user, reporting_round, code, **params):
    url = reverse("reports:round_report_csv", args=[reporting_round.pk, code])
    return logged_in(user).get(url, params)


def test_a_states_round_report_downloads_the_frozen_submission(round_report, reviewer):
    NationalStatus.objects.filter(member_state__code="KH").update(narrative="changed since")

    response = round_csv(reviewer, round_report, "KH")

    assert response.status_code == 200
    rows = parsed(response)
    assert [r["item_code"] for r in rows] == ["1.1", "1.2", "1.3", "2.1", "2.2"]
    assert rows[0]["narrative"] == '\'=HYPERLINK("x")'
    assert rows[0]["round"] == "2026 annual"
    assert rows[2]["status"] == "not_started"
    assert rows[2]["version"] == "0"
    assert "changed since" not in body(round_csv(reviewer, round_report, "KH")).decode()
    assert re.search(
        r'filename="rpa-report-kh-2026-annual-\d{4}-\d\d-\d\d\.csv"',
        response["Content-Disposition"],
    )


def test_round_report_downloads_are_scoped(
    round_report, focal_point, other_focal_point, observer, reviewer
):
    assert round_csv(focal_point, round_report, "KH").status_code == 200
    assert round_csv(focal_point, round_report, "kh").status_code == 200
    assert round_csv(other_focal_point, round_report, "KH").status_code == 404
    assert round_csv(observer, round_report, "KH").status_code == 200  # accepted
    assert round_csv(reviewer, round_report, "MY").status_code == 404  # nothing submitted
    assert round_csv(reviewer, round_report, "KH", submission="2").status_code == 404
    assert round_csv(reviewer, round_report, "KH", submission="1").status_code == 200
    assert round_csv(reviewer, round_report, "KH", submission="x" * 50).status_code == 200


def test_observers_cannot_download_a_report_not_accepted(
    plan_2026, cambodia, malaysia, timor_leste, coordinator, observer, reviewer
):
    from reviews import services

    small_plan.build(plan_2026)
    reporting_round = small_plan.make_round(plan_2026)
    report = services.report_for(reporting_round=reporting_round, member_state=cambodia)
    services.report_submit(user=coordinator, report=report)

    assert round_csv(observer, reporting_round, "KH").status_code == 404
    assert round_csv(reviewer, reporting_round, "KH").status_code == 200


# Documented, stable columns.


def documented(title):
    """The backticked column names of the table under the heading that starts with `title`."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index(f"## {title}") :]
    section = section[: section.find("\n## ", 4) if "\n## " in section[4:] else None]
    return re.findall(r"^\| `([a-z_]+)` \|", section, re.M)


@pytest.mark.parametrize(
    ("title", "columns"),
    [
        ("National statuses", header(STATUS_COLUMNS)),
        ("Status history", header(HISTORY_COLUMNS)),
        ("Evidence", header(EVIDENCE_COLUMNS)),
        ("Status matrix", matrix.MATRIX_CSV_HEADER),
        ("A state's report in a round", [name for name, _ in ROUND_REPORT_COLUMNS]),
    ],
)
def test_every_download_has_its_documented_columns(title, columns):
    assert documented(title) == list(columns)


def test_the_downloaded_header_is_the_documented_one(history_and_evidence, reviewer):
    for name, title in [
        ("reports:statuses_csv", "National statuses"),
        ("reports:history_csv", "Status history"),
        ("reports:evidence_csv", "Evidence"),
    ]:
        first_row = next(
            csv.reader(io.StringIO(body(download(reviewer, name)).decode("utf-8-sig")))
        )
        assert first_row == documented(title)


# Speed: constant queries whatever the number of rows.


def grow(built, states, items):
    """`states` more states and `items` more items; each pair of them with Cambodia's a status,
    two changes and reviewed evidence, by an editor of its own state (one more editor each
    time) and a new reviewer."""
    extra = [factories.make_state(code) for code in ["ID", "PH", "TH"][:states]]
    editors = {state: factories.make_user(Role.FOCAL_POINT, state) for state in [built.kh, *extra]}
    checker = factories.make_user(Role.REVIEWER)
    for n in range(items):
        item = factories.make_item(built.fa2, f"2.{n + 10}")
        for state, editor in editors.items():
            status = factories.make_status(
                state, item, status=Status.PLANNED, progress=5, updated_by=editor
            )
            for version in (1, 2):
                StatusHistory.objects.create(
                    national_status=status,
                    version=version,
                    changed_at=timezone.now(),
                    changed_by=editor,
                    changes={},
                )
            Evidence.objects.create(
                national_status=status,
                kind=Evidence.Kind.LINK,
                title="x",
                url="https://example.org",
                added_at=timezone.now(),
                added_by=editor,
                review=Evidence.Review.ACCEPTED,
                reviewed_by=checker,
            )


@pytest.mark.parametrize(
    "page, args, params",
    [
        ("reports:statuses_csv", [], {"plan": PLAN}),
        ("reports:history_csv", [], {}),
        ("reports:evidence_csv", [], {}),
        ("reports:plan_matrix_csv", [PLAN], {}),
    ],
)
def test_export_queries_do_not_grow(small, reviewer, page, args, params):
    client = logged_in(reviewer)

    # A query per row, per state, per item or per person adds at least three.
    assert_flat(client, page, reverse(page, args=args), lambda: grow(small, 3, 3), params)


def test_round_report_export_queries_do_not_grow(round_report, reviewer):
    from reviews.models import SubmissionItem

    submission = SubmissionItem.objects.first().submission
    area = factories.make_focus_area(round_report.plan, 9)

    def more_rows():
        for n in range(3):
            item = factories.make_item(area, f"9.{n}")
            SubmissionItem.objects.create(
                submission=submission,
                action_item=item,
                code=item.code,
                title=item.title,
                focus_area_number=9,
                status="planned",
                progress=5,
            )

    client = logged_in(reviewer)
    url = reverse("reports:round_report_csv", args=[round_report.pk, "KH"])

    assert_flat(client, "reports:round_report_csv", url, more_rows)
    assert len(parsed(round_csv_response(client, round_report))) == 5 + 3


def round_csv_response(client, reporting_round):
    return client.get(reverse("reports:round_report_csv", args=[reporting_round.pk, "KH"]))


def test_times_are_written_in_the_users_time_zone_even_while_streaming(small, reviewer):
    reviewer.time_zone = "Asia/Manila"
    reviewer.save()
    status = small.statuses["KH", "1.1"]
    moment = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    NationalStatus.objects.filter(pk=status.pk).update(updated_at=moment)
    response = download(reviewer, "reports:statuses_csv", plan=PLAN, state="KH", q="1.1")

    with timezone.override(datetime.UTC):  # another request's zone in this thread meanwhile
        [row] = parsed(response)

    assert row["updated_at"] == "2026-03-02T07:30:00+08:00"
