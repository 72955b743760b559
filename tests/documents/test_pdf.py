"""Printable documents: the PDF's text layer, its scope and its ASEAN-script text."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from actions.models import NationalStatus, Provenance
from reviews import services
from reviews.models import CountryReport
from tests import small_plan
from tests.conftest import service_missing
from tests.factories import logged_in

THAI = "กระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์"
VIETNAMESE = "Bộ Lao động – Thương binh và Xã hội"
KHMER = "ក្រសួងសង្គមកិច្ច"
LAO = "ກະຊວງແຮງງານ"
BURMESE = "လူမှုဝန်ထမ်း"


@pytest.fixture(autouse=True)
def _pango():
    """WeasyPrint needs Pango from the system (README); without it these tests skip."""
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        service_missing(f"Pango is not installed: {error}")


def pdf_text(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    reader = PdfReader(io.BytesIO(response.content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def fonts_of(reader):
    names = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.fixture
def reported(plan_2026, cambodia, malaysia, timor_leste, coordinator, reviewer):
    built = small_plan.build(plan_2026)
    NationalStatus.objects.filter(pk=built.statuses["KH", "1.2"].pk).update(
        narrative=f"{THAI} · {VIETNAMESE} · {KHMER} · {LAO} · {BURMESE}",
        challenges="Budget cuts",
    )
    built.items["1.1"].provenance = Provenance.CONFIRMED
    built.items["1.1"].save()
    reporting_round = small_plan.make_round(plan_2026, "2026 annual")
    report = services.report_for(reporting_round=reporting_round, member_state=cambodia)
    services.report_submit(user=coordinator, report=report)
    services.comment_add(
        user=reviewer, report=report, body="Please add the decree.", action_item=built.items["1.2"]
    )
    return reporting_round


def report_pdf(user, reporting_round, code="KH"):
    url = reverse("reviews:report_pdf", args=[reporting_round.pk, code])
    return logged_in(user).get(url)


def test_country_report_has_cover_figures_actions_comments_and_page_numbers(reported, reviewer):
    reader, text = pdf_text(report_pdf(reviewer, reported))
    assert "Cambodia: country report" in text
    assert "2026 annual" in text and "Submitted" in text
    assert "Action 1.2" in text and "40 %" in text and "Budget cuts" in text
    assert "Please add the decree." in text
    assert "Provisional" in text
    assert f"Page 1 of {len(reader.pages)}" in text
    assert "Generated" in text


def test_asean_scripts_are_in_the_text_layer_with_their_own_fonts(reported, reviewer):
    reader, text = pdf_text(report_pdf(reviewer, reported))
    assert THAI in text and VIETNAMESE in text
    fonts = " ".join(fonts_of(reader))
    for script in ("Khmer", "Thai", "Lao", "Myanmar"):
        assert script in fonts, fonts  # a real font for the script, never boxes


def test_country_report_is_scoped_like_its_page(reported, focal_point, observer, malaysia):
    assert report_pdf(focal_point, reported).status_code == 200
    assert report_pdf(focal_point, reported, "MY").status_code == 404
    _, text = pdf_text(report_pdf(observer, reported))  # submitted, not accepted
    assert THAI not in text and "No submitted report accepted" in text
    assert CountryReport.objects.count() == 1


def test_regional_brief_has_figures_matrix_compliance_and_is_scoped(
    reported, reviewer, focal_point
):
    url = reverse("reports:plan_brief_pdf", args=["rpa-2026-2030"])
    _, text = pdf_text(logged_in(reviewer).get(url))
    assert "regional brief" in text and "Headline figures" in text
    assert "Malaysia" in text and "Cambodia" in text and "All reporting states" in text
    assert "Reporting compliance" in text and "2026 annual" in text
    assert "Change since the previous round" in text and "Page 1 of" in text
    _, own = pdf_text(logged_in(focal_point).get(url))
    assert "Cambodia" in own and "Malaysia" not in own  # regional figures, own state only


def test_regional_brief_counts_change_since_the_previous_round(
    plan_2026, cambodia, malaysia, timor_leste, coordinator, reviewer
):
    built = small_plan.build(plan_2026)
    first = small_plan.make_round(plan_2026, "2026 annual")
    small_plan.accept_report(first, coordinator=coordinator, reviewer=reviewer)
    small_plan.close_round(first)
    NationalStatus.objects.filter(pk=built.statuses["KH", "1.2"].pk).update(progress=70)
    second = small_plan.make_round(plan_2026, "2027 annual")
    small_plan.accept_report(second, coordinator=coordinator, reviewer=reviewer)

    url = reverse("reports:plan_brief_pdf", args=["rpa-2026-2030"])
    _, text = pdf_text(logged_in(reviewer).get(url))

    assert "2026 annual" in text and "2027 annual" in text
    assert "No state has two accepted reports" not in text
