"""Printable documents: the PDF's text layer, its scope and its ASEAN-script text."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from actions.models import NationalStatus, Provenance
from reviews import services
from reviews.models import CountryReport
from tests import small_plan
from tests.conftest import make_cast, service_missing, shared_data, shared_fixtures
from tests.factories import logged_in

pytestmark = pytest.mark.django_db

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


PERSONAS = ("coordinator", "reviewer", "focal_point", "observer")


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    """Cambodia's report submitted in the open round (`reported`) and the personas, made once
    for the module."""
    with shared_data(django_db_blocker):
        cast = make_cast(*PERSONAS, plans=(2021, 2026))
        cast.reported = report_submitted(
            cast.plan_2026, cast.cambodia, cast.coordinator, cast.reviewer
        )
        yield cast


reported, plan_2026, cambodia, malaysia = shared_fixtures(
    "reported", "plan_2026", "cambodia", "malaysia"
)
coordinator, reviewer, focal_point, observer = shared_fixtures(*PERSONAS)


@pytest.fixture(scope="module")
def reviewers_report(_shared, django_db_blocker):
    """The reviewer's PDF of Cambodia's report, laid out once for the tests that read it."""
    with django_db_blocker.unblock():
        return report_pdf(_shared.reviewer, _shared.reported)


def report_submitted(plan_2026, cambodia, coordinator, reviewer):
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


def test_country_report_has_cover_figures_actions_comments_and_page_numbers(reviewers_report):
    reader, text = pdf_text(reviewers_report)
    assert "Cambodia: country report" in text
    assert "2026 annual" in text and "Submitted" in text
    assert "Action 1.2" in text and "40 %" in text and "Budget cuts" in text
    assert "Please add the decree." in text
    assert "Provisional" in text
    assert f"Page 1 of {len(reader.pages)}" in text
    assert "Generated" in text


def test_asean_scripts_are_in_the_text_layer_with_their_own_fonts(reviewers_report):
    reader, text = pdf_text(reviewers_report)
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
    reported, plan_2026, coordinator, reviewer
):
    # Cambodia's report, submitted in the first round, is accepted; the round closes.
    services.report_accept(
        user=reviewer, report=CountryReport.objects.get(round=reported, member_state__code="KH")
    )
    small_plan.close_round(reported)
    NationalStatus.objects.filter(
        member_state__code="KH", action_item__plan=plan_2026, action_item__code="1.2"
    ).update(progress=70)
    second = small_plan.make_round(plan_2026, "2027 annual")
    small_plan.accept_report(second, coordinator=coordinator, reviewer=reviewer)

    url = reverse("reports:plan_brief_pdf", args=["rpa-2026-2030"])
    _, text = pdf_text(logged_in(reviewer).get(url))

    assert "2026 annual" in text and "2027 annual" in text
    assert "No state has two accepted reports" not in text
