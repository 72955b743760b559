"""The one write path for national statuses: permission, version, rules, history."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Role
from actions.forms import NationalStatusForm
from actions.models import ActionItem, NationalStatus, Plan, StatusHistory
from actions.services import StatusConflict
from tests import factories

Status = NationalStatus.Status


@pytest.fixture
def item(plan_2026):
    return factories.make_item(factories.make_focus_area(plan_2026), title="Review laws")


@pytest.fixture
def old_item(plan_2021):
    return factories.make_item(factories.make_focus_area(plan_2021), title="Old action")


def test_first_save_creates_the_status_and_one_history_row(focal_point, item):
    status = factories.save_status(
        focal_point, item, narrative="Draft law tabled", responsible_agency="CNCC"
    )

    status.refresh_from_db()
    assert (status.status, status.progress, status.version) == (Status.IN_PROGRESS, 40, 1)
    assert status.updated_by == focal_point
    assert status.member_state == focal_point.member_state
    [entry] = StatusHistory.objects.filter(national_status=status)
    assert entry.version == 1
    assert entry.changed_by == focal_point
    assert entry.changed_at == status.updated_at
    assert entry.changes == {
        "status": [None, "in_progress"],
        "progress": [None, 40],
        "narrative": [None, "Draft law tabled"],
        "responsible_agency": [None, "CNCC"],
    }


def test_later_save_records_only_the_changed_fields(focal_point, coordinator, item):
    factories.save_status(focal_point, item, narrative="Draft law tabled")

    status = factories.save_status(
        coordinator, item, version=1, progress=60, narrative="Draft law tabled"
    )

    status.refresh_from_db()
    assert (status.version, status.progress, status.updated_by) == (2, 60, coordinator)
    latest = status.history.get(version=2)
    assert latest.changes == {"progress": [40, 60]}
    assert latest.changed_by == coordinator


def test_stale_save_is_a_conflict_and_changes_nothing(focal_point, coordinator, item):
    factories.save_status(focal_point, item, narrative="Sophea's text")

    with pytest.raises(StatusConflict) as raised:
        factories.save_status(coordinator, item, version=0, narrative="Dara's text")

    assert raised.value.current.version == 1
    assert raised.value.current.updated_by == focal_point
    status = NationalStatus.objects.get()
    assert (status.narrative, status.version) == ("Sophea's text", 1)
    assert StatusHistory.objects.count() == 1


def test_save_from_an_older_version_of_a_saved_row_is_a_conflict(focal_point, coordinator, item):
    factories.save_status(focal_point, item)
    factories.save_status(coordinator, item, version=1, progress=50)

    with pytest.raises(StatusConflict):
        factories.save_status(focal_point, item, version=1, progress=70)

    status = NationalStatus.objects.get()
    assert (status.progress, status.version, status.updated_by) == (50, 2, coordinator)
    assert StatusHistory.objects.count() == 2


def record_evidence_change(status, user):
    """What adding evidence does to a status: a new version whose history names no field."""
    status.version += 1
    status.save()
    StatusHistory.objects.create(
        national_status=status,
        version=status.version,
        changed_at=timezone.now(),
        changed_by=user,
        changes={"evidence_added": [None, "Gazette <https://example.org/law>"]},
    )


def test_a_colleagues_evidence_change_meanwhile_is_no_conflict(focal_point, coordinator, item):
    status = factories.save_status(focal_point, item, narrative="Base")
    record_evidence_change(status, coordinator)

    saved = factories.save_status(focal_point, item, version=1, progress=70, narrative="Base")

    saved.refresh_from_db()
    assert (saved.progress, saved.version) == (70, 3)
    assert saved.history.get(version=3).changes == {"progress": [40, 70]}


def test_a_field_change_hidden_behind_an_evidence_change_is_still_a_conflict(
    focal_point, coordinator, item
):
    status = factories.save_status(focal_point, item)
    factories.save_status(coordinator, item, version=1, narrative="Dara's text")
    status.refresh_from_db()
    record_evidence_change(status, coordinator)

    with pytest.raises(StatusConflict):
        factories.save_status(focal_point, item, version=1, progress=90)

    status.refresh_from_db()
    assert (status.progress, status.narrative, status.version) == (40, "Dara's text", 3)


def test_a_gap_in_the_history_counts_as_a_conflict(focal_point, item):
    status = factories.save_status(focal_point, item)
    NationalStatus.objects.filter(pk=status.pk).update(version=2)

    with pytest.raises(StatusConflict):
        factories.save_status(focal_point, item, version=1, progress=90)


def test_history_labels_changes_that_are_not_status_fields(focal_point, coordinator, item):
    status = factories.save_status(focal_point, item)
    record_evidence_change(status, coordinator)

    assert status.history.get(version=2).field_changes == [
        ("Evidence added", "—", "Gazette <https://example.org/law>")
    ]


def test_save_claiming_a_version_that_does_not_exist_is_a_conflict(focal_point, item):
    with pytest.raises(StatusConflict) as raised:
        factories.save_status(focal_point, item, version=7)

    assert raised.value.current.version == 0
    assert not NationalStatus.objects.exists()


def test_identical_resubmission_from_the_same_version_changes_nothing(focal_point, item):
    first = factories.save_status(focal_point, item, narrative="Once")

    again = factories.save_status(focal_point, item, version=0, narrative="Once")

    assert again.pk == first.pk
    assert again.version == 1
    assert StatusHistory.objects.count() == 1


def test_saving_unchanged_values_writes_no_history(focal_point, item):
    status = factories.save_status(focal_point, item, narrative="Same")
    saved_at = status.updated_at

    factories.save_status(focal_point, item, version=1, narrative="Same")

    status.refresh_from_db()
    assert (status.version, status.updated_at) == (1, saved_at)
    assert StatusHistory.objects.count() == 1


def test_confirming_the_defaults_of_an_untouched_item_writes_nothing(focal_point, item):
    result = factories.save_status(focal_point, item, status=Status.NOT_STARTED, progress=0)

    assert not result.is_recorded
    assert not NationalStatus.objects.exists()
    assert not StatusHistory.objects.exists()


@pytest.mark.parametrize(
    ("status", "progress", "message"),
    [
        (Status.COMPLETED, 90, "Completed means 100 %"),
        (Status.NOT_STARTED, 5, "Not started means 0 %"),
        (Status.NOT_APPLICABLE, 10, "leave progress empty"),
        (Status.IN_PROGRESS, None, "Enter progress from 0 to 100"),
        (Status.IN_PROGRESS, 101, "from 0 to 100"),
    ],
)
def test_progress_must_fit_the_status(focal_point, item, status, progress, message):
    with pytest.raises(ValidationError) as raised:
        factories.save_status(focal_point, item, status=status, progress=progress)

    assert message in " ".join(raised.value.message_dict["progress"])
    assert not NationalStatus.objects.exists()
    assert not StatusHistory.objects.exists()


def test_progress_rules_that_hold_are_saved(focal_point, item):
    factories.save_status(focal_point, item, status=Status.NOT_APPLICABLE, progress=None)
    status = factories.save_status(
        focal_point, item, version=1, status=Status.COMPLETED, progress=100
    )

    assert (status.status, status.progress) == (Status.COMPLETED, 100)
    assert status.history.get(version=2).changes == {
        "status": ["not_applicable", "completed"],
        "progress": [None, 100],
        "narrative": ["", "Work under way."],
    }


@pytest.mark.parametrize(
    ("status", "progress"),
    [
        (Status.PLANNED, 0),
        (Status.IN_PROGRESS, 40),
        (Status.COMPLETED, 100),
        (Status.ONGOING, 60),
    ],
)
def test_a_status_that_says_work_was_done_needs_a_narrative(focal_point, item, status, progress):
    with pytest.raises(ValidationError) as raised:
        factories.save_status(focal_point, item, status=status, progress=progress, narrative="  ")

    assert "needs a narrative" in " ".join(raised.value.message_dict["narrative"])
    assert not NationalStatus.objects.exists()
    assert not StatusHistory.objects.exists()


@pytest.mark.parametrize(
    ("status", "progress"), [(Status.NOT_STARTED, 0), (Status.NOT_APPLICABLE, None)]
)
def test_not_started_and_not_applicable_need_no_narrative(focal_point, item, status, progress):
    factories.save_status(focal_point, item, status=Status.PLANNED, progress=0)

    saved = factories.save_status(
        focal_point, item, version=1, status=status, progress=progress, narrative=""
    )

    assert (saved.version, saved.status, saved.narrative) == (2, status, "")


def test_status_outside_the_vocabulary_is_refused(focal_point, item):
    with pytest.raises(ValidationError) as raised:
        factories.save_status(focal_point, item, status="finished")

    assert "status" in raised.value.message_dict
    assert not NationalStatus.objects.exists()


def test_text_that_looks_like_a_formula_is_stored_as_typed(focal_point, item):
    typed = '=HYPERLINK("http://x.invalid","click") @SUM(1) +1+1 -2+3 \t=1 \r=1'

    status = factories.save_status(
        focal_point, item, narrative=typed, challenges="<script>alert(1)</script>"
    )

    status.refresh_from_db()
    assert status.narrative == typed
    assert status.challenges == "<script>alert(1)</script>"


def test_history_is_written_in_the_same_transaction_as_the_status(focal_point, item, monkeypatch):
    factories.save_status(focal_point, item)

    def fail(**kwargs):
        raise RuntimeError("history write failed")

    monkeypatch.setattr(StatusHistory.objects, "create", fail)
    with pytest.raises(RuntimeError):
        factories.save_status(focal_point, item, version=1, progress=90)

    status = NationalStatus.objects.get()
    assert (status.progress, status.version) == (40, 1)


def test_follow_up_work_is_queued_after_commit_only_when_something_changed(
    focal_point, item, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        factories.save_status(focal_point, item)
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks() as callbacks:
        factories.save_status(focal_point, item, version=1)
    assert callbacks == []


def test_closed_plan_cannot_be_edited(focal_point, old_item):
    with pytest.raises(PermissionDenied):
        factories.save_status(focal_point, old_item)

    assert not NationalStatus.objects.exists()


def test_timor_leste_cannot_edit_an_item_of_the_plan_it_does_not_report_on(timor_leste, plan_2021):
    plan_2021.status = Plan.Status.IN_FORCE  # even were the plan open
    plan_2021.save()
    item = factories.make_item(factories.make_focus_area(plan_2021))
    user = factories.make_user(Role.FOCAL_POINT, timor_leste)

    with pytest.raises(PermissionDenied):
        factories.save_status(user, item)

    assert not NationalStatus.objects.exists()


def test_timor_leste_edits_items_of_the_current_plan(timor_leste, item):
    user = factories.make_user(Role.FOCAL_POINT, timor_leste)

    assert factories.save_status(user, item).member_state == timor_leste


def test_a_focal_point_cannot_write_another_states_status(other_focal_point, cambodia, item):
    with pytest.raises(PermissionDenied):
        factories.save_status(other_focal_point, item, state=cambodia)

    assert not NationalStatus.objects.exists()


@pytest.mark.parametrize("persona", ["reviewer", "secretariat", "observer"])
def test_regional_roles_and_observers_cannot_write(request, persona, cambodia, item):
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        factories.save_status(user, item, state=cambodia)

    assert not NationalStatus.objects.exists()


def test_only_the_current_plan_is_editable(focal_point, plan_2026, item):
    later = factories.make_plan(2031, 2035, predecessor=plan_2026)
    plan_2026.status = Plan.Status.IN_FORCE
    plan_2026.save()
    later_item = factories.make_item(factories.make_focus_area(later))

    with pytest.raises(PermissionDenied):
        factories.save_status(focal_point, later_item)
    assert factories.save_status(focal_point, item).is_recorded


def test_current_plan_is_the_one_in_force_else_the_newest_draft(plan_2021, plan_2026):
    assert Plan.objects.current() == plan_2026

    plan_2021.status = Plan.Status.IN_FORCE
    plan_2021.save()
    assert Plan.objects.current() == plan_2021

    Plan.objects.update(status=Plan.Status.CLOSED)
    assert Plan.objects.current() is None


def test_items_carry_the_states_status_and_what_needs_attention(
    focal_point, other_focal_point, item, plan_2026
):
    area = item.focus_area
    stale, fresh, untouched = (factories.make_item(area) for _ in range(3))
    long_ago = timezone.now() - datetime.timedelta(days=120)
    factories.make_status(
        focal_point.member_state,
        stale,
        status=Status.IN_PROGRESS,
        progress=10,
        updated_at=long_ago,
    )
    factories.make_status(focal_point.member_state, fresh, status=Status.COMPLETED, progress=100)
    factories.save_status(
        focal_point, item, status=Status.NOT_STARTED, progress=0, narrative="Later"
    )
    factories.make_status(other_focal_point.member_state, untouched, progress=0)

    items = ActionItem.objects.filter(plan=plan_2026).with_national_status(focal_point.member_state)

    by_pk = {row.pk: row for row in items}
    assert by_pk[untouched.pk].updated_at is None  # Malaysia's row does not count
    assert (by_pk[untouched.pk].status, by_pk[untouched.pk].progress) == ("not_started", 0)
    assert (by_pk[fresh.pk].status, by_pk[fresh.pk].progress) == ("completed", 100)
    assert items.attention_counts() == {
        "total": 4,
        "never_updated": 1,
        "stale": 1,
        "not_started": 1,
        "attention": 3,
    }
    assert set(items.needing_attention().values_list("pk", flat=True)) == {
        stale.pk,
        item.pk,
        untouched.pk,
    }


# The form: validates and normalises only.


@pytest.mark.parametrize("progress", ["-1", "101", "100.5", "NaN", "1e3", "abc", "9" * 5000])
def test_form_refuses_progress_that_is_not_a_whole_percent(progress):
    form = NationalStatusForm(data=factories.status_form_data(progress=progress))

    assert not form.is_valid()
    assert form.errors["progress"]


def test_form_explains_why_progress_is_refused():
    assert NationalStatusForm(data=factories.status_form_data(progress="100.5")).errors[
        "progress"
    ] == ["Enter progress as a whole number from 0 to 100, without decimals."]
    assert NationalStatusForm(data=factories.status_form_data(progress="-1")).errors[
        "progress"
    ] == ["Progress cannot be below 0."]


@pytest.mark.parametrize(
    ("status", "progress", "message"),
    [
        ("completed", "99", "Completed means 100 %: set progress to 100 or choose another status."),
        ("not_started", "1", "Not started means 0 %: set progress to 0 or choose another status."),
        ("not_applicable", "0", "Not applicable means no progress figure: leave progress empty."),
        ("planned", "", "Enter progress from 0 to 100 (leave it empty only for not applicable)."),
    ],
)
def test_form_explains_the_status_and_progress_rules(status, progress, message):
    form = NationalStatusForm(data=factories.status_form_data(status=status, progress=progress))

    assert form.errors["progress"] == [message]


def test_form_accepts_empty_progress_for_not_applicable():
    form = NationalStatusForm(data=factories.status_form_data(status="not_applicable", progress=""))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["progress"] is None


def test_form_refuses_a_status_outside_the_vocabulary():
    form = NationalStatusForm(data=factories.status_form_data(status="done"))

    assert form.errors["status"] == ["Choose one of the statuses listed."]


def test_form_refuses_a_nul_byte_with_a_clear_message():
    form = NationalStatusForm(data=factories.status_form_data(narrative="before\x00after"))

    assert "NUL character" in form.errors["narrative"][0]


def test_form_refuses_overlong_text():
    form = NationalStatusForm(data=factories.status_form_data(challenges="x" * 20_001))

    assert form.errors["challenges"] == ["Keep this under 20000 characters (it has 20001)."]


@pytest.mark.parametrize("version", ["", "abc", "-1"])
def test_form_refuses_a_damaged_version(version):
    form = NationalStatusForm(data=factories.status_form_data(version=version))

    assert "open the item again" in form.errors["version"][0]


def test_form_ignores_fields_that_are_not_its_own():
    form = NationalStatusForm(
        data=factories.status_form_data(
            member_state="1", approved_by="1", updated_by="1", action_item="9"
        )
    )

    assert form.is_valid()
    assert set(form.service_arguments()) == {
        "status",
        "progress",
        "narrative",
        "challenges",
        "next_steps",
        "responsible_agency",
        "expected_version",
    }
