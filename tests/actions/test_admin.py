from django.urls import reverse

from accounts.models import Role
from actions.models import ActionItem, NationalStatus, ReferenceChange
from tests import factories


def test_secretariat_admin_manages_reference_data_in_the_admin_site(client, secretariat):
    client.force_login(secretariat)

    for name in ["actions_actionitem_changelist", "accounts_user_changelist", "actions_plan_add"]:
        assert client.get(reverse(f"admin:{name}")).status_code == 200


def test_staff_without_the_secretariat_role_gets_no_model_pages(client, cambodia):
    focal_point = factories.make_user(Role.FOCAL_POINT, cambodia, is_staff=True)
    client.force_login(focal_point)

    assert client.get(reverse("admin:actions_actionitem_changelist")).status_code == 403


def test_an_admin_edit_of_an_item_records_who_and_old_and_new_values(
    client, secretariat, plan_2021
):
    area = factories.make_focus_area(plan_2021)
    acwc, somswd = factories.make_body("ACWC"), factories.make_body("SOMSWD")
    item = factories.make_item(area, code="1.1", title="Old title", level="national")
    item.lead_bodies.add(acwc)
    client.force_login(secretariat)

    response = client.post(
        reverse("admin:actions_actionitem_change", args=[item.pk]),
        {
            "plan": plan_2021.pk,
            "focus_area": area.pk,
            "code": "1.1",
            "position": item.position,
            "title": "New title",
            "level": "national",
            "lead_bodies": [somswd.pk],
            "provenance": "provisional",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    item.refresh_from_db()
    assert item.title == "New title"
    change = ReferenceChange.objects.get()
    assert change.changed_by == secretariat
    assert change.action == "updated"
    assert change.object_key == f"{plan_2021.code}/1.1"
    assert change.changes == {
        "title": ["Old title", "New title"],
        "lead_bodies": [["ACWC"], ["SOMSWD"]],
    }


def test_an_admin_delete_of_an_unused_item_is_recorded(client, secretariat, plan_2021):
    item = factories.make_item(factories.make_focus_area(plan_2021), code="1.1")
    client.force_login(secretariat)

    client.post(reverse("admin:actions_actionitem_delete", args=[item.pk]), {"post": "yes"})

    assert not ActionItem.objects.filter(pk=item.pk).exists()
    change = ReferenceChange.objects.get()
    assert (change.action, change.object_key) == ("deleted", f"{plan_2021.code}/1.1")


def test_history_and_statuses_are_read_only_in_the_admin_site(client, secretariat, cambodia):
    item = factories.make_item(factories.make_focus_area(factories.make_plan()), code="1.1")
    status = factories.make_status(cambodia, item)
    client.force_login(secretariat)

    assert client.get(reverse("admin:actions_nationalstatus_changelist")).status_code == 200
    assert client.get(reverse("admin:actions_nationalstatus_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:actions_nationalstatus_delete", args=[status.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:actions_statushistory_add")).status_code == 403
    assert client.get(reverse("admin:reviews_reporttransition_add")).status_code == 403
    assert NationalStatus.objects.filter(pk=status.pk).exists()
