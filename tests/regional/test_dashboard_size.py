"""The dashboard's HTML stays small however much data there is, and travels compressed."""

import gzip

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from actions.models import ActionItem, NationalStatus
from tests import factories
from tests.conftest import shared_data
from tests.factories import logged_in

from . import full_region

pytestmark = pytest.mark.django_db

LIMIT = 60_000  # bytes of HTML
WIRE_LIMIT = 15_000  # bytes compressed


@pytest.fixture(scope="module")
def _region(django_db_setup, django_db_blocker):
    """The whole region and its readers, built once for the module (each test's writes are
    rolled back)."""
    with shared_data(django_db_blocker):
        cambodia = factories.make_state("KH")
        people = {
            "reviewer": factories.make_user(Role.REVIEWER, email="maria@example.org"),
            "observer": factories.make_user(Role.OBSERVER, email="lin@example.org"),
            "coordinator": factories.make_user(
                Role.COORDINATOR, cambodia, email="dara@example.org"
            ),
        }
        yield full_region.build(people["reviewer"]), people


@pytest.fixture
def region(_region):
    return _region[0]


@pytest.fixture
def reviewer(_region):
    return _region[1]["reviewer"]


@pytest.fixture
def observer(_region):
    return _region[1]["observer"]


@pytest.fixture
def coordinator(_region):
    return _region[1]["coordinator"]


def sizes(client, url, **params):
    plain = client.get(url, params)
    zipped = client.get(url, params, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert plain.status_code == zipped.status_code == 200
    assert not plain.has_header("Content-Encoding")
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    html = gzip.decompress(zipped.content)
    assert b'id="matrix"' in html
    return len(plain.content), len(zipped.content)


@pytest.mark.parametrize(
    ("persona", "params"),
    [
        ("reviewer", {}),
        ("reviewer", {"figures": "latest"}),
        ("reviewer", {"area": "1"}),
        ("observer", {}),
        ("coordinator", {}),
    ],
)
def test_the_dashboard_is_under_60_kb_and_under_15_kb_compressed(
    region, reviewer, observer, coordinator, persona, params
):
    plan = region[0]
    user = {"reviewer": reviewer, "observer": observer, "coordinator": coordinator}[persona]
    client = logged_in(user)
    url = reverse("reports:plan_dashboard", args=[plan.code])

    html, wire = sizes(client, url, **params)

    print(f"dashboard {persona} {params}: {html} bytes of HTML, {wire} bytes gzipped")
    assert html <= LIMIT
    assert wire <= WIRE_LIMIT


def test_ten_times_the_actions_do_not_grow_the_dashboard(region, reviewer):
    plan, states, items = region
    client = logged_in(reviewer)
    url = reverse("reports:plan_dashboard", args=[plan.code])
    before, _ = sizes(client, url)
    more = ActionItem.objects.bulk_create(
        ActionItem(plan=plan, focus_area=item.focus_area, code=f"{item.code}.{n}", title="More")
        for item in items
        for n in range(9)
    )
    NationalStatus.objects.bulk_create(
        NationalStatus(
            member_state=state,
            action_item=item,
            status="in_progress",
            progress=50,
            updated_at=timezone.now(),
        )
        for state in states
        for item in more
    )

    after, wire = sizes(client, url)

    print(f"dashboard at 10x actions: {before} -> {after} bytes of HTML, {wire} gzipped")
    assert after <= LIMIT
    assert after - before < 2_000  # only longer numbers
