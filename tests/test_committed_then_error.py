"""An error after a change was committed says the change was saved (never that it failed)."""

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from actions.models import NationalStatus, StatusHistory
from tests import factories


@pytest.fixture
def item(plan_2026):
    return factories.make_item(factories.make_focus_area(plan_2026), code="1.1")


def edit_url(item):
    return reverse("national:status_edit", args=[item.pk])


def signed_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_an_error_after_the_save_committed_says_the_change_was_saved(focal_point, item):
    data = factories.status_form_data(status="completed", progress="100", narrative="Law passed.")
    with mock.patch("actions.national_views.messages.success", side_effect=RuntimeError):
        response = signed_in(focal_point).post(
            reverse("national:status_edit", args=[item.pk]), data
        )

    page = response.content.decode()
    assert response.status_code == 500
    assert "Your change was saved" in page and "1.1" in page
    assert "may not have been saved" not in page
    saved = NationalStatus.objects.get(action_item=item)
    assert (saved.status, saved.progress, saved.version) == ("completed", 100, 1)
    assert StatusHistory.objects.filter(national_status=saved).count() == 1


def test_an_error_before_anything_was_saved_says_it_may_not_have_been(focal_point, item):
    data = factories.status_form_data(narrative="Draft.")
    with mock.patch("actions.national_views.status_update_with_evidence", side_effect=RuntimeError):
        response = signed_in(focal_point).post(
            reverse("national:status_edit", args=[item.pk]), data
        )

    page = response.content.decode()
    assert response.status_code == 500
    assert "may not have been saved" in page
    assert "Your change was saved" not in page
    assert not NationalStatus.objects.exists()
