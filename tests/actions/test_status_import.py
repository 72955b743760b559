"""Bulk update from a spreadsheet: the update file, its preview, its confirm and the command."""

import csv
import io
import zipfile

import openpyxl
import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Role
from actions.models import NationalStatus, StatusHistory
from core import copy
from tests import factories
from tests.conftest import make_cast, service_missing, shared_data, shared_fixtures
from tests.factories import logged_in, save_status

pytestmark = pytest.mark.django_db

KHMER = "ក្រសួងកិច្ចការនារី បានរៀបចំវគ្គបណ្តុះបណ្តាល"
ASEAN_TEXTS = {
    "narrative": KHMER,
    "challenges": "การขาดแคลนงบประมาณ · ງົບປະມານບໍ່ພຽງພໍ",
    "next_steps": "ကလေးသူငယ်များ အွန်လိုင်း ဘေးကင်းရေး · Bộ Lao động – Thương binh và Xã hội",
}


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    """Cambodia's five items of the 2026 plan, two of them saved, made once for the module."""
    with shared_data(django_db_blocker):
        cast = make_cast(states=("KH", "MY"), plans=(2021, 2026))
        cast.world = make_world(cast.cambodia, cast.malaysia, cast.plan_2021, cast.plan_2026)
        yield cast


(world,) = shared_fixtures("world")


def make_world(cambodia, malaysia, plan_2021, plan_2026):
    area = factories.make_focus_area(plan_2026, number=1)
    items = [factories.make_item(area, code=f"1.{n}") for n in range(1, 6)]
    old_area = factories.make_focus_area(plan_2021, number=1)
    old_item = factories.make_item(old_area, code="1.1")
    focal = factories.make_user(Role.FOCAL_POINT, cambodia, email="sophea@example.org")
    other = factories.make_user(Role.COORDINATOR, cambodia, email="dara@example.org")
    save_status(focal, items[0], narrative="Started", progress=20)
    save_status(focal, items[1], status="completed", progress=100)
    return {
        "state": cambodia,
        "plan": plan_2026,
        "items": items,
        "old_item": old_item,
        "focal": focal,
        "other": other,
        "malaysia": malaysia,
    }


def download(client, fmt="csv"):
    response = client.get(reverse(f"reports:update_file_{fmt}"))
    assert response.status_code == 200
    return b"".join(response.streaming_content if response.streaming else [response.content])


def csv_rows(data):
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def to_csv(rows, *, delimiter=",", columns=None):
    out = io.StringIO(newline="")
    writer = csv.DictWriter(
        out, fieldnames=columns or list(rows[0]), delimiter=delimiter, lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows([{k: row.get(k, "") for k in writer.fieldnames} for row in rows])
    return out.getvalue()


def upload(client, data, name="update.csv", **extra):
    file = SimpleUploadedFile(name, data)
    return client.post(reverse("national:status_import"), {"file": file, **extra})


def confirm(client, preview):
    return client.post(
        reverse("national:status_import_confirm"),
        {"payload": preview.context["payload"], "fingerprint": preview.context["fingerprint"]},
    )


def kinds(preview):
    return {o.item_code: o.kind for o in preview.context["outcomes"]}


def edited(rows):
    """The three edits of the round trip: codes 1.1, 1.3, 1.5."""
    rows = [dict(row) for row in rows]
    rows[0].update(status="in_progress", progress="55", narrative=KHMER)
    rows[2].update(status="planned", progress="10", **ASEAN_TEXTS)
    rows[4].update(status="not_applicable", progress="", responsible_agency="MoWA")
    return rows


VOLATILE = ("version", "updated_at", "updated_by")


def test_round_trip_changes_exactly_the_three_edited_rows(world):
    client = logged_in(world["focal"])
    before = csv_rows(download(client))
    history_before = StatusHistory.objects.count()

    preview = upload(client, to_csv(edited(before)).encode("utf-8-sig"))

    assert preview.status_code == 200
    assert kinds(preview) == {
        "1.1": "change",
        "1.2": "unchanged",
        "1.3": "change",
        "1.4": "unchanged",
        "1.5": "change",
    }
    assert StatusHistory.objects.count() == history_before  # nothing before the confirm
    response = confirm(client, preview)
    assert response.status_code == 302
    after = csv_rows(download(client))
    changed = [
        a["item_code"]
        for a, b in zip(before, after, strict=True)
        if {k: v for k, v in a.items() if k not in VOLATILE}
        != {k: v for k, v in b.items() if k not in VOLATILE}
    ]
    assert changed == ["1.1", "1.3", "1.5"]
    assert after[2]["narrative"] == KHMER and after[2]["challenges"] == ASEAN_TEXTS["challenges"]
    assert after[2]["next_steps"] == ASEAN_TEXTS["next_steps"]
    assert (after[0]["progress"], after[4]["status"]) == ("55", "not_applicable")
    assert StatusHistory.objects.count() == history_before + 3
    assert set(
        StatusHistory.objects.filter(changed_by=world["focal"])
        .order_by("-pk")[:3]
        .values_list("national_status__action_item__code", flat=True)
    ) == {"1.1", "1.3", "1.5"}


def test_round_trip_through_the_excel_update_file(world):
    save_status(world["focal"], world["items"][3], narrative="two\r\nlines")  # as a form posts
    client = logged_in(world["focal"])
    workbook = openpyxl.load_workbook(io.BytesIO(download(client, "xlsx")))
    sheet = workbook["Data"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["member_state_code", "member_state", "plan"]
    column = {name: index + 1 for index, name in enumerate(header)}
    sheet.cell(row=4, column=column["status"], value="In progress")  # a label works too
    sheet.cell(row=4, column=column["progress"], value=30)
    narrative = sheet.cell(row=4, column=column["narrative"], value="=not a formula, " + KHMER)
    narrative.data_type = "s"  # typed as text, as a spreadsheet does for text that is no formula
    out = io.BytesIO()
    workbook.save(out)

    preview = upload(client, out.getvalue(), name="update.xlsx")
    assert kinds(preview)["1.3"] == "change"
    assert list(kinds(preview).values()).count("change") == 1
    assert confirm(client, preview).status_code == 302
    status = NationalStatus.objects.get(action_item=world["items"][2])
    assert (status.status, status.progress) == ("in_progress", 30)
    assert status.narrative == "=not a formula, " + KHMER


def test_a_row_saved_by_someone_else_since_the_download_is_a_conflict(world):
    client = logged_in(world["focal"])
    rows = csv_rows(download(client))
    save_status(world["other"], world["items"][0], version=1, narrative="Dara's change")
    rows[0]["narrative"] = "Sophea's change"

    preview = upload(client, to_csv(rows).encode())

    outcome = preview.context["outcomes"][0]
    assert outcome.kind == "conflict"
    assert ("Narrative", "Dara's change", "Sophea's change") in outcome.fields
    assert "Dara&#x27;s change" in preview.content.decode()
    assert "Save the" not in preview.content.decode()  # nothing to save


def test_a_status_changed_between_preview_and_confirm_saves_nothing(world):
    client = logged_in(world["focal"])
    preview = upload(client, to_csv(edited(csv_rows(download(client)))).encode())
    save_status(world["other"], world["items"][1], version=1, status="ongoing", progress=60)
    history_before = StatusHistory.objects.count()

    response = confirm(client, preview)

    assert response.status_code == 409
    assert "Nothing was saved" in response.content.decode()
    assert StatusHistory.objects.count() == history_before
    assert NationalStatus.objects.get(action_item=world["items"][0]).progress == 20


def test_a_failure_half_way_through_the_confirm_saves_none_of_the_changes(world, monkeypatch):
    from actions import status_import
    from actions.services import StatusConflict, national_status_update

    client = logged_in(world["focal"])
    preview = upload(client, to_csv(edited(csv_rows(download(client)))).encode())
    calls = []

    def second_save_conflicts(**arguments):
        calls.append(arguments["action_item"].code)
        if len(calls) == 2:
            raise StatusConflict(NationalStatus.objects.get(action_item=world["items"][0]))
        return national_status_update(**arguments)

    monkeypatch.setattr(status_import, "national_status_update", second_save_conflicts)
    history_before = StatusHistory.objects.count()

    response = confirm(client, preview)

    assert calls == ["1.1", "1.3"]
    assert response.status_code == 409
    assert StatusHistory.objects.count() == history_before
    assert NationalStatus.objects.get(action_item=world["items"][0]).progress == 20


def test_rows_of_another_state_unknown_actions_closed_plans_and_duplicates_are_errors(world):
    client = logged_in(world["focal"])
    rows = csv_rows(download(client))
    rows[0]["member_state_code"] = "MY"
    rows[1]["item_code"] = "9.9"
    rows[2]["plan"] = "rpa-2021-2025"
    rows[3]["progress"] = "150"
    rows.append(dict(rows[4], narrative="again"))

    preview = upload(client, to_csv(rows).encode())

    errors = {o.line: o.errors for o in preview.context["outcomes"] if o.kind == "error"}
    text = {line: " ".join(f"{c} {r}" for c, r in errs) for line, errs in errors.items()}
    assert "A (member_state_code)" in text[2] and "only its own" in text[2]
    assert "(item_code)" in text[3] and "no action “9.9”" in text[3]
    assert "(plan)" in text[4] and "closed" in text[4]
    assert "(progress)" in text[5] and "above 100" in text[5]
    assert "also on line 7" in text[6] and "also on line 6" in text[7]
    assert set(errors) == {2, 3, 4, 5, 6, 7}


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),
    ],
)
def test_utf8_and_utf16_files_keep_asean_scripts_exactly(world, encoding, bom):
    client = logged_in(world["focal"])
    rows = csv_rows(download(client))
    rows[3].update(ASEAN_TEXTS, status="planned", progress="5")

    preview = upload(client, bom + to_csv(rows).encode(encoding))
    assert kinds(preview)["1.4"] == "change"
    confirm(client, preview)

    status = NationalStatus.objects.get(action_item=world["items"][3])
    assert {k: getattr(status, k) for k in ASEAN_TEXTS} == ASEAN_TEXTS


def test_windows_1252_files_are_read_and_named(world):
    client = logged_in(world["focal"])
    rows = csv_rows(download(client))
    rows[3].update(narrative="Café – “réunion”", status="planned", progress="5")

    preview = upload(client, to_csv(rows).encode("cp1252"))

    assert any("Windows-1252" in note for note in preview.context["notes"])
    confirm(client, preview)
    assert NationalStatus.objects.get(action_item=world["items"][3]).narrative == (
        "Café – “réunion”"
    )


def test_a_wrongly_named_encoding_is_a_clear_error(world):
    client = logged_in(world["focal"])
    data = to_csv(csv_rows(download(client))).encode("utf-16")
    response = upload(client, data, encoding="utf-8")
    assert response.status_code == 400
    assert "not valid UTF-8" in response.content.decode()


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_files_with_reordered_and_extra_columns(world, delimiter):
    client = logged_in(world["focal"])
    rows = csv_rows(download(client))
    rows[3].update(status="planned", progress="5", narrative="Drafting", my_notes="for me")
    columns = ["my_notes", *reversed(list(rows[0]))]

    preview = upload(client, to_csv(rows, delimiter=delimiter, columns=columns).encode())

    assert kinds(preview)["1.4"] == "change"
    assert any("my_notes" in note for note in preview.context["notes"])


def test_missing_columns_are_named_and_nothing_is_read(world):
    client = logged_in(world["focal"])
    rows = csv_rows(download(client))
    columns = [c for c in rows[0] if c not in ("version", "progress")]
    response = upload(client, to_csv(rows, columns=columns).encode())
    assert response.status_code == 400
    assert "Missing columns: progress, version" in response.content.decode()


def test_the_download_guard_apostrophe_is_removed_once(world):
    client = logged_in(world["focal"])
    save_status(world["focal"], world["items"][2], narrative="=HYPERLINK(1)", challenges="'=x")
    rows = csv_rows(download(client))
    assert rows[2]["narrative"] == "'=HYPERLINK(1)"  # the download's guard
    rows[2]["next_steps"] = "'+1"
    rows[3].update(status="planned", progress="5", narrative="Plan;'=1+2, agreed")
    rows[2]["responsible_agency"] = "'@agency"

    preview = upload(client, to_csv(rows).encode())
    confirm(client, preview)

    status = NationalStatus.objects.get(action_item=world["items"][2])
    assert status.narrative == "=HYPERLINK(1)"
    assert status.challenges == "'=x"  # its own apostrophe, as saved
    assert (status.next_steps, status.responsible_agency) == ("+1", "@agency")
    assert NationalStatus.objects.get(action_item=world["items"][3]).narrative == (
        "Plan;=1+2, agreed"
    )


@pytest.mark.postgres
def test_the_statuses_download_written_by_postgresql_reads_back_as_unchanged(world):
    """On PostgreSQL the statuses download's sheet is written by the database, its rows and
    cells without their optional references: uploaded as it is, every row is read in place."""
    if not copy.available():
        service_missing(
            "SQL-written Excel sheets need PostgreSQL (set DATABASE_URL=postgres://...)"
        )
    client = logged_in(world["focal"])
    response = client.get(reverse("reports:statuses_xlsx"), {"plan": world["plan"].code})
    data = b"".join(response.streaming_content)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<row><c " in sheet and b'r="A2"' not in sheet  # as PostgreSQL writes it

    preview = upload(client, data, name="statuses.xlsx")
    assert kinds(preview) == dict.fromkeys(["1.1", "1.2", "1.3", "1.4", "1.5"], "unchanged")


def test_xlsx_formulas_give_their_saved_values_and_are_never_run(world):
    client = logged_in(world["focal"])
    rows = csv_rows(download(client))
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"strings_to_formulas": False})
    sheet = workbook.add_worksheet()
    header = list(rows[0])
    for col, name in enumerate(header):
        sheet.write_string(0, col, name)
    for r, row in enumerate(rows, start=1):
        for col, name in enumerate(header):
            sheet.write_string(r, col, row[name])
    progress, narrative, status = (header.index(n) for n in ("progress", "narrative", "status"))
    sheet.write_string(4, status, "planned")
    sheet.write_formula(4, progress, "=20+5", None, 25)
    sheet.write_formula(4, narrative, '=HYPERLINK("http://x.invalid","click")', None, "click")
    workbook.close()

    preview = upload(client, out.getvalue(), name="u.xlsx")
    confirm(client, preview)

    status = NationalStatus.objects.get(action_item=world["items"][3])
    assert (status.progress, status.narrative) == (25, "click")


def test_an_xlsx_formula_without_a_saved_value_is_an_error_not_an_empty_text(world):
    client = logged_in(world["focal"])
    workbook = openpyxl.load_workbook(io.BytesIO(download(client, "xlsx")))
    sheet = workbook["Data"]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=2, column=header.index("narrative") + 1, value="=1+1")  # never calculated
    out = io.BytesIO()
    workbook.save(out)

    preview = upload(client, out.getvalue(), name="u.xlsx")

    unsaved = preview.context["outcomes"][0]
    assert unsaved.kind == "error"
    assert "(narrative)" in unsaved.errors[0][0]
    assert "formula without a saved value" in unsaved.errors[0][1]


def test_files_over_the_size_limit_and_zip_bombs_are_refused(world, settings):
    client = logged_in(world["focal"])
    settings.STATUS_IMPORT_MAX_FILE_SIZE = 1000
    response = upload(client, b"member_state_code," + b"x" * 2000)
    assert response.status_code == 400
    assert "the limit is 1,000 bytes" in response.content.decode()

    settings.STATUS_IMPORT_MAX_FILE_SIZE = 2 * 1024 * 1024
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    response = upload(client, bomb.getvalue(), name="bomb.xlsx")
    assert response.status_code == 400
    assert "unpacks to more than" in response.content.decode()
    response = upload(client, b"PK\x03\x04not a zip at all", name="bad.xlsx")
    assert "could not be read as an .xlsx" in response.content.decode()


def test_a_preview_signed_for_another_user_or_state_is_refused(world):
    client = logged_in(world["focal"])
    preview = upload(client, to_csv(edited(csv_rows(download(client)))).encode())
    other = logged_in(world["other"])  # same state, another person
    response = confirm(other, preview)
    assert response.status_code == 403
    tampered = client.post(
        reverse("national:status_import_confirm"),
        {"payload": preview.context["payload"] + "x", "fingerprint": "x"},
    )
    assert tampered.status_code == 302
    assert (
        StatusHistory.objects.filter(changed_by__in=[world["focal"], world["other"]]).count() == 2
    )


def test_the_command_previews_with_dry_run_and_saves_without(world, tmp_path):
    client = logged_in(world["focal"])
    path = tmp_path / "update.csv"
    path.write_text(to_csv(edited(csv_rows(download(client)))), encoding="utf-8-sig")
    history_before = StatusHistory.objects.count()
    out = io.StringIO()

    call_command(
        "import_statuses",
        str(path),
        state="kh",
        user="sophea@example.org",
        dry_run=True,
        stdout=out,
    )
    assert "3 change" in out.getvalue() and "Nothing was saved" in out.getvalue()
    assert StatusHistory.objects.count() == history_before

    call_command("import_statuses", str(path), state="KH", user="sophea@example.org", stdout=out)
    assert StatusHistory.objects.count() == history_before + 3

    with pytest.raises(CommandError, match="does not update Malaysia"):
        call_command("import_statuses", str(path), state="MY", user="sophea@example.org")
    path.write_bytes(b"nothing,useful\r\n1,2\r\n")
    with pytest.raises(CommandError, match="Missing columns"):
        call_command("import_statuses", str(path), state="KH", user="sophea@example.org")


def test_only_a_states_own_editors_may_import(world, reviewer):
    assert logged_in(reviewer).get(reverse("national:status_import")).status_code == 403
    assert logged_in(reviewer).get(reverse("reports:update_file_csv")).status_code == 403
    page = logged_in(world["focal"]).get(reverse("national:status_import"))
    assert page.status_code == 200
    assert reverse("reports:update_file_xlsx") in page.content.decode()


def test_the_preview_queries_do_not_grow_with_the_rows(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in(world["focal"])

    def preview_queries():
        rows = [
            dict(row, narrative="Changed", status="planned", progress="5")
            for row in csv_rows(download(client))
        ]
        with CaptureQueriesContext(connection) as queries:
            assert upload(client, to_csv(rows).encode()).status_code == 200
        return len(queries)

    few = preview_queries()
    area = world["items"][0].focus_area
    for n in range(6, 9):  # three more rows: a query per row would add three
        item = factories.make_item(area, code=f"1.{n}")
        save_status(world["focal"], item, narrative="Saved")
    assert preview_queries() == few


def test_the_downloads_help_page_has_the_bulk_update_rules(world):
    page = logged_in(world["focal"]).get(reverse("reports:downloads_help"))
    text = page.content.decode()
    assert 'id="bulk-update-from-a-spreadsheet"' in text
    assert "import_statuses FILE --state CODE" in text
