import datetime

import pytest
from django.db import DataError, IntegrityError, transaction

from countries.models import MemberState
from tests import factories


def rejected(create):
    """True when the database refuses the row `create` writes."""
    try:
        with transaction.atomic():
            create()
    except (IntegrityError, DataError):  # PostgreSQL refuses an over-long value with DataError
        return True
    return False


def cambodia_with(**overrides):
    fields = {
        "code": "KH",
        "iso_alpha3": "KHM",
        "iso_numeric": "116",
        "name": "Cambodia",
        "member_since": datetime.date(1999, 4, 30),
        "reports_from": datetime.date(2021, 1, 1),
        "time_zone": "Asia/Phnom_Penh",
    }
    fields.update(overrides)
    return lambda: MemberState.objects.create(**fields)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "kh"),
        ("code", "K1"),
        ("code", "KHM"),
        ("code", ""),
        ("iso_alpha3", "KH"),
        ("iso_alpha3", "khm"),
        ("iso_numeric", "96"),
        ("iso_numeric", "11a"),
    ],
)
def test_member_state_codes_must_have_the_iso_format(db, field, value):
    assert rejected(cambodia_with(**{field: value}))


def test_member_state_with_iso_codes_is_accepted(db):
    assert not rejected(cambodia_with())


@pytest.mark.parametrize("field", ["code", "iso_alpha3", "iso_numeric", "name"])
def test_member_state_codes_and_name_are_unique(cambodia, field):
    others = {"code": "XX", "iso_alpha3": "XXX", "iso_numeric": "999", "name": "Elsewhere"}
    others.pop(field)
    assert rejected(cambodia_with(**others))


def test_member_state_cannot_report_before_joining(db):
    joined = datetime.date(2025, 10, 26)
    too_early = cambodia_with(member_since=joined, reports_from=datetime.date(2025, 10, 25))

    assert rejected(too_early)
    assert not rejected(cambodia_with(member_since=joined, reports_from=joined))


def test_timor_leste_reports_on_the_2026_plan_only(cambodia, timor_leste, plan_2021, plan_2026):
    assert list(MemberState.objects.reporting_in(plan_2021)) == [cambodia]
    assert set(MemberState.objects.reporting_in(plan_2026)) == {cambodia, timor_leste}
    assert not timor_leste.reports_in(plan_2021)
    assert timor_leste.reports_in(plan_2026)


def test_a_state_reporting_from_the_plans_last_day_reports_on_it(db, plan_2021):
    late = factories.make_state("TL", reports_from=datetime.date(2025, 12, 31))

    assert late in MemberState.objects.reporting_in(plan_2021)


def test_membership_starts_on_the_day_of_joining(timor_leste):
    assert not timor_leste.is_member_on(datetime.date(2025, 10, 25))
    assert timor_leste.is_member_on(datetime.date(2025, 10, 26))
