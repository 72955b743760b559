"""The status, history and evidence tables: filters, sorting, paging, scoping, bad input."""

import datetime
import re

import django_tables2 as tables
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django_tables2 import RequestConfig
from django_tables2.rows import BoundRow

from accounts.models import Role
from actions import evidence as ev
from actions import queries
from actions.models import ActionItem, Evidence, NationalStatus, StatusHistory
from core import tables as core_tables
from core.tables import MAX_PAGE_SIZE, PAGE_SIZE, CappedCountPaginator, PagedTable
from regional.tables import HistoryTable
from tests import factories, small_plan
from tests.conftest import make_cast, shared_data, shared_fixtures
from tests.factories import logged_in
from tests.query_counts import assert_flat

pytestmark = pytest.mark.django_db

Status = NationalStatus.Status
PLAN = "rpa-2021-2025"


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    """The small plan of 2021 and its readers, made once for the module."""
    with shared_data(django_db_blocker):
        cast = make_cast("reviewer", "focal_point", "observer")
        cast.small = small_plan.build(cast.plan_2021)
        yield cast


small, plan_2021, cambodia, malaysia, timor_leste, reviewer, focal_point, observer = (
    shared_fixtures(
        "small",
        "plan_2021",
        "cambodia",
        "malaysia",
        "timor_leste",
        "reviewer",
        "focal_point",
        "observer",
    )
)


def rows(user, name="reports:statuses", **params):
    response = logged_in(user).get(reverse(name), params)
    assert response.status_code == 200
    return response


def keys(response):
    """(state code, item code) of the rows on the page, in order."""
    return [(r.state_code, r.code) for r in records(response)]


def records(response):
    return [row.record for row in response.context["table"].page.object_list]


# The status table: every (state, item) of a plan, never-updated ones as not started.


@pytest.fixture(scope="module")
def reviewers_table(_shared, django_db_blocker):
    """The reviewer's status table of the small plan, asked for once for the tests that only
    read it."""
    with django_db_blocker.unblock():
        return rows(_shared.reviewer, plan=PLAN)


def test_the_table_lists_every_state_and_item_of_the_plan(reviewers_table):
    response = reviewers_table

    assert keys(response) == [
        (state, code) for state in ("KH", "MY") for code in ("1.1", "1.2", "1.3", "2.1", "2.2")
    ]
    never = [r for r in records(response) if r.updated_at is None]
    assert [(r.state_code, r.code, r.status, r.progress) for r in never] == [
        ("KH", "1.3", "not_started", 0),
        ("MY", "2.1", "not_started", 0),
    ]


def test_without_a_plan_the_current_plan_is_shown(small, plan_2026, reviewer):
    response = rows(reviewer)

    assert response.context["plan"] == plan_2026


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "KH"}, 5),
        ({"state": "MY", "focus_area": "1"}, 3),
        ({"status": "completed"}, 2),
        ({"status": "not_started"}, 2),
        ({"status": "not_applicable"}, 2),
        ({"status": "applicable"}, 8),
        ({"progress_min": "40"}, 5),  # 100, 40, 60, 100, 50
        ({"progress_min": "40", "progress_max": "60"}, 3),
        ({"progress_max": "0"}, 2),  # never updated
        ({"stale": "stale"}, 3),
        ({"stale": "never"}, 2),
        ({"stale": "either"}, 5),
        ({"q": "2.2"}, 2),
        ({"q": "Action 1"}, 6),
    ],
)
def test_filters(small, reviewer, settings, params, expected):
    settings.STALE_AFTER_DAYS = 90

    response = rows(reviewer, plan=PLAN, **params)

    assert response.context["table"].paginator.count == expected
    assert not response.context["filter"].form.errors


def test_changed_since_keeps_statuses_changed_on_or_after_the_day(small, reviewer):
    today = timezone.localdate()

    response = rows(reviewer, plan=PLAN, changed_since=today.isoformat())

    assert response.context["table"].paginator.count == 5  # the statuses updated today


def test_filters_are_kept_in_the_links_of_the_page(small, reviewer):
    response = rows(reviewer, plan=PLAN, state="KH", status="completed")
    page = response.content.decode()

    assert "plan=rpa-2021-2025&amp;state=KH&amp;status=completed" in page  # the download
    assert "sort=" in page  # headers sort within the same filters
    assert 'value="KH" selected' in page


@pytest.mark.parametrize(
    ("sort", "key", "descending"),
    [
        ("progress", lambda r: r.progress, False),
        ("-progress", lambda r: r.progress, True),
        ("-state", lambda r: r.state_name, True),
        ("title", lambda r: r.title, False),
        ("focus_area", lambda r: r.focus_area_number, False),
    ],
)
def test_sorting_by_a_column(small, reviewer, sort, key, descending):
    response = rows(reviewer, plan=PLAN, sort=sort, per_page=100)

    values = [key(r) for r in records(response) if key(r) is not None]
    assert len(records(response)) == 10
    assert values == sorted(values, reverse=descending)
    assert 'aria-sort="' in response.content.decode()


@pytest.mark.parametrize(
    "sort", ["password", "a__b__c", "state_status__id", "-narrative", "; drop"]
)
def test_unknown_sort_keys_are_ignored(reviewers_table, reviewer, sort):
    response = rows(reviewer, plan=PLAN, sort=sort)

    assert keys(response) == keys(reviewers_table)


def more_items(area, count):
    """`count` more items in `area`, 2.10 onwards, never updated."""
    ActionItem.objects.bulk_create(
        ActionItem(plan=area.plan, focus_area=area, code=f"2.{n + 10}", title=f"More {n}")
        for n in range(count)
    )


@pytest.mark.parametrize("page", ["0", "-1", "abc", str(10**12), "99999999999999999999999"])
def test_odd_page_numbers_show_the_first_or_last_page(small, reviewer, page):
    more_items(small.fa2, 30)

    response = rows(reviewer, plan=PLAN, page=page)

    number = response.context["table"].page.number
    assert number in (1, response.context["table"].paginator.num_pages)


def test_page_size_is_capped(small, reviewer):
    more_items(small.fa2, 60)

    assert len(keys(rows(reviewer, plan=PLAN, per_page="100000"))) == MAX_PAGE_SIZE
    assert len(keys(rows(reviewer, plan=PLAN, per_page="-5"))) == PAGE_SIZE
    assert len(keys(rows(reviewer, plan=PLAN, per_page="abc"))) == PAGE_SIZE


@pytest.mark.parametrize(
    "params",
    [
        {"q": "\x00"},
        {"q": "' OR 1=1--"},
        {"q": "%"},
        {"q": "_"},
        {"q": "\\"},
        {"changed_since": "0001-01-01"},
        {"changed_since": "9999-12-31"},
        {"changed_since": "2025-02-30"},
        {"progress_min": "abc"},
        {"progress_min": "-1"},
        {"progress_max": "101"},
        {"progress_max": "100.5"},
        {"progress_min": "1e3"},
        {"status": "finished"},
        {"stale": "always"},
        {"focus_area": "99"},
        {"plan": "no-such-plan"},
        {"state": "XX"},
    ],
)
def test_bad_filter_values_are_reported_and_ignored(small, reviewer, params):
    response = logged_in(reviewer).get(reverse("reports:statuses"), {"plan": PLAN, **params})

    assert response.status_code == 200
    count = response.context["table"].paginator.count
    literal = params.get("q") in ("' OR 1=1--", "%", "_", "\\")
    assert count == (0 if literal else 10), params
    bad_form = "plan" not in params and not literal
    assert bool(response.context["filter"].form.errors) is bad_form, params


def test_invalid_utf8_in_the_query_string_is_no_server_error(small, reviewer):
    response = logged_in(reviewer).get(reverse("reports:statuses") + "?q=%ff%fe&state=%c3")

    assert response.status_code in (200, 400)


# Scoping: what each role sees in the tables.


def test_a_focal_point_sees_only_their_own_states_rows(small, focal_point):
    response = rows(focal_point, plan=PLAN)

    assert {state for state, _ in keys(response)} == {"KH"}
    assert "Malaysia narrative" not in response.content.decode()


def test_a_focal_point_naming_another_state_gets_an_error_not_its_rows(small, focal_point):
    response = rows(focal_point, plan=PLAN, state="MY")

    assert {state for state, _ in keys(response)} == {"KH"}
    assert "state" in response.context["filter"].form.errors


def test_an_observer_sees_no_live_rows(small, observer):
    response = rows(observer, plan=PLAN)

    assert keys(response) == []
    assert "Observers see accepted country reports only" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(small, client):
    for name in ("reports:statuses", "reports:history", "reports:evidence"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


# History and evidence tables.


@pytest.fixture
def history(small, reviewer):
    day = timezone.now() - datetime.timedelta(days=10)
    made = []
    for status in small.statuses.values():
        made.append(
            StatusHistory.objects.create(
                national_status=status,
                version=1,
                changed_at=day,
                changed_by=reviewer,
                changes={"status": ["not_started", status.status]},
            )
        )
    StatusHistory.objects.create(
        national_status=small.statuses["KH", "1.2"],
        version=2,
        changed_at=timezone.now(),
        changes={"narrative": ["", "Cambodia narrative on 1.2"]},
    )
    return made


def history_count(user, **params):
    return rows(user, "reports:history", **params).context["table"].paginator.count


def test_history_filters(history, reviewer):
    today = timezone.localdate().isoformat()
    assert history_count(reviewer) == 9
    assert history_count(reviewer, state="KH") == 5
    assert history_count(reviewer, field="narrative") == 1
    assert history_count(reviewer, field="status", state="MY") == 4
    assert history_count(reviewer, changed_since=today) == 1
    assert history_count(reviewer, changed_until=today) == 9
    assert history_count(reviewer, focus_area="2") == 3
    assert history_count(reviewer, plan=PLAN, q="1.2") == 3
    assert history_count(reviewer, new_status="completed") == 2  # KH 1.1, MY 1.3


def test_history_is_newest_first_and_sortable(history, reviewer):
    response = rows(reviewer, "reports:history")
    assert records(response)[0].version == 2

    oldest = records(rows(reviewer, "reports:history", sort="changed_at"))
    assert oldest[0].changed_at <= oldest[1].changed_at <= oldest[-1].changed_at
    assert oldest[-1].version == 2


def test_a_long_history_is_counted_only_up_to_its_cap_until_its_last_pages(
    history, reviewer, monkeypatch
):
    monkeypatch.setattr(HistoryTable, "count_cap", 3)
    assert CappedCountPaginator([], 25, cap=10000).cap_shown == "10,000"

    def page(number):
        response = rows(reviewer, "reports:history", per_page=2, page=number)
        table = response.context["table"]
        return response.content.decode(), table.paginator, table.page

    html, paginator, first = page(1)
    assert paginator.capped and paginator.count == 4  # 3 counted, and at least one more
    assert "(more than 3 rows, page 1)" in html
    assert [row.record.version for row in first.object_list] == [2, 1]
    assert 'rel="next"' in html and "?per_page=2&amp;page=5" not in html

    html, paginator, second = page(2)  # the last page of 4 rows: every row counted
    assert not paginator.capped and paginator.count == 9
    assert "(9 rows, page 2 of 5)" in html and "?per_page=2&amp;page=5" in html
    assert second.has_next()

    for asked in (5, 99):
        html, paginator, last = page(asked)
        assert (last.number, paginator.count, len(last.object_list)) == (5, 9, 1)
        assert "(9 rows, page 5 of 5)" in html
    assert page("abc")[1].capped
    assert history_count(reviewer, state="KH", per_page=2) == 4  # capped: filtered as asked


def test_history_is_scoped(history, focal_point, observer):
    assert history_count(focal_point) == 5
    assert history_count(focal_point, state="MY") == 5  # the filter is refused, not obeyed
    assert history_count(observer) == 0


@pytest.fixture
def evidence(small, focal_point):
    made = {}
    for code, state in (("KH", small.kh), ("MY", small.my)):
        status = small.statuses[code, "1.1"]
        made[code] = Evidence.objects.create(
            national_status=status,
            kind=Evidence.Kind.LINK,
            title=f"{state.name} decree",
            url=f"https://example.org/{code}",
            added_at=timezone.now(),
        )
    Evidence.objects.filter(pk=made["MY"].pk).update(review=Evidence.Review.ACCEPTED)
    return made


def evidence_count(user, **params):
    return rows(user, "reports:evidence", **params).context["table"].paginator.count


def test_evidence_filters_and_scoping(evidence, reviewer, focal_point, observer):
    assert evidence_count(reviewer) == 2
    assert evidence_count(reviewer, review="accepted") == 1
    assert evidence_count(reviewer, state="KH", kind="link") == 1
    assert evidence_count(reviewer, q="decree", withdrawn="yes") == 0
    assert evidence_count(focal_point) == 1
    assert evidence_count(observer) == 0
    page = rows(focal_point, "reports:evidence").content.decode()
    assert "Cambodia decree" in page
    assert "Malaysia decree" not in page


# Speed: fixed queries whatever the number of states, items or history rows.


def grow(built, states, items, first=10):
    """`states` more states and `items` more items; each pair of them with Cambodia's a status,
    a change and evidence, by an editor of its own state (one more editor each time)."""
    extra = [factories.make_state(code) for code in ["ID", "PH", "TH"][:states]]
    editors = {state: factories.make_user(Role.FOCAL_POINT, state) for state in [built.kh, *extra]}
    for n in range(items):
        item = factories.make_item(built.fa2, f"2.{n + first}")
        for state, editor in editors.items():
            status = factories.make_status(
                state, item, status=Status.PLANNED, progress=5, updated_by=editor
            )
            StatusHistory.objects.create(
                national_status=status,
                version=1,
                changed_at=timezone.now(),
                changed_by=editor,
                changes={},
            )
            Evidence.objects.create(
                national_status=status,
                kind=Evidence.Kind.LINK,
                title="x",
                url="https://example.org",
                added_at=timezone.now(),
                added_by=editor,
            )


@pytest.mark.parametrize(
    "page, params",
    [
        ("reports:statuses", {"plan": PLAN, "status": "planned", "per_page": 100}),
        ("reports:statuses", {"plan": PLAN, "per_page": 3, "page": 3}),  # by items and states
        ("reports:history", {"state": "KH", "per_page": 100}),
        ("reports:evidence", {"per_page": 100}),
    ],
)
def test_table_queries_do_not_grow(small, reviewer, page, params):
    grow(small, 0, 1)  # a row in each table (an empty table skips its page query)
    client = logged_in(reviewer)

    # Three more states and three more items, each pair with a status, a change and evidence:
    # a query per row, per state or per item adds at least three.
    assert_flat(client, page, reverse(page), lambda: grow(small, 3, 3, first=11), params)


def test_status_pairs_are_each_states_own_rows_in_one_query(
    small, plan_2021, cambodia, malaysia, timor_leste
):
    names = ("state_id", "state_code", "state_name", "code", "status", "progress", "updated_at")
    names += ("status_version", "updated_by_name", "plan_code", "focus_area_number", "narrative")

    def values(rows):
        return sorted(
            (tuple(getattr(row, name) for name in names) for row in rows),
            key=lambda value: (value[1], value[3]),
        )

    expected = values(
        row for state in (cambodia, malaysia) for row in queries.state_status_rows(plan_2021, state)
    )
    with CaptureQueriesContext(connection) as captured:
        pairs = values(queries.status_pairs(plan_2021, [malaysia, cambodia]))

    assert pairs == expected
    assert len(captured) == 1
    assert ("KH", "1.3", "not_started", 0) in [(p[1], p[3], p[4], p[5]) for p in pairs]
    refined = queries.status_pairs(plan_2021, [cambodia], refine=lambda q: q.filter(code="1.3"))
    assert [(row.state_code, row.code) for row in refined] == [("KH", "1.3")]
    assert list(queries.status_pairs(plan_2021, [])) == []


def test_a_tables_rows_render_each_cell_escaped_with_its_columns_class(rf):
    class Sizes(PagedTable):
        name = tables.Column()
        size = tables.Column(attrs={"td": {"class": "num"}})
        note = tables.Column(default="—")

        def render_size(self, value, record):
            return f"{value} kB of {record['name']}"

        def render_note(self, value, **kwargs):
            return format_html("<em>{}</em>", value)

    rows = [{"name": "<b>", "size": 3, "note": ""}, {"name": "x", "size": 1000, "note": "a&b"}]
    table = Sizes(rows)
    RequestConfig(rf.get("/"), paginate={"per_page": 1, "page": 2}).configure(table)
    assert table.body_rows() == (
        '<tr><th scope="row">x</th><td class="num">1000 kB of x</td>'
        "<td><em>a&amp;b</em></td></tr>\n"
    )
    table = Sizes(rows)
    RequestConfig(rf.get("/")).configure(table)
    assert table.body_rows().startswith(
        '<tr><th scope="row">&lt;b&gt;</th><td class="num">3 kB of &lt;b&gt;</td><td>—</td></tr>'
    )
    table = Sizes([])
    RequestConfig(rf.get("/")).configure(table)
    assert table.body_rows() == ""


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "-title"},
        {"sort": "status"},
        {"sort": "-updated_at", "per_page": 3, "page": 2},
        {"status": "not_started"},
        {"state": "MY", "per_page": 2, "page": 3},
    ],
)
def test_the_rendered_status_rows_are_the_pages_rows_in_its_order(small, reviewer, params):
    response = rows(reviewer, plan=PLAN, **params)
    rendered = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td><a href="[^"]+">([^<]+)</a></td>',
        response.content.decode(),
    )
    expected = [(r.state_name, r.code) for r in records(response)]
    assert rendered == expected and expected


TBODY = re.compile(r"<tbody>.*?</tbody>", re.S)


def test_table_rows_show_the_values_django_tables2_would(
    plan_2026, focal_point, reviewer, malaysia, timor_leste, monkeypatch, settings, tmp_path
):
    """The tables read a row's values by plain attributes (core.tables._Row): every table's
    rows are the same as with django-tables2's own lookups (labels of fields with choices,
    related objects, empty values)."""
    settings.MEDIA_ROOT = tmp_path
    built = small_plan.build(plan_2026)
    item = built.items["1.3"]
    factories.save_status(focal_point, item, status="in_progress", progress=30)
    ev.evidence_add_link(
        user=focal_point, item=item, title="Decree <b>", url="https://example.org/d"
    )
    pages = [
        (reviewer, "reports:statuses", {"plan": plan_2026.code}),
        (reviewer, "reports:history", {}),
        (reviewer, "reports:evidence", {}),
        (focal_point, "national:workspace", {}),
    ]

    def bodies():
        return [
            TBODY.search(logged_in(user).get(reverse(name), params).content.decode()).group(0)
            for user, name, params in pages
        ]

    ours = bodies()
    monkeypatch.setattr(core_tables._Row, "_get_and_render_with", BoundRow._get_and_render_with)

    assert bodies() == ours
    assert "Link" in ours[2] and "Decree &lt;b&gt;" in ours[2]
