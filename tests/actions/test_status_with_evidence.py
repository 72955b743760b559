"""Evidence sent with the status form: a link and a file saved with the status in one submit."""

import errno

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from actions import evidence as ev
from actions.models import Evidence, NationalStatus, StatusHistory
from tests import factories
from tests.actions.test_evidence import BrokenStorage
from tests.factories import logged_in, png_bytes


@pytest.fixture
def item(plan_2026):
    return factories.make_item(factories.make_focus_area(plan_2026), code="1.1")


def edit_url(item):
    return reverse("national:status_edit", args=[item.pk])


def stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def nothing_saved(media):
    return (
        not NationalStatus.objects.exists()
        and not Evidence.objects.exists()
        and not StatusHistory.objects.exists()
        and not stored_files(media)
    )


def test_the_edit_form_is_multipart_and_offers_a_link_and_a_file(focal_point, item):
    page = logged_in(focal_point).get(edit_url(item)).content.decode()

    assert 'enctype="multipart/form-data"' in page
    assert 'name="link_url"' in page and 'type="file"' in page


def test_status_narrative_link_and_file_are_saved_in_one_submit(focal_point, item, media):
    data = factories.status_form_data(
        narrative="Decree adopted.",
        link_title="Official gazette",
        link_url="https://example.org/gazette",
        file=SimpleUploadedFile("chart.png", png_bytes(), content_type="image/png"),
        file_title="Chart",
    )

    response = logged_in(focal_point).post(edit_url(item), data)

    assert response.status_code == 302
    status = NationalStatus.objects.get()
    assert (status.status, status.narrative) == ("in_progress", "Decree adopted.")
    evidence = {e.kind: e for e in status.evidence.all()}
    assert (evidence["link"].title, evidence["link"].url) == (
        "Official gazette",
        "https://example.org/gazette",
    )
    assert (evidence["file"].title, evidence["file"].original_name) == ("Chart", "chart.png")
    assert evidence["file"].content_type == ev.PNG
    assert len(stored_files(media)) == 1
    # The status change, the link and the file: one history row each, in that order.
    assert [sorted(h.changes) for h in status.history.order_by("version")] == [
        ["narrative", "progress", "status"],
        ["evidence_added"],
        ["evidence_added"],
    ]
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Saved 1.1: In progress, 40 %, with a link and a file as evidence."]


def test_a_file_that_is_not_what_it_claims_is_a_field_error_and_nothing_is_saved(
    focal_point, item, media
):
    fake = SimpleUploadedFile("law.pdf", b"<html><script>1</script></html>", "application/pdf")
    data = factories.status_form_data(
        link_title="Gazette", link_url="https://example.org/g", file=fake
    )

    response = logged_in(focal_point).post(edit_url(item), data)

    assert response.status_code == 400
    assert "law.pdf: This file's content is not a" in " ".join(
        response.context["form"].errors["file"]
    )
    assert nothing_saved(media)


@pytest.mark.parametrize(
    ("link_title", "link_url", "field", "message"),
    [
        ("Gazette", "javascript:alert(1)", "link_url", "http:// or https://"),
        ("", "https://example.org/g", "link_title", "Give the link a title."),
        ("Gazette", "", "link_url", "Enter the web address"),
    ],
)
def test_a_bad_link_is_a_field_error_and_nothing_is_saved(
    focal_point, item, media, link_title, link_url, field, message
):
    data = factories.status_form_data(link_title=link_title, link_url=link_url)

    response = logged_in(focal_point).post(edit_url(item), data)

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert nothing_saved(media)


def test_an_oversized_file_is_a_field_error_and_nothing_is_saved(
    focal_point, item, media, settings
):
    settings.EVIDENCE_MAX_FILE_SIZE = 10
    data = factories.status_form_data(
        file=SimpleUploadedFile("chart.png", png_bytes(), content_type="image/png")
    )

    response = logged_in(focal_point).post(edit_url(item), data)

    assert response.status_code == 400
    assert "chart.png is larger than" in " ".join(response.context["form"].errors["file"])
    assert nothing_saved(media)


def test_a_file_the_status_has_no_room_for_undoes_the_status_change_too(
    focal_point, item, media, settings
):
    settings.EVIDENCE_MAX_FILES_PER_STATUS = 1
    first = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    ev.evidence_add_file(user=focal_point, item=item, file=first)
    before = NationalStatus.objects.get()
    data = factories.status_form_data(
        version=before.version,
        status="completed",
        progress="100",
        file=SimpleUploadedFile("b.png", png_bytes(), content_type="image/png"),
    )

    response = logged_in(focal_point).post(edit_url(item), data)

    assert response.status_code == 400
    assert "at most 1 files" in response.content.decode()
    after = NationalStatus.objects.get()
    assert (after.version, after.status) == (before.version, before.status)
    assert Evidence.objects.count() == 1
    assert len(stored_files(media)) == 1


def test_a_conflict_saves_neither_the_status_nor_the_evidence(
    focal_point, coordinator, item, media
):
    factories.save_status(coordinator, item)
    data = factories.status_form_data(
        version=0, status="completed", progress="100", link_title="G", link_url="https://e.org/g"
    )

    response = logged_in(focal_point).post(edit_url(item), data)

    assert response.status_code == 409
    assert "the link or file you sent with it was not added either" in response.content.decode()
    assert not Evidence.objects.exists()
    assert NationalStatus.objects.get().version == 1


def test_the_status_form_still_needs_its_csrf_token(focal_point, item, media):
    client = Client(enforce_csrf_checks=True)
    client.force_login(focal_point)

    response = client.post(edit_url(item), factories.status_form_data())

    assert response.status_code == 403
    assert nothing_saved(media)


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS], ids=["full", "read-only"])
def test_a_file_the_storage_refuses_undoes_the_status_change_too(
    focal_point, item, media, monkeypatch, error
):
    storage = BrokenStorage(location=media, error=error)
    monkeypatch.setattr(Evidence._meta.get_field("file"), "storage", storage)
    data = factories.status_form_data(
        narrative="Decree adopted.",
        file=SimpleUploadedFile("chart.png", png_bytes(), content_type="image/png"),
    )

    response = logged_in(focal_point).post(edit_url(item), data)

    assert response.status_code == 503
    assert "The file could not be stored; nothing was saved." in response.content.decode()
    assert nothing_saved(media)
