"""The public plan and action pages: content, continuity, 404s and fixed query counts."""

import pytest
from django.conf import settings
from django.urls import reverse

from actions.models import ActionItem, ContinuityLink, Plan, Provenance
from tests import factories
from tests.query_counts import assert_flat


def link(from_item, to_item, kind, **extra):
    return ContinuityLink.objects.create(
        from_item=from_item, to_item=to_item, kind=kind, provenance=Provenance.PROVISIONAL, **extra
    )


def plan_url(plan):
    return reverse("actions:plan_detail", args=[plan.code])


def item_url(item):
    return reverse("actions:action_item_detail", args=[item.plan.code, item.code])


def add_items(focus_area, count, body=None):
    """More items, each with a lead body, to show that query counts do not grow."""
    for _ in range(count):
        item = factories.make_item(focus_area)
        if body:
            item.lead_bodies.add(body)


@pytest.fixture
def acwc(db):
    return factories.make_body("ACWC", name="ASEAN Commission on the Rights of Women and Children")


@pytest.fixture
def somtc(db):
    return factories.make_body("SOMTC", name="Senior Officials Meeting on Transnational Crime")


@pytest.fixture
def legal_area(plan_2021):
    return factories.make_focus_area(plan_2021, 1, title="Comprehensive national legal frameworks")


@pytest.fixture
def legal_review(legal_area, acwc, somtc):
    """Item 1.1 of RPA 2021–2025: provisional, led by ACWC, supported by SOMTC."""
    item = factories.make_item(
        legal_area,
        "1.1",
        title="Review national laws against online child sexual exploitation",
        description="Each state reviews its laws against the regional guidelines.",
        level=ActionItem.Level.NATIONAL,
        start_year=2022,
        end_year=2024,
        indicator="Number of states that completed a review",
        target="All member states by 2024",
        provenance=Provenance.PROVISIONAL,
        source_note="Written from the Declaration's first priority measure.",
    )
    item.lead_bodies.add(acwc)
    item.supporting_bodies.add(somtc)
    return item


# Home


def test_home_explains_the_app_and_lists_plans_and_states(client, plan_2021, cambodia):
    factories.make_item(factories.make_focus_area(plan_2021))

    page = client.get("/").content.decode()

    assert "Regional Plan of Action 2021–2025" in page
    assert "2021–2025" in page
    assert '<span class="badge status-closed">Closed</span>' in page
    assert "1 focus area, 1 action, of which 1 provisional" in page
    assert "not official ASEAN wording" in page
    assert reverse("countries:member_state_detail", args=["KH"]) in page


def test_home_notes_that_timor_leste_reports_from_the_2026_plan(client, plan_2026, timor_leste):
    page = client.get("/").content.decode()

    assert 'Timor-Leste</a> <span class="muted">(reports from RPA 2026–2030 on)' in page


def test_home_query_count_does_not_grow(client, plan_2026, cambodia):
    factories.make_item(factories.make_focus_area(plan_2026))

    def grow():
        factories.make_plan(2031, 2035, predecessor=plan_2026)
        factories.make_state("MY")
        factories.make_state("TL")
        add_items(factories.make_focus_area(plan_2026), 3)

    assert_flat(client, "home", reverse("home"), grow)


# Plan list


def test_plan_list_shows_period_status_neighbours_and_counts(client, plan_2021, plan_2026):
    area = factories.make_focus_area(plan_2021)
    factories.make_item(area, provenance=Provenance.CONFIRMED)
    factories.make_item(area, provenance=Provenance.PROVISIONAL)
    factories.make_focus_area(plan_2021)

    response = client.get(reverse("actions:plan_list"))
    page = response.content.decode()

    assert response.status_code == 200
    assert '<span class="badge status-closed">Closed</span>' in page
    assert '<span class="badge status-draft">Draft</span>' in page
    row_2021 = page.split(f'<a href="{plan_url(plan_2021)}">RPA 2021–2025</a></th>')[1]
    row_2021 = row_2021.split("</tr>")[0]
    assert ">2021–2025</td>" in row_2021
    # No predecessor, RPA 2026–2030 as successor, 2 focus areas, 2 actions, 1 provisional.
    assert f'<a href="{plan_url(plan_2026)}">RPA 2026–2030</a>' in row_2021
    cells = [c.split("</td>")[0] for c in row_2021.split('<td class="num">')[1:]]
    assert cells == ["2", "2", "1"]
    row_2026 = page.split(f'<a href="{plan_url(plan_2026)}">RPA 2026–2030</a></th>')[1]
    assert f'<a href="{plan_url(plan_2021)}">RPA 2021–2025</a>' in row_2026.split("</tr>")[0]


def test_plan_list_query_count_does_not_grow(client, plan_2026):
    add_items(factories.make_focus_area(plan_2026), 1)

    def grow():
        later = factories.make_plan(2031, 2035, predecessor=plan_2026)
        add_items(factories.make_focus_area(later), 3)
        add_items(factories.make_focus_area(plan_2026), 2)

    assert_flat(client, "actions:plan_list", reverse("actions:plan_list"), grow)


# Plan detail


def test_plan_detail_shows_header_toc_and_items_by_focus_area(
    client, plan_2021, legal_area, legal_review
):
    plan_2021.source_note = "Noted by the 39th ASEAN Summit, October 2021."
    plan_2021.save()
    data_area = factories.make_focus_area(
        plan_2021, 6, title="Data, research and monitoring", provenance=Provenance.PROVISIONAL
    )
    confirmed = factories.make_item(
        data_area, "6.1", title="Regional baseline study", provenance=Provenance.CONFIRMED
    )

    response = client.get(plan_url(plan_2021))
    page = response.content.decode()

    assert response.status_code == 200
    assert "<h1>Regional Plan of Action 2021–2025</h1>" in page
    assert "Noted by the 39th ASEAN Summit, October 2021." in page
    assert '<span class="badge status-closed">Closed</span>' in page
    assert "This plan is a draft" not in page
    # Table of contents with in-page anchors to each focus area's section.
    assert '<a href="#focus-area-1">1. Comprehensive national legal frameworks</a>' in page
    assert '<a href="#focus-area-6">6. Data, research and monitoring</a>' in page
    assert 'id="focus-area-1"' in page
    assert 'id="focus-area-6"' in page
    # The focus area's heading carries its provenance as text.
    assert (
        "Focus area 6: Data, research and monitoring "
        '\n<span class="badge provisional">Provisional</span>'
    ) in page
    # Each item: code linking to its page, title, level, lead, timeframe, provenance.
    section_1 = page.split('id="focus-area-1"')[1].split("</section>")[0]
    assert f'<a href="{item_url(legal_review)}">1.1</a>' in section_1
    assert "Review national laws against online child sexual exploitation" in section_1
    assert "<td>National</td>" in section_1
    assert (
        '<abbr title="ASEAN Commission on the Rights of Women and Children">ACWC</abbr>'
        in section_1
    )
    assert "SOMTC" not in section_1  # supporting bodies are on the item's page only
    assert "<td>2022–2024</td>" in section_1
    assert '<span class="badge provisional">Provisional</span>' in section_1
    section_6 = page.split('id="focus-area-6"')[1].split("</section>")[0]
    assert f'<a href="{item_url(confirmed)}">6.1</a>' in section_6
    assert '<td>\n<span class="badge confirmed">Confirmed</span>' in section_6
    assert "Regional baseline study" not in section_1


def test_plan_detail_says_a_draft_plan_is_a_draft(client, plan_2026):
    page = client.get(plan_url(plan_2026)).content.decode()

    assert "This plan is a draft." in page
    assert '<span class="badge status-draft">Draft</span>' in page


def test_plan_detail_explains_provisional_wording_only_when_there_is_some(
    client, plan_2021, legal_area
):
    factories.make_item(legal_area, provenance=Provenance.CONFIRMED)
    assert "is not official ASEAN wording" not in client.get(plan_url(plan_2021)).content.decode()

    factories.make_item(legal_area, provenance=Provenance.PROVISIONAL)
    page = client.get(plan_url(plan_2021)).content.decode()
    assert "Wording marked provisional is not official ASEAN wording." in page


def test_plan_detail_lists_timor_leste_as_not_a_member_of_the_2021_plan(
    client, plan_2021, plan_2026, cambodia, timor_leste
):
    page_2021 = client.get(plan_url(plan_2021)).content.decode()
    page_2026 = client.get(plan_url(plan_2026)).content.decode()

    def reporting_row(page, state):
        section = page.split('id="member-states"')[1]
        return section.split(f">{state.name}</a></th>")[1].split("</tr>")[0]

    assert "Reports on this plan" in reporting_row(page_2021, cambodia)
    timor_2021 = reporting_row(page_2021, timor_leste)
    assert "Not a member then" in timor_2021
    assert "26 October 2025" in timor_2021
    assert "Not started" not in page_2021
    assert "Reports on this plan" in reporting_row(page_2026, timor_leste)
    assert "Not a member then" not in page_2026


def test_plan_detail_query_count_does_not_grow(
    client, plan_2021, plan_2026, legal_area, legal_review, acwc
):
    factories.make_state("KH")
    url = plan_url(plan_2021)

    def grow():
        add_items(legal_area, 4, body=acwc)
        for number in (2, 3, 4):
            add_items(factories.make_focus_area(plan_2021, number), 3, body=acwc)
        factories.make_state("MY")
        factories.make_state("TL")

    assert_flat(client, "actions:plan_detail", url, grow)

    response = client.get(url)
    assert response.content.decode().count('<th scope="row"><a href="/plans/rpa-2021-2025/') == 14


def test_unknown_plan_is_404(client, plan_2021):
    assert client.get("/plans/rpa-1999-2003/").status_code == 404


# Action item detail


def test_item_page_shows_every_field_and_breadcrumbs(client, plan_2021, legal_review):
    response = client.get(item_url(legal_review))
    page = response.content.decode()

    assert response.status_code == 200
    assert (
        '<h1><span class="item-code">Action 1.1</span> '
        "Review national laws against online child sexual exploitation</h1>"
    ) in page
    assert "Each state reviews its laws against the regional guidelines." in page
    assert "<dt>Level</dt><dd>National</dd>" in page
    assert "ASEAN Commission on the Rights of Women and Children (ACWC)" in page
    assert "Senior Officials Meeting on Transnational Crime (SOMTC)" in page
    assert "<dt>Timeframe</dt><dd>2022–2024</dd>" in page
    assert "Number of states that completed a review" in page
    assert "All member states by 2024" in page
    assert "Written from the Declaration&#x27;s first priority measure." in page
    breadcrumbs = page.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    assert f'<a href="{plan_url(plan_2021)}">RPA 2021–2025</a>' in breadcrumbs
    assert f'<a href="{plan_url(plan_2021)}#focus-area-1">Focus area 1</a>' in breadcrumbs
    assert '<li aria-current="page">Action 1.1</li>' in breadcrumbs


def test_item_page_marks_provisional_wording_as_not_official(client, legal_review, legal_area):
    confirmed = factories.make_item(legal_area, "1.2", provenance=Provenance.CONFIRMED)

    provisional_page = client.get(item_url(legal_review)).content.decode()
    confirmed_page = client.get(item_url(confirmed)).content.decode()

    assert "This action's wording is not official ASEAN wording." in provisional_page
    assert '<dt>Source</dt><dd>\n<span class="badge provisional">Provisional</span>' in (
        provisional_page
    )
    assert "not official ASEAN wording" not in confirmed_page.split("<footer")[0]
    assert '<dt>Source</dt><dd>\n<span class="badge confirmed">Confirmed</span>' in confirmed_page


def test_item_pages_show_continuity_both_ways(client, plan_2021, plan_2026, legal_review):
    area_2026 = factories.make_focus_area(plan_2026, 1, title="Laws and standards")
    continued = factories.make_item(area_2026, "1.1", title="Keep laws up to date")
    link(legal_review, continued, ContinuityLink.Kind.CONTINUED, note="Widened to AI content.")

    old_page = client.get(item_url(legal_review)).content.decode()
    new_page = client.get(item_url(continued)).content.decode()

    next_section = old_page.split("<h3>Into the next plan</h3>")[1]
    assert '<span class="link-kind">Continued</span>' in next_section
    assert f'<a href="{item_url(continued)}">1.1 Keep laws up to date</a>' in next_section
    assert "(RPA 2026–2030)" in next_section
    assert "Widened to AI content." in next_section
    earlier_section = new_page.split("<h3>From the earlier plan</h3>")[1].split("<h3>")[0]
    assert '<span class="link-kind">Continued</span>' in earlier_section
    assert f'<a href="{item_url(legal_review)}">1.1 Review national laws' in earlier_section
    assert "(RPA 2021–2025)" in earlier_section
    assert "continues in this action" in earlier_section


def test_item_pages_label_merged_split_dropped_and_new_links(client, plan_2021, plan_2026):
    old_area = factories.make_focus_area(plan_2021, 1)
    new_area = factories.make_focus_area(plan_2026, 1)
    merged_a = factories.make_item(old_area, "1.1")
    merged_b = factories.make_item(old_area, "1.2")
    split_source = factories.make_item(old_area, "1.3")
    dropped = factories.make_item(old_area, "1.4")
    merged_target = factories.make_item(new_area, "1.1")
    part_1 = factories.make_item(new_area, "1.2")
    part_2 = factories.make_item(new_area, "1.3")
    brand_new = factories.make_item(new_area, "1.4")
    link(merged_a, merged_target, ContinuityLink.Kind.MERGED)
    link(merged_b, merged_target, ContinuityLink.Kind.MERGED)
    link(split_source, part_1, ContinuityLink.Kind.SPLIT)
    link(split_source, part_2, ContinuityLink.Kind.SPLIT)
    link(dropped, None, ContinuityLink.Kind.DROPPED)
    link(None, brand_new, ContinuityLink.Kind.NEW)

    merged_page = client.get(item_url(merged_target)).content.decode()
    assert merged_page.count("was merged into this action") == 2
    assert f'href="{item_url(merged_a)}"' in merged_page
    assert f'href="{item_url(merged_b)}"' in merged_page
    split_page = client.get(item_url(split_source)).content.decode()
    assert split_page.count('<span class="link-kind">Split into</span>') == 2
    assert f'href="{item_url(part_1)}"' in split_page
    assert f'href="{item_url(part_2)}"' in split_page
    dropped_page = client.get(item_url(dropped)).content.decode()
    assert '<span class="link-kind">Dropped</span>' in dropped_page
    assert "This action is not carried into the next plan." in dropped_page
    new_page = client.get(item_url(brand_new)).content.decode()
    assert '<span class="link-kind">New</span>' in new_page
    assert "This action is new in RPA 2026–2030" in new_page


def test_item_page_says_when_no_link_is_recorded(client, plan_2021, plan_2026, legal_review):
    page = client.get(item_url(legal_review)).content.decode()

    assert "RPA 2021–2025 is the first plan; there is no earlier action." in page
    assert "No link to an action of RPA 2026–2030 is recorded." in page


def test_item_page_query_count_does_not_grow(client, plan_2021, plan_2026, legal_review, acwc):
    new_area = factories.make_focus_area(plan_2026, 1)
    first = factories.make_item(new_area, "1.1")
    link(legal_review, first, ContinuityLink.Kind.SPLIT)
    url = item_url(legal_review)

    def grow():
        for code in ("1.2", "1.3", "1.4"):
            link(legal_review, factories.make_item(new_area, code), ContinuityLink.Kind.SPLIT)
        for code in ("SOMSWD", "ADGSOM"):
            body = factories.make_body(code)
            legal_review.lead_bodies.add(body)
            legal_review.supporting_bodies.add(body)

    assert_flat(client, "actions:action_item_detail", url, grow)

    response = client.get(url)
    assert response.content.decode().count('<span class="link-kind">Split into</span>') == 4


@pytest.mark.parametrize(
    "path",
    [
        "/plans/rpa-2021-2025/actions/9.9/",
        "/plans/rpa-2026-2030/actions/1.1/",  # the code exists, but in another plan
        "/plans/rpa-1999-2003/actions/1.1/",
        "/plans/rpa-2021-2025/actions/%00/",
        "/plans/rpa-2021-2025/actions/1.1%00/",
        "/plans/rpa-2021-2025/actions/%E2%80%A6/",
    ],
)
def test_unknown_item_is_404(client, plan_2026, legal_review, path):
    assert client.get(path).status_code == 404


def test_plan_status_choices_each_have_a_badge_style():
    css = (settings.BASE_DIR / "static/css/site.css").read_text(encoding="utf-8")
    for status in Plan.Status.values:
        assert f".badge.status-{status}" in css
