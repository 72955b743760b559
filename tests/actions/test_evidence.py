"""Evidence of a national status: links and files, their checks, downloads and withdrawal."""

import errno
import io
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import Role
from actions import evidence as ev
from actions.evidence_views import evidence_section_context
from actions.models import Evidence, NationalStatus, StatusHistory
from actions.services import national_status_update
from tests import factories
from tests.conftest import make_cast, shared_data, shared_fixtures

pytestmark = pytest.mark.django_db

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


# --- Tiny real files ------------------------------------------------------------------------------


def pdf_bytes():
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def png_bytes():
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg_bytes():
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def ooxml_bytes(parts, main_part=None, main_type=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        if main_type:
            package.writestr(
                "[Content_Types].xml",
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/{main_part}" ContentType="{main_type}"/></Types>',
            )
        for name, content in parts.items():
            package.writestr(name, content)
    return buffer.getvalue()


def docx_bytes():
    return ooxml_bytes(
        {"word/document.xml": "<w:document/>", "_rels/.rels": "<Relationships/>"},
        "word/document.xml",
        DOCX_MAIN,
    )


def xlsx_bytes():
    return ooxml_bytes(
        {"xl/workbook.xml": "<workbook/>", "_rels/.rels": "<Relationships/>"},
        "xl/workbook.xml",
        XLSX_MAIN,
    )


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(media):
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def download_body(response):
    """The file's bytes. Reading the content to its end closes the response (and the file) as
    the test client does: without closing the database connection, which holds the rows the
    module's tests share."""
    return b"".join(response.streaming_content)


# --- Fixtures -------------------------------------------------------------------------------------


PERSONAS = factories.EACH_ROLE_AND_A_NEIGHBOUR


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    """The states, the plans, an action of each and every persona, made once for the module;
    no status yet."""
    with shared_data(django_db_blocker):
        cast = make_cast(*PERSONAS, plans=(2021, 2026))
        # An action of the plan states report on now (the 2026–2030 draft), and of the closed one.
        cast.item = factories.make_item(factories.make_focus_area(cast.plan_2026), code="1.1")
        cast.closed_item = factories.make_item(
            factories.make_focus_area(cast.plan_2021), code="1.1"
        )
        yield cast


item, closed_item, timor_leste = shared_fixtures("item", "closed_item", "timor_leste")
focal_point, coordinator, other_focal_point, reviewer, secretariat, observer = shared_fixtures(
    *PERSONAS
)


@pytest.fixture
def fp_client(client, focal_point):
    client.force_login(focal_point)
    return client


def file_url(item):
    return reverse("national:evidence_file_add", args=[item.pk])


def link_url(item):
    return reverse("national:evidence_link_add", args=[item.pk])


def detail_url(item):
    return reverse("national:status_detail", args=[item.pk])


def post_files(client, item, *files, title=""):
    return client.post(file_url(item), {"upload-files": list(files), "upload-title": title})


def add_file(user, item, name="report.pdf", content=None, title=""):
    return ev.evidence_add_file(
        user=user, item=item, file=upload(name, content or pdf_bytes()), title=title
    )


def assert_nothing_stored(media):
    assert Evidence.objects.count() == 0
    assert StatusHistory.objects.count() == 0
    assert NationalStatus.objects.count() == 0
    assert stored_files(media) == []


# --- Files accepted ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "build", "content_type", "extension"),
    [
        ("report.pdf", pdf_bytes, ev.PDF, "pdf"),
        ("law.docx", docx_bytes, ev.DOCX, "docx"),
        ("budget.xlsx", xlsx_bytes, ev.XLSX, "xlsx"),
        ("chart.png", png_bytes, ev.PNG, "png"),
        ("photo.jpeg", jpeg_bytes, ev.JPEG, "jpg"),
    ],
)
def test_each_accepted_type_is_stored_under_a_server_chosen_name(
    fp_client, item, media, name, build, content_type, extension
):
    content = build()
    response = post_files(fp_client, item, upload(name, content))

    assert response.status_code == 302
    assert response.url == detail_url(item)
    evidence = Evidence.objects.get()
    assert evidence.kind == Evidence.Kind.FILE
    assert evidence.content_type == content_type
    assert evidence.original_name == name
    assert evidence.title == name
    assert evidence.size == len(content)
    assert re.fullmatch(rf"evidence/[0-9a-f]{{32}}\.{extension}", evidence.file.name)
    assert stored_files(media) == [evidence.file.name]
    assert (media / evidence.file.name).read_bytes() == content


def test_type_comes_from_the_content_not_the_name_or_the_browser(fp_client, item, media):
    post_files(fp_client, item, upload("chart.pdf", png_bytes(), "application/pdf"))

    evidence = Evidence.objects.get()
    assert evidence.content_type == ev.PNG
    assert evidence.file.name.endswith(".png")
    assert ev.download_name(evidence.original_name, evidence.content_type) == "chart.pdf.png"


def test_several_files_in_one_upload_are_added_together(fp_client, item, media, focal_point):
    response = post_files(
        fp_client, item, upload("a.pdf", pdf_bytes()), upload("b.png", png_bytes()), title="Law"
    )

    assert response.status_code == 302
    assert [e.title for e in Evidence.objects.order_by("id")] == ["Law (1/2)", "Law (2/2)"]
    status = NationalStatus.objects.get()
    assert status.version == 2
    assert list(status.history.order_by("version").values_list("version", flat=True)) == [1, 2]
    assert len(stored_files(media)) == 2


# --- Files refused --------------------------------------------------------------------------------


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", HTML, "content is not a PDF"),
        ("report.pdf", b"\n%PDF-1.4 but not at the start", "content is not a PDF"),
        ("drawing.svg", SVG, "content is not a PDF"),
        ("drawing.png", SVG, "content is not a PDF"),
        ("notes.txt", b"just text", "content is not a PDF"),
        ("archive.docx", ooxml_bytes({"readme.txt": "hi"}), "content is not a PDF"),
        (
            "no-types.docx",
            ooxml_bytes({"word/document.xml": "<w:document/>"}),
            "content is not a PDF",
        ),
        (
            "macro.docx",
            ooxml_bytes(
                {"word/document.xml": "<w:document/>", "word/vbaProject.bin": "VBA"},
                "word/document.xml",
                DOCM_MAIN,
            ),
            "content is not a PDF",
        ),
        (
            "vba-inside.docx",
            ooxml_bytes(
                {"word/document.xml": "<w:document/>", "word/vbaProject.bin": "VBA"},
                "word/document.xml",
                DOCX_MAIN,
            ),
            "content is not a PDF",
        ),
        ("broken.xlsx", b"PK\x03\x04 not really a zip file", "content is not a PDF"),
        ("empty.pdf", b"", "The file is empty"),
    ],
)
def test_a_refused_file_gives_a_form_error_and_stores_nothing(
    fp_client, item, media, name, content, message
):
    response = post_files(fp_client, item, upload(name, content, "application/pdf"))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert_nothing_stored(media)


def test_one_bad_file_refuses_the_whole_upload(fp_client, item, media):
    response = post_files(fp_client, item, upload("good.pdf", pdf_bytes()), upload("bad.pdf", HTML))

    assert response.status_code == 400
    assert "bad.pdf: This file" in response.content.decode()
    assert_nothing_stored(media)


def test_a_file_over_the_size_limit_is_refused_before_it_is_stored(
    fp_client, item, media, settings
):
    settings.EVIDENCE_MAX_FILE_SIZE = 1000
    big = pdf_bytes() + b"0" * 2000

    response = post_files(fp_client, item, upload("big.pdf", big))

    assert response.status_code == 400
    assert "big.pdf is larger than 1000" in response.content.decode()
    assert_nothing_stored(media)


def test_the_size_limit_is_also_checked_by_the_service(focal_point, item, media, settings):
    settings.EVIDENCE_MAX_FILE_SIZE = 100

    with pytest.raises(ValidationError, match="at most 100"):
        add_file(focal_point, item, content=pdf_bytes() + b"0" * 200)
    assert_nothing_stored(media)


def test_a_status_holds_at_most_the_configured_number_of_files(
    fp_client, focal_point, item, media, settings
):
    settings.EVIDENCE_MAX_FILES_PER_STATUS = 2
    add_file(focal_point, item, "one.pdf")
    add_file(focal_point, item, "two.pdf")

    response = post_files(fp_client, item, upload("three.pdf", pdf_bytes()))

    assert response.status_code == 400
    assert "at most 2 files" in response.content.decode()
    assert Evidence.objects.count() == 2
    assert len(stored_files(media)) == 2
    assert NationalStatus.objects.get().version == 2


def test_withdrawn_files_free_their_place(focal_point, item, media, settings):
    settings.EVIDENCE_MAX_FILES_PER_STATUS = 1
    first = add_file(focal_point, item, "one.pdf")
    ev.evidence_withdraw(user=focal_point, evidence_id=first.pk)

    add_file(focal_point, item, "two.pdf")

    assert Evidence.objects.filter(withdrawn_at__isnull=True).count() == 1


def test_one_upload_takes_a_few_files_at_most(fp_client, item, media):
    files = [upload(f"{n}.pdf", pdf_bytes()) for n in range(ev.MAX_FILES_PER_UPLOAD + 1)]

    response = post_files(fp_client, item, *files)

    assert response.status_code == 400
    assert f"at most {ev.MAX_FILES_PER_UPLOAD} files at a time" in response.content.decode()
    assert_nothing_stored(media)


def test_an_upload_without_a_file_asks_for_one(fp_client, item, media):
    response = fp_client.post(file_url(item), {"upload-title": "Nothing"})

    assert response.status_code == 400
    assert "Choose a file to upload." in response.content.decode()
    assert_nothing_stored(media)


# --- File names -----------------------------------------------------------------------------------


BOUNDARY = "evidence-test-boundary"
THAI_REPORT_QUOTED = "%E0%B8%A3%E0%B8%B2%E0%B8%A2%E0%B8%87%E0%B8%B2%E0%B8%99"  # รายงาน, "report"


def raw_upload(client, item, disposition, content):
    """POST one file with a hand-written Content-Disposition, as a hostile client could."""
    body = (
        (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="upload-files"; {disposition}\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return client.post(
        file_url(item), body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )


@pytest.mark.parametrize(
    ("disposition", "label"),
    [
        ('filename="../../x.pdf"', "x.pdf"),
        ('filename="..\\\\..\\\\x.pdf"', "x.pdf"),
        ("filename*=UTF-8''..%2F..%2Fetc%2Fx.pdf", "x.pdf"),
        ("filename*=UTF-8''a%0D%0Ab%22c%27d.pdf", "abcd.pdf"),
        ("filename*=UTF-8''%00evil%E2%80%AEfdp.exe", "evilfdp.exe"),
        (
            "filename*=UTF-8''%E0%B8%A3%E0%B8%B2%E0%B8%A2%E0%B8%87%E0%B8%B2%E0%B8%99.pdf",
            "รายงาน.pdf",
        ),
    ],
)
def test_a_hostile_file_name_is_kept_only_as_a_clean_label(
    fp_client, item, media, disposition, label
):
    response = raw_upload(fp_client, item, disposition, pdf_bytes())

    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.original_name == label
    assert re.fullmatch(r"evidence/[0-9a-f]{32}\.pdf", evidence.file.name)
    assert stored_files(media) == [evidence.file.name]


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("../../x.pdf", "x.pdf"),
        ("..\\x", "x"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("a\"b'c`.pdf", "abc.pdf"),
        ("line\r\nbreak.pdf", "linebreak.pdf"),
        ("tab\there.pdf", "tabhere.pdf"),
        ("..", "file"),
        ("...", "file"),
        ("", "file"),
        (".hidden.pdf", "hidden.pdf"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_clean_original_name(name, label):
    assert ev.clean_original_name(name) == label


def test_the_original_name_and_title_are_shown_escaped(fp_client, item, media):
    raw_upload(fp_client, item, 'filename="<img src=x onerror=alert(1)>.pdf"', pdf_bytes())
    fp_client.post(
        link_url(item), {"link-title": "<script>alert(2)</script>", "link-url": "https://a.org/"}
    )

    # An invalid link shows the evidence forms again, with the list.
    page = fp_client.post(link_url(item), {"link-title": "x", "link-url": "javascript:x"})

    html = page.content.decode()
    assert page.status_code == 400
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "<script>" not in html


# --- Links ----------------------------------------------------------------------------------------


def test_a_link_is_added_with_a_history_row(fp_client, item, focal_point, media):
    response = fp_client.post(
        link_url(item),
        {"link-title": "  National law  2024 ", "link-url": "https://example.gov.kh/law"},
    )

    assert response.status_code == 302
    assert response.url == detail_url(item)
    evidence = Evidence.objects.get()
    assert (evidence.kind, evidence.title, evidence.url) == (
        Evidence.Kind.LINK,
        "National law 2024",
        "https://example.gov.kh/law",
    )
    assert evidence.added_by == focal_point
    assert evidence.national_status.member_state == focal_point.member_state
    history = StatusHistory.objects.get()
    assert history.changes == {
        "evidence_added": [None, "National law 2024 <https://example.gov.kh/law>"]
    }
    assert history.changed_by == focal_point
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("title", "url", "message"),
    [
        ("Law", "javascript:alert(1)", "Only web addresses starting with http"),
        ("Law", " JaVaScRiPt:alert(1)", "Only web addresses starting with http"),
        ("Law", "data:text/html,<script>alert(1)</script>", "Only web addresses starting"),
        ("Law", "ftp://example.org/law.pdf", "Only web addresses starting with http"),
        ("Law", "/national/items/1/", "Only web addresses starting with http"),
        ("Law", "example.org/law", "Only web addresses starting with http"),
        ("Law", "https://", "Enter a full web address"),
        ("Law", "https://exa mple.org/", "Enter a full web address"),
        ("Law", "https://example.org/" + "a" * 2000, "at most 2000 characters"),
        ("Law", "", "This field is required"),
        ("", "https://example.org/", "This field is required"),
        ("   ", "https://example.org/", "This field is required"),
        ("Law\x00", "https://example.org/", "Null characters are not allowed"),
        ("Law", "https://example.org/\x00", "Null characters are not allowed"),
        ("L" * 301, "https://example.org/", "at most 300 characters"),
    ],
)
def test_a_bad_link_gives_a_form_error_and_stores_nothing(
    fp_client, item, media, title, url, message
):
    response = fp_client.post(link_url(item), {"link-title": title, "link-url": url})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert_nothing_stored(media)


@pytest.mark.parametrize("size", [1_000_000, 3_000_000])
def test_a_huge_link_form_is_refused_with_400(fp_client, item, media, size):
    """1 MB of title is a form error; a body over DATA_UPLOAD_MAX_MEMORY_SIZE, Django's 400."""
    response = fp_client.post(
        link_url(item), {"link-title": "x" * size, "link-url": "https://example.org/"}
    )

    assert response.status_code == 400
    assert_nothing_stored(media)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:,x", "ftp://example.org/"])
def test_the_service_refuses_links_that_are_not_http(focal_point, item, url):
    with pytest.raises(ValidationError):
        ev.evidence_add_link(user=focal_point, item=item, title="Law", url=url)
    assert Evidence.objects.count() == 0


# --- Who may add ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["reviewer", "secretariat", "observer"])
def test_only_the_states_users_add_evidence(client, item, media, persona, request):
    client.force_login(request.getfixturevalue(persona))

    link = client.post(link_url(item), {"link-title": "x", "link-url": "https://a.org/"})
    files = post_files(client, item, upload("a.pdf", pdf_bytes()))

    assert (link.status_code, files.status_code) == (403, 403)
    assert_nothing_stored(media)


def test_evidence_cannot_be_added_to_a_closed_plan(fp_client, closed_item, media):
    response = post_files(fp_client, closed_item, upload("a.pdf", pdf_bytes()))

    assert response.status_code == 403
    assert_nothing_stored(media)


def test_a_state_that_does_not_report_on_a_plan_cannot_add_evidence(
    client, closed_item, timor_leste, media
):
    client.force_login(factories.make_user(Role.FOCAL_POINT, timor_leste))

    response = client.post(link_url(closed_item), {"link-title": "x", "link-url": "https://a.org"})

    assert response.status_code == 403
    assert_nothing_stored(media)


def test_anonymous_users_are_sent_to_log_in(client, item, media):
    response = post_files(client, item, upload("a.pdf", pdf_bytes()))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert_nothing_stored(media)


def test_an_unknown_item_answers_404(fp_client, media):
    response = fp_client.post(link_url_for(999_999), {"link-title": "x", "link-url": "https://a"})

    assert response.status_code == 404


def link_url_for(item_id):
    return reverse("national:evidence_link_add", args=[item_id])


@pytest.mark.parametrize("url_name", ["evidence_link_add", "evidence_file_add"])
def test_adding_evidence_needs_a_post(fp_client, item, url_name):
    assert fp_client.get(reverse(f"national:{url_name}", args=[item.pk])).status_code == 405


def test_a_post_without_csrf_token_is_refused(focal_point, item, media):
    client = Client(enforce_csrf_checks=True)
    client.force_login(focal_point)
    evidence = add_file(focal_point, item)
    files_before = stored_files(media)

    link = client.post(link_url(item), {"link-title": "x", "link-url": "https://a.org/"})
    files = post_files(client, item, upload("b.pdf", pdf_bytes()))
    withdraw = client.post(reverse("national:evidence_withdraw", args=[evidence.pk]))

    assert (link.status_code, files.status_code, withdraw.status_code) == (403, 403, 403)
    assert Evidence.objects.filter(withdrawn_at__isnull=True).count() == 1
    assert stored_files(media) == files_before


# --- Status rows and history ------------------------------------------------------------------


def test_first_evidence_creates_the_status_row_at_version_one(focal_point, item, media):
    add_file(focal_point, item, "report.pdf", title="Report")

    status = NationalStatus.objects.get()
    assert (status.member_state, status.status, status.progress, status.version) == (
        focal_point.member_state,
        NationalStatus.Status.NOT_STARTED,
        0,
        1,
    )
    assert status.updated_by == focal_point
    history = status.history.get()
    assert history.version == 1
    assert history.changes == {"evidence_added": [None, "Report (report.pdf)"]}


def test_evidence_and_status_edits_share_one_history_sequence(focal_point, item, media):
    state = focal_point.member_state
    values = {
        "status": "in_progress",
        "progress": 40,
        "narrative": "Drafting",
        "challenges": "",
        "next_steps": "",
        "responsible_agency": "CNCC",
    }
    national_status_update(
        user=focal_point, member_state=state, action_item=item, expected_version=0, **values
    )
    evidence = add_file(focal_point, item)
    ev.evidence_withdraw(user=focal_point, evidence_id=evidence.pk)
    # A form opened after the evidence changes saves without conflict.
    national_status_update(
        user=focal_point,
        member_state=state,
        action_item=item,
        expected_version=3,
        **(values | {"progress": 50}),
    )

    status = NationalStatus.objects.get()
    assert status.version == 4
    history = list(status.history.order_by("version").values_list("version", "changes"))
    assert [version for version, _ in history] == [1, 2, 3, 4]
    assert list(history[1][1]) == ["evidence_added"]
    assert history[2][1] == {"evidence_withdrawn": [evidence.title, None]}
    assert history[3][1] == {"progress": [40, 50]}


# --- Downloads ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["focal_point", "coordinator", "reviewer", "secretariat"])
def test_the_states_users_and_reviewers_download_as_an_attachment(
    client, focal_point, item, media, persona, request
):
    evidence = add_file(focal_point, item, "chart.png", png_bytes())
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("national:evidence_download", args=[evidence.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="chart.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert download_body(response) == png_bytes()


def test_a_non_ascii_name_is_sent_per_rfc_5987(fp_client, focal_point, item, media):
    evidence = add_file(focal_point, item, "รายงาน 2026.pdf")

    response = fp_client.get(reverse("national:evidence_download", args=[evidence.pk]))

    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{THAI_REPORT_QUOTED}%202026.pdf"
    )
    download_body(response)


@pytest.mark.parametrize("persona", ["other_focal_point", "observer"])
def test_other_states_and_observers_get_404_for_a_download(
    client, focal_point, item, media, persona, request
):
    evidence = add_file(focal_point, item)
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("national:evidence_download", args=[evidence.pk]))

    assert response.status_code == 404


def test_anonymous_download_is_sent_to_log_in(client, focal_point, item, media):
    evidence = add_file(focal_point, item)

    response = client.get(reverse("national:evidence_download", args=[evidence.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_unknown_evidence_and_links_have_no_download(fp_client, focal_point, item, media):
    link = ev.evidence_add_link(user=focal_point, item=item, title="x", url="https://a.org/")

    for pk in (link.pk, 999_999):
        response = fp_client.get(reverse("national:evidence_download", args=[pk]))
        assert response.status_code == 404


def test_a_file_missing_from_disk_answers_404_not_500(fp_client, focal_point, item, media):
    evidence = add_file(focal_point, item)
    (media / evidence.file.name).unlink()

    response = fp_client.get(reverse("national:evidence_download", args=[evidence.pk]))

    assert response.status_code == 404


# --- Withdrawal -----------------------------------------------------------------------------------


def test_withdrawing_asks_first_then_hides_the_evidence_and_keeps_the_file(
    fp_client, focal_point, reviewer, item, media
):
    evidence = add_file(focal_point, item, "old.pdf", title="Old decree")
    url = reverse("national:evidence_withdraw", args=[evidence.pk])

    confirm = fp_client.get(url)
    response = fp_client.post(url)

    assert confirm.status_code == 200
    assert "Withdraw “Old decree”?" in confirm.content.decode()
    assert response.status_code == 302
    assert response.url == detail_url(item)
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is not None
    assert (media / evidence.file.name).exists()
    latest = NationalStatus.objects.get().history.order_by("-version").first()
    assert latest.changes == {"evidence_withdrawn": ["Old decree", None]}
    assert latest.changed_by == focal_point
    # Gone for the state's users; reviewers still see and download it.
    download = reverse("national:evidence_download", args=[evidence.pk])
    assert fp_client.get(download).status_code == 404
    assert "Old decree" not in section_html(focal_point, item)
    reviewer_html = section_html(reviewer, item)
    assert "Withdrawn evidence" in reviewer_html
    assert "Old decree" in reviewer_html
    reviewer_client = Client()
    reviewer_client.force_login(reviewer)
    reviewer_download = reviewer_client.get(download)
    assert reviewer_download.status_code == 200
    download_body(reviewer_download)


def test_withdrawing_twice_changes_it_once(fp_client, focal_point, item, media):
    evidence = add_file(focal_point, item)
    url = reverse("national:evidence_withdraw", args=[evidence.pk])

    fp_client.post(url)
    second = fp_client.post(url)

    assert second.status_code == 404
    assert StatusHistory.objects.count() == 2  # added, withdrawn
    with pytest.raises(Evidence.DoesNotExist):
        ev.evidence_withdraw(user=focal_point, evidence_id=evidence.pk)


def test_another_state_cannot_withdraw_and_changes_nothing(
    client, focal_point, other_focal_point, item, media
):
    evidence = add_file(focal_point, item)
    client.force_login(other_focal_point)

    response = client.post(reverse("national:evidence_withdraw", args=[evidence.pk]))

    assert response.status_code == 404
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is None
    assert StatusHistory.objects.count() == 1
    with pytest.raises(Evidence.DoesNotExist):
        ev.evidence_withdraw(user=other_focal_point, evidence_id=evidence.pk)


def test_reviewers_cannot_withdraw(client, focal_point, reviewer, item, media):
    evidence = add_file(focal_point, item)
    client.force_login(reviewer)

    response = client.post(reverse("national:evidence_withdraw", args=[evidence.pk]))

    assert response.status_code == 403
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is None
    with pytest.raises(PermissionDenied):
        ev.evidence_withdraw(user=reviewer, evidence_id=evidence.pk)


def test_the_coordinator_withdraws_the_focal_points_evidence(
    client, focal_point, coordinator, item, media
):
    evidence = add_file(focal_point, item)
    client.force_login(coordinator)

    client.post(reverse("national:evidence_withdraw", args=[evidence.pk]))

    evidence.refresh_from_db()
    assert evidence.withdrawn_at is not None


# --- The section on a status page ---------------------------------------------------------------


def section_html(user, item, status=None):
    """The evidence section as the status page of `item` renders it for `user`."""
    request = RequestFactory().get("/")
    request.user = user
    if status is None:
        status = NationalStatus.objects.filter(action_item=item).first()
    context = evidence_section_context(request, item=item, status=status)
    return render_to_string("national/evidence_section.html", context, request=request)


def test_the_section_lists_evidence_with_its_review_and_the_forms_for_editors(
    focal_point, reviewer, item, media
):
    link = ev.evidence_add_link(user=focal_point, item=item, title="Law", url="https://a.org/")
    add_file(focal_point, item, "chart.png", png_bytes(), title="Chart")
    Evidence.objects.filter(pk=link.pk).update(
        review=Evidence.Review.NEEDS_MORE, review_comment="Add the <b>decree</b>"
    )

    editor = section_html(focal_point, item)
    reader = section_html(reviewer, item)

    assert 'href="https://a.org/"' in editor
    assert f"chart.png · {filesizeformat(len(png_bytes()))}" in editor
    assert "Needs more" in editor and "Pending review" in editor
    assert "Add the &lt;b&gt;decree&lt;/b&gt;" in editor
    assert 'enctype="multipart/form-data"' in editor
    assert re.search(r'<input type="file" name="upload-files" [^>]*multiple', editor)
    assert f'accept="{ev.ACCEPT_ATTRIBUTE}"' in editor
    assert "Withdraw" in editor
    assert "Needs more" in reader
    assert "Upload files" not in reader and "Withdraw" not in reader


def test_the_section_with_no_saved_status_offers_the_forms(focal_point, item):
    request = RequestFactory().get("/")
    request.user = focal_point

    html = render_to_string(
        "national/evidence_section.html",
        evidence_section_context(request, item=item, status=None),
        request=request,
    )

    assert "No evidence has been added yet." in html
    assert "Add a link" in html


def test_the_section_needs_the_same_queries_however_much_evidence(
    focal_point, item, media, django_assert_num_queries
):
    add_file(focal_point, item, "one.pdf")

    status = NationalStatus.objects.get()

    # 1 the evidence with who added and reviewed it, 1 the plan states report on now.
    with django_assert_num_queries(2):
        section_html(focal_point, item, status)
    for n in range(5):
        ev.evidence_add_link(user=focal_point, item=item, title=f"L{n}", url="https://a.org/")
    with django_assert_num_queries(2):
        html = section_html(focal_point, item, status)
    assert html.count("Withdraw<span") == 6


def test_the_status_page_shows_the_evidence_section(fp_client, focal_point, reviewer, item, media):
    add_file(focal_point, item, "decree.pdf", title="Decree 12")
    reviewer_client = Client()
    reviewer_client.force_login(reviewer)

    own = fp_client.get(detail_url(item)).content.decode()
    theirs = reviewer_client.get(
        reverse("national:state_status_detail", args=["KH", item.pk])
    ).content.decode()

    assert "Decree 12" in own and "Upload files" in own
    assert "Decree 12" in theirs and "Upload files" not in theirs
    assert "Evidence added" in own


# --- A storage that cannot store (issue 12) -------------------------------------------------------


class BrokenStorage(FileSystemStorage):
    """Media storage that fails like a full disk (after writing part of the file) or a
    read-only one (refusing every write and delete), from its `fail_from`-th file on."""

    def __init__(self, *args, error, fail_from=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.error, self.fail_from, self.saves = error, fail_from, 0

    def _save(self, name, content):
        self.saves += 1
        if self.saves < self.fail_from:
            return super()._save(name, content)
        if self.error == errno.ENOSPC:
            path = Path(self.path(name))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.read(10))  # what fitted before the disk was full
        raise OSError(self.error, os.strerror(self.error))

    def delete(self, name):
        if self.error == errno.EROFS:
            raise OSError(self.error, os.strerror(self.error))
        super().delete(name)


@pytest.fixture(params=[errno.ENOSPC, errno.EROFS], ids=["full", "read-only"])
def broken_storage(request, media, monkeypatch):
    storage = BrokenStorage(location=media, error=request.param)
    monkeypatch.setattr(Evidence._meta.get_field("file"), "storage", storage)
    return storage


NOT_STORED = "The file could not be stored; nothing was saved."


def test_an_upload_the_storage_refuses_is_a_clear_503_and_nothing_is_written(
    fp_client, item, broken_storage, media
):
    response = post_files(fp_client, item, upload("report.pdf", pdf_bytes()), title="Decree")

    assert response.status_code == 503
    page = response.content.decode()
    assert NOT_STORED in page
    assert 'value="Decree"' in page  # the form is shown again, as filled in
    assert_nothing_stored(media)


def test_when_the_second_file_cannot_be_stored_the_first_is_removed_again(
    fp_client, item, media, monkeypatch
):
    storage = BrokenStorage(location=media, error=errno.ENOSPC, fail_from=2)
    monkeypatch.setattr(Evidence._meta.get_field("file"), "storage", storage)

    response = post_files(
        fp_client, item, upload("one.pdf", pdf_bytes()), upload("two.pdf", pdf_bytes())
    )

    assert response.status_code == 503
    assert NOT_STORED in response.content.decode()
    assert storage.saves == 2
    assert_nothing_stored(media)


def test_the_service_says_the_file_was_not_stored(focal_point, item, broken_storage, media):
    with pytest.raises(ev.EvidenceNotStored):
        add_file(focal_point, item)

    assert Evidence.objects.count() == 0
    assert StatusHistory.objects.count() == 0
    assert NationalStatus.objects.count() == 0
    if broken_storage.error == errno.ENOSPC:
        assert stored_files(media) == []  # the half-written file is gone
