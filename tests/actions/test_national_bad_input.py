"""security.md's bad-input catalogue, for the national status form and workspace."""

import pytest
from django.test import Client
from django.urls import reverse

from actions.models import NationalStatus, StatusHistory
from core.tables import MAX_PAGE_SIZE, PAGE_SIZE
from tests import factories


@pytest.fixture
def item(plan_2026):
    area = factories.make_focus_area(plan_2026)
    return factories.make_item(area, title="Review national laws")


@pytest.fixture
def sophea(focal_point):
    client = Client()
    client.force_login(focal_point)
    return client


def post_edit(client, item, **overrides):
    return client.post(
        reverse("national:status_edit", args=[item.pk]), factories.status_form_data(**overrides)
    )


def assert_nothing_written():
    assert not NationalStatus.objects.exists()
    assert not StatusHistory.objects.exists()


# The edit form.


def test_a_megabyte_of_narrative_is_a_form_error(sophea, item):
    response = post_edit(sophea, item, narrative="x" * 1_000_000)

    assert response.status_code == 400
    assert "Keep this under 20000 characters" in response.content.decode()
    assert_nothing_written()


def test_a_body_above_the_upload_limit_is_refused(sophea, item, settings):
    response = post_edit(sophea, item, narrative="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))

    assert response.status_code == 400
    assert "Keep this under" not in response.content.decode()  # refused before the form
    assert_nothing_written()


@pytest.mark.parametrize("field", ["narrative", "challenges", "next_steps", "responsible_agency"])
def test_a_nul_byte_is_a_clear_form_error(sophea, item, field):
    response = post_edit(sophea, item, **{field: "before\x00after"})

    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    assert_nothing_written()


@pytest.mark.parametrize(
    ("progress", "message"),
    [
        ("-1", "Progress cannot be below 0."),
        ("101", "Progress cannot be above 100."),
        ("100.5", "whole number from 0 to 100, without decimals"),
        ("NaN", "whole number from 0 to 100, without decimals"),
        ("1e3", "whole number from 0 to 100, without decimals"),
        ("abc", "whole number from 0 to 100, without decimals"),
    ],
)
def test_progress_that_is_not_a_whole_percent_is_a_form_error(sophea, item, progress, message):
    response = post_edit(sophea, item, progress=progress)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert_nothing_written()


def test_a_status_outside_the_vocabulary_is_a_form_error(sophea, item):
    response = post_edit(sophea, item, status="finished")

    assert response.status_code == 400
    assert "Choose one of the statuses listed." in response.content.decode()
    assert_nothing_written()


@pytest.mark.parametrize(
    ("status", "progress", "message"),
    [
        ("completed", "90", "Completed means 100 %"),
        ("not_started", "10", "Not started means 0 %"),
        ("not_applicable", "10", "Not applicable means no progress figure"),
    ],
)
def test_progress_that_contradicts_the_status_is_explained(sophea, item, status, progress, message):
    response = post_edit(sophea, item, status=status, progress=progress)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert_nothing_written()


def test_a_form_error_keeps_what_the_user_typed(sophea, item):
    response = post_edit(sophea, item, progress="abc", narrative="Two paragraphs of work")

    assert "Two paragraphs of work</textarea>" in response.content.decode()


@pytest.mark.parametrize("version", ["", "abc", "-3"])
def test_a_damaged_version_field_is_a_form_error(sophea, item, version):
    response = post_edit(sophea, item, version=version)

    assert response.status_code == 400
    assert "open the item again" in response.content.decode()
    assert_nothing_written()


def test_a_version_from_the_future_is_a_conflict(sophea, item):
    response = post_edit(sophea, item, version="5")

    assert response.status_code == 409
    assert_nothing_written()


# The workspace table and its filters.


@pytest.fixture
def many_items(item):
    for _ in range(PAGE_SIZE + 2):
        factories.make_item(item.focus_area)


@pytest.mark.parametrize(
    ("page", "expected"),
    [("0", 2), ("-1", 2), ("abc", 1), (str(10**12), 2), ("1" * 5000, 1), ("2", 2)],
)
def test_odd_page_numbers_show_the_first_or_last_page(sophea, many_items, page, expected):
    response = sophea.get(reverse("national:workspace"), {"page": page})

    assert response.status_code == 200
    assert response.context["table"].page.number == expected


@pytest.mark.parametrize(
    ("per_page", "expected"),
    [("100000", MAX_PAGE_SIZE), ("0", PAGE_SIZE), ("-5", PAGE_SIZE), ("abc", PAGE_SIZE)],
)
def test_page_size_from_the_url_is_capped(sophea, many_items, per_page, expected):
    response = sophea.get(reverse("national:workspace"), {"per_page": per_page})

    assert response.status_code == 200
    assert response.context["table"].paginator.per_page == expected


@pytest.mark.parametrize("sort", ["password", "a__b__c", "-updated_by__password", "", "?"])
def test_unknown_sort_keys_are_ignored(sophea, many_items, sort):
    response = sophea.get(reverse("national:workspace"), {"sort": sort})

    assert response.status_code == 200
    assert list(response.context["table"].order_by) == []


def test_known_sort_keys_sort(sophea, item):
    factories.make_item(item.focus_area, title="Awareness campaign")

    response = sophea.get(reverse("national:workspace"), {"sort": "-title"})

    titles = [row.title for row in response.context["table"].paginated_rows.data]
    assert titles == ["Review national laws", "Awareness campaign"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("' OR 1=1--", set()),
        ("%", {"Reach 100% of schools"}),
        ("_", {"Use safe_search"}),
        ("\\", {"Back\\slash"}),
        (
            "\x00",
            {"Review national laws", "Reach 100% of schools", "Use safe_search", "Back\\slash"},
        ),
    ],
)
def test_search_text_is_matched_literally(sophea, item, q, expected):
    for title in ("Reach 100% of schools", "Use safe_search", "Back\\slash"):
        factories.make_item(item.focus_area, title=title)

    response = sophea.get(reverse("national:workspace"), {"q": q})

    assert response.status_code == 200
    assert {row.title for row in response.context["table"].paginated_rows.data} == expected


@pytest.mark.parametrize(
    "params",
    [
        {"not_updated_days": "abc"},
        {"not_updated_days": "-1"},
        {"not_updated_days": "1e3"},
        {"not_updated_days": str(10**12)},
        {"not_updated_days": "' OR 1=1--"},
        {"focus_area": "abc"},
        {"focus_area": "999999"},
        {"status": "' OR 1=1--"},
        {"status": "%"},
        {"attention": "_"},
    ],
)
def test_bad_filter_values_are_reported_and_ignored(sophea, item, params):
    response = sophea.get(reverse("national:workspace"), params)

    assert response.status_code == 200
    assert "This filter was ignored." in response.content.decode()
    assert response.context["table"].paginator.count == 1


def test_a_focus_area_of_another_plan_is_not_a_valid_filter(sophea, item, plan_2021):
    other = factories.make_focus_area(plan_2021)

    response = sophea.get(reverse("national:workspace"), {"focus_area": other.pk})

    assert "This filter was ignored." in response.content.decode()


@pytest.mark.parametrize(
    "query", ["q=%ff%fe", "q=%C3%28&status=%FF", "sort=%80&page=%C0%AF", "%ff=1"]
)
def test_invalid_utf8_in_the_query_string_is_harmless(sophea, item, query):
    response = sophea.get(reverse("national:workspace"), QUERY_STRING=query)

    assert response.status_code == 200


def test_invalid_utf8_on_a_reviewers_state_page_is_harmless(reviewer, item, cambodia):
    client = Client()
    client.force_login(reviewer)

    response = client.get(
        reverse("national:state_workspace", args=["KH"]), QUERY_STRING="q=%ff&page=%fe"
    )

    assert response.status_code == 200
