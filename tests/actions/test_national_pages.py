"""The national pages: workspace, status, edit, conflict and history, by role and state."""

import datetime
import re
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from actions.models import NationalStatus, StatusHistory
from tests import factories
from tests.factories import logged_in

Status = NationalStatus.Status


@pytest.fixture
def item(plan_2026):
    area = factories.make_focus_area(plan_2026, title="Legal frameworks")
    return factories.make_item(area, title="Review national laws")


@pytest.fixture
def old_item(plan_2021):
    return factories.make_item(factories.make_focus_area(plan_2021), title="Old action")


def page_urls(item, state_code="KH"):
    return [
        reverse("national:workspace"),
        reverse("national:plan_workspace", args=[item.plan.code]),
        reverse("national:status_detail", args=[item.pk]),
        reverse("national:status_edit", args=[item.pk]),
        reverse("national:status_history", args=[item.pk]),
        reverse("national:state_workspace", args=[state_code]),
        reverse("national:state_plan_workspace", args=[state_code, item.plan.code]),
        reverse("national:state_status_detail", args=[state_code, item.pk]),
        reverse("national:state_status_history", args=[state_code, item.pk]),
    ]


# Who may open what.


def test_anonymous_visitors_are_sent_to_log_in(client, cambodia, item):
    for url in page_urls(item):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_observers_are_refused_every_national_page(observer, cambodia, item):
    client = logged_in(observer)

    for url in page_urls(item):
        assert client.get(url).status_code == 403, url


def test_another_states_pages_answer_404_to_a_focal_point(
    other_focal_point, focal_point, cambodia, item
):
    factories.save_status(focal_point, item, narrative="Cambodia's private draft")
    client = logged_in(other_focal_point)

    for name in ("state_workspace", "state_status_detail", "state_status_history"):
        args = ["KH", item.pk] if name != "state_workspace" else ["KH"]
        response = client.get(reverse(f"national:{name}", args=args))
        assert response.status_code == 404, name
        assert "Cambodia&#x27;s private draft" not in response.content.decode()


def test_a_focal_points_own_item_pages_show_only_their_own_state(
    other_focal_point, focal_point, item
):
    factories.save_status(focal_point, item, narrative="Cambodia's private draft")
    client = logged_in(other_focal_point)

    for url in page_urls(item, state_code="MY")[:5]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "private draft" not in response.content.decode(), url


def test_tampered_hidden_fields_cannot_write_another_states_status(
    other_focal_point, cambodia, malaysia, item, reviewer
):
    client = logged_in(other_focal_point)

    response = client.post(
        reverse("national:status_edit", args=[item.pk]),
        factories.status_form_data(
            member_state=cambodia.pk,
            country="KH",
            approved_by=reviewer.pk,
            updated_by=reviewer.pk,
            narrative="Aisyah's text",
        ),
    )

    assert response.status_code == 302
    status = NationalStatus.objects.get()
    assert status.member_state == malaysia
    assert status.updated_by == other_focal_point
    assert not NationalStatus.objects.filter(member_state=cambodia).exists()


def test_reviewer_picks_a_state_and_reads_its_statuses(reviewer, focal_point, malaysia, item):
    factories.save_status(focal_point, item, narrative="Tabled in parliament")
    client = logged_in(reviewer)

    picker = client.get(reverse("national:workspace")).content.decode()
    assert reverse("national:state_workspace", args=["KH"]) in picker
    assert reverse("national:state_workspace", args=["MY"]) in picker

    table = client.get(reverse("national:state_workspace", args=["KH"])).content.decode()
    assert reverse("national:state_status_detail", args=["KH", item.pk]) in table
    assert reverse("national:status_edit", args=[item.pk]) not in table

    detail = client.get(reverse("national:state_status_detail", args=["KH", item.pk]))
    assert "Tabled in parliament" in detail.content.decode()
    assert reverse("national:status_edit", args=[item.pk]) not in detail.content.decode()
    history = client.get(reverse("national:state_status_history", args=["KH", item.pk]))
    assert "Tabled in parliament" in history.content.decode()


def test_reviewer_cannot_edit(reviewer, cambodia, item):
    client = logged_in(reviewer)
    url = reverse("national:status_edit", args=[item.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, factories.status_form_data()).status_code == 403
    assert not NationalStatus.objects.exists()


def test_secretariat_reads_any_state(secretariat, focal_point, item):
    factories.save_status(focal_point, item, narrative="Seen by the secretariat")
    client = logged_in(secretariat)

    response = client.get(reverse("national:state_status_detail", args=["kh", item.pk]))

    assert "Seen by the secretariat" in response.content.decode()


def test_unknown_state_or_item_answers_404(reviewer, focal_point, item):
    reviewer_client = logged_in(reviewer)
    assert reviewer_client.get("/national/states/ZZ/").status_code == 404
    assert reviewer_client.get(f"/national/states/KH/items/{item.pk + 99}/").status_code == 404
    assert logged_in(focal_point).get(f"/national/items/{item.pk + 99}/").status_code == 404


# The workspace.


def test_workspace_lists_every_item_with_the_states_status(focal_point, item, plan_2026):
    untouched = factories.make_item(item.focus_area, title="Train the judiciary")
    factories.save_status(focal_point, item, progress=60)
    client = logged_in(focal_point)

    response = client.get(reverse("national:workspace"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Review national laws" in page and "Train the judiciary" in page
    assert "60 %" in page
    assert "never updated" in page
    assert "Sophea" in page
    assert reverse("national:status_edit", args=[untouched.pk]) in page
    assert "<caption" in page and 'scope="col"' in page
    assert re.search(r"\(\d+ actions?\)</span></caption>", page)
    assert '<span class="visually-hidden">Actions</span>' in page


def test_workspace_shows_times_in_the_users_time_zone(focal_point, item):
    focal_point.time_zone = "Asia/Phnom_Penh"
    focal_point.save()
    status = factories.save_status(focal_point, item)
    NationalStatus.objects.filter(pk=status.pk).update(
        updated_at=datetime.datetime(2026, 3, 1, 0, 30, tzinfo=datetime.UTC)
    )
    client = logged_in(focal_point)

    page = client.get(reverse("national:workspace")).content.decode()

    assert "1 Mar 2026, 07:30" in page


def test_workspace_counts_what_needs_attention(focal_point, item, settings):
    settings.STALE_AFTER_DAYS = 30
    stale = factories.make_item(item.focus_area)
    factories.make_item(item.focus_area)  # never updated
    factories.save_status(focal_point, item, progress=60)
    status = factories.save_status(focal_point, stale, progress=10)
    NationalStatus.objects.filter(pk=status.pk).update(
        updated_at=status.updated_at - datetime.timedelta(days=31)
    )
    client = logged_in(focal_point)

    response = client.get(reverse("national:workspace"))
    page = response.content.decode()

    assert response.context["attention"]["attention"] == 2
    assert "2 of 3</strong>" in page
    assert "1 never updated" in page
    assert "1 not updated for 30 days or more" in page
    assert response.context["table"].paginator.count == 3
    only = client.get(reverse("national:workspace"), {"attention": "yes"})
    assert only.context["table"].paginator.count == 2
    ignored = client.get(reverse("national:workspace"), {"not_updated_days": "soon"})
    assert ignored.context["table"].paginator.count == 3


def test_workspace_filters_by_status_focus_area_and_age(focal_point, item, plan_2026):
    other_area = factories.make_focus_area(plan_2026, title="Victim services")
    elsewhere = factories.make_item(other_area, title="Hotlines")
    old = factories.make_item(item.focus_area, title="Old news")
    factories.save_status(focal_point, item, status=Status.COMPLETED, progress=100)
    status = factories.save_status(focal_point, old, progress=10)
    NationalStatus.objects.filter(pk=status.pk).update(
        updated_at=status.updated_at - datetime.timedelta(days=200)
    )
    client = logged_in(focal_point)

    def titles(**params):
        response = client.get(reverse("national:workspace"), params)
        assert response.status_code == 200
        return {row.title for row in response.context["table"].paginated_rows.data}

    assert titles(status="completed") == {"Review national laws"}
    assert titles(status="not_started") == {"Hotlines"}
    assert titles(focus_area=other_area.pk) == {"Hotlines"}
    assert titles(not_updated_days=100) == {"Old news", "Hotlines"}
    assert titles(q="laws") == {"Review national laws"}
    assert elsewhere.title in titles()


def test_previous_plan_is_read_only(focal_point, item, old_item):
    factories.make_status(focal_point.member_state, old_item, status=Status.COMPLETED, progress=100)
    client = logged_in(focal_point)

    workspace = client.get(reverse("national:workspace")).content.decode()
    previous_url = reverse("national:plan_workspace", args=[old_item.plan.code])
    assert previous_url in workspace

    previous = client.get(previous_url)
    assert previous.status_code == 200
    assert "Read only." in previous.content.decode()
    assert "/edit/" not in previous.content.decode()
    detail = client.get(reverse("national:status_detail", args=[old_item.pk])).content.decode()
    assert "Completed" in detail and "/edit/" not in detail
    edit_url = reverse("national:status_edit", args=[old_item.pk])
    assert client.get(edit_url).status_code == 403
    assert (
        client.post(edit_url, factories.status_form_data(version=1, progress="50")).status_code
        == 403
    )
    assert NationalStatus.objects.get().progress == 100


def test_timor_leste_has_no_pages_for_the_plan_it_did_not_report_on(timor_leste, item, old_item):
    client = logged_in(factories.make_user(Role.FOCAL_POINT, timor_leste))

    workspace = client.get(reverse("national:workspace")).content.decode()
    assert "does not report on RPA 2021–2025" in workspace
    for url in page_urls(old_item)[1:5]:
        assert client.get(url).status_code == 404, url
    edit_url = reverse("national:status_edit", args=[old_item.pk])
    assert client.post(edit_url, factories.status_form_data()).status_code == 404
    assert not NationalStatus.objects.exists()


# Status, edit and history.


def test_edit_page_starts_from_the_saved_version(focal_point, item):
    factories.save_status(focal_point, item, progress=55, narrative="So far so good")
    client = logged_in(focal_point)

    response = client.get(reverse("national:status_edit", args=[item.pk]))

    form = response.context["form"]
    assert form["version"].value() == 1
    assert form["progress"].value() == 55
    assert form["narrative"].value() == "So far so good"
    assert 'type="hidden" name="version" value="1"' in response.content.decode()


def test_edit_page_of_an_untouched_item_starts_from_version_0(focal_point, item):
    response = logged_in(focal_point).get(reverse("national:status_edit", args=[item.pk]))

    assert response.context["form"]["version"].value() == 0
    assert response.context["form"]["status"].value() == "not_started"


def test_saving_redirects_to_the_status_with_a_message(focal_point, item):
    client = logged_in(focal_point)

    response = client.post(
        reverse("national:status_edit", args=[item.pk]),
        factories.status_form_data(progress="70", narrative="Bill passed first reading"),
        follow=True,
    )

    assert response.redirect_chain == [(reverse("national:status_detail", args=[item.pk]), 302)]
    page = response.content.decode()
    assert f"Saved {item.code}: In progress, 70 %." in page
    assert "Bill passed first reading" in page
    status = NationalStatus.objects.get()
    assert (status.progress, status.version, status.updated_by) == (70, 1, focal_point)


def test_two_people_editing_the_same_status_get_a_conflict_page(focal_point, coordinator, item):
    factories.save_status(focal_point, item, narrative="Base")
    sophea, dara = logged_in(focal_point), logged_in(coordinator)
    url = reverse("national:status_edit", args=[item.pk])
    sophea.get(url)
    dara.get(url)
    dara.post(url, factories.status_form_data(version=1, progress="60", narrative="Dara's update"))

    response = sophea.post(
        url, factories.status_form_data(version=1, progress="80", narrative="Sophea's update")
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "Dara" in page  # who saved meanwhile
    assert "Dara&#x27;s update" in page and "60 %" in page
    assert "Sophea&#x27;s update</textarea>" in page  # kept for copying
    assert "80 %" in page
    assert 'class="button" href="' + url + '"' in page
    status = NationalStatus.objects.get()
    assert (status.narrative, status.progress, status.version) == ("Dara's update", 60, 2)
    assert StatusHistory.objects.count() == 2


def test_saving_work_done_without_a_narrative_shows_the_error_at_the_narrative(focal_point, item):
    client = logged_in(focal_point)

    response = client.post(
        reverse("national:status_edit", args=[item.pk]),
        factories.status_form_data(status="completed", progress="100", narrative=""),
    )

    assert response.status_code == 400
    assert "needs a narrative" in " ".join(response.context["form"].errors["narrative"])
    page = response.content.decode()
    assert 'id="id_narrative_error"' in page  # the error, at the field, named by the field:
    assert re.search(r'<textarea [^>]*aria-describedby="[^"]*id_narrative_error"', page)
    assert re.search(r'<textarea [^>]*aria-invalid="true"', page)
    assert '<a href="#id_narrative">Narrative: ' in page  # the summary links to the field
    assert not NationalStatus.objects.exists()


def test_double_submitted_form_makes_one_change(focal_point, item):
    client = logged_in(focal_point)
    url = reverse("national:status_edit", args=[item.pk])
    data = factories.status_form_data(progress="30", narrative="Once")

    first = client.post(url, data)
    second = client.post(url, data, follow=True)

    assert first.status_code == 302
    assert second.status_code == 200
    assert "Saved" in second.content.decode()
    assert StatusHistory.objects.count() == 1
    assert NationalStatus.objects.get().version == 1


def test_saving_without_changes_says_so(focal_point, item):
    factories.save_status(focal_point, item)
    client = logged_in(focal_point)

    response = client.post(
        reverse("national:status_edit", args=[item.pk]),
        factories.status_form_data(version=1),
        follow=True,
    )

    assert "Nothing changed" in response.content.decode()
    assert StatusHistory.objects.count() == 1


def test_history_shows_who_changed_what_and_when(focal_point, coordinator, item):
    focal_point.time_zone = "Asia/Bangkok"
    focal_point.save()
    factories.save_status(focal_point, item, progress=20)
    saved_at = datetime.datetime(2026, 5, 2, 23, 15, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=saved_at):
        factories.save_status(coordinator, item, version=1, status=Status.COMPLETED, progress=100)

    response = logged_in(focal_point).get(reverse("national:status_history", args=[item.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "3 May 2026, 06:15" in page
    assert "Dara" in page and "Sophea" in page
    assert "In progress" in page and "Completed" in page
    assert "20 %" in page and "100 %" in page


def test_script_in_narrative_is_shown_escaped(focal_point, reviewer, item):
    client = logged_in(focal_point)
    client.post(
        reverse("national:status_edit", args=[item.pk]),
        factories.status_form_data(
            narrative='<script>alert(1)</script><img src=x onerror="alert(2)">'
        ),
    )

    for url, viewer in [
        (reverse("national:status_detail", args=[item.pk]), client),
        (reverse("national:status_history", args=[item.pk]), client),
        (reverse("national:state_status_detail", args=["KH", item.pk]), logged_in(reviewer)),
    ]:
        page = viewer.get(url).content.decode()
        assert "<script>alert(1)" not in page, url
        assert "<img src=x" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_formula_like_text_is_stored_and_shown_as_typed(focal_point, item):
    client = logged_in(focal_point)
    typed = '=HYPERLINK("http://x.invalid","x")'

    client.post(
        reverse("national:status_edit", args=[item.pk]),
        factories.status_form_data(
            narrative=typed, challenges="@SUM(1)", next_steps="+1+1", responsible_agency="-2+3"
        ),
    )

    status = NationalStatus.objects.get()
    assert (status.narrative, status.challenges, status.next_steps) == (typed, "@SUM(1)", "+1+1")
    assert status.responsible_agency == "-2+3"


def test_post_without_csrf_token_is_refused(focal_point, item):
    client = Client(enforce_csrf_checks=True)
    client.force_login(focal_point)

    response = client.post(
        reverse("national:status_edit", args=[item.pk]), factories.status_form_data()
    )

    assert response.status_code == 403
    assert not NationalStatus.objects.exists()
