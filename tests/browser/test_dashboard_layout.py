"""The regional dashboard reads at a glance: at 1280 × 800 the first screen holds the headline
figures and the whole state × focus-area matrix; at 360 px only the matrix scrolls sideways,
inside its own region; the shades differ in lightness and keep their text readable.

The whole region is built once for the module (committed, for the live server) and the
module's tests run in one test worker, so that it is built once in a run.
"""

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Role
from tests import factories
from tests.regional import full_region

from .conftest import committed_rows, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("dashboard_layout")]

SCREEN = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
FOCUS_AREAS = [f"FA{n}" for n in range(1, 8)]
ASEAN = [
    "Brunei Darussalam",
    "Cambodia",
    "Indonesia",
    "Lao PDR",
    "Malaysia",
    "Myanmar",
    "Philippines",
    "Singapore",
    "Thailand",
    "Timor-Leste",
    "Viet Nam",
]

# WCAG's relative luminance and contrast ratio, computed in the page from computed colours.
LUMINANCE_JS = """
const channel = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
const luminance = colour => {
  const [r, g, b] = colour.match(/[\\d.]+/g).map(Number);
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
};
const contrast = (a, b) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};
"""


@pytest.fixture(scope="module")
def region(django_db_blocker, module_live_server):
    """The whole region's dashboard, and the sessions of Maria (a reviewer) and Lin (an observer)
    to open it (signing in through the form is tested in test_dashboard_csv.py)."""
    with committed_rows(django_db_blocker):
        factories.make_state("KH")
        reviewer = factories.make_user(Role.REVIEWER, email="maria@example.org", name="Maria")
        observer = factories.make_user(Role.OBSERVER, email="lin@example.org", name="Lin")
        plan, _, _ = full_region.build(reviewer)
        clients = {"reviewer": Client(), "observer": Client()}
        clients["reviewer"].force_login(reviewer)
        clients["observer"].force_login(observer)
        yield SimpleNamespace(
            url=module_live_server.url + reverse("reports:plan_dashboard", args=[plan.code]),
            server=module_live_server,
            clients=clients,
        )


def open_dashboard(page, region, persona, viewport, query=""):
    page.set_viewport_size(viewport)
    sign_in(page.context, region.server, region.clients[persona])
    page.goto(region.url + query)
    expect(page.get_by_role("heading", level=1)).to_contain_text("regional dashboard")


def page_overflow(page):
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize(
    ("persona", "query", "columns"),
    [
        ("reviewer", "", [*FOCUS_AREAS, "All"]),
        ("observer", "", [*FOCUS_AREAS, "All"]),  # accepted figures, with their notice
        ("reviewer", "?figures=latest&area=3", ["FA3"]),
    ],
)
def test_the_first_screen_at_1280_holds_the_figures_and_the_whole_matrix(
    page, db, region, persona, query, columns
):
    open_dashboard(page, region, persona, SCREEN, query)

    assert page_overflow(page) == 0
    matrix = page.locator("#matrix")
    headers = matrix.locator("thead th").all_inner_texts()
    assert headers == ["Member state", *columns]
    rows = [name.split(" (")[0] for name in matrix.locator("tbody th").all_inner_texts()]
    assert rows == [*ASEAN, "All reporting states"]  # (an accepted report's round after it)
    box = matrix.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= SCREEN["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"], box
    region_box = page.get_by_role("region", name="Matrix of average progress").bounding_box()
    assert region_box["width"] >= box["width"]  # nothing of it hidden sideways
    # The headline figures are on the first screen too, and so is the legend of names.
    figures = page.locator(".figures").first.bounding_box()
    assert figures["y"] + figures["height"] <= box["y"]
    expect(page.locator(".area-legend dt").first).to_have_text("FA1")
    assert page.locator(".area-legend dd").count() == 7
    # One number per cell: the drill-down link.
    cells = matrix.locator("tbody td")
    assert cells.count() == 12 * len(columns)
    assert all(text.strip().endswith("%") for text in cells.all_inner_texts())
    # Every state's cell links (accepted figures: to the report; the region's do not).
    assert matrix.locator("tbody tr:not(.region) td a").count() == 11 * len(columns)


def test_the_whole_dashboard_is_at_most_three_screens_tall_at_1280(page, db, region):
    open_dashboard(page, region, "reviewer", SCREEN)

    height = page.evaluate("() => document.documentElement.scrollHeight")

    assert height <= 3 * SCREEN["height"], height


def test_the_shades_step_in_lightness_and_keep_their_text_readable(page, db, region):
    open_dashboard(page, region, "reviewer", SCREEN)

    checks = page.evaluate(
        "() => {"
        + LUMINANCE_JS
        + """
        const swatches = [0, 1, 2, 3, 4].map(level => getComputedStyle(
          document.querySelector(`.heat-legend .heat-${level}`)).backgroundColor);
        const steps = swatches.slice(1).map((colour, i) => [
          luminance(swatches[i]) > luminance(colour), contrast(swatches[i], colour)]);
        const cells = [...document.querySelectorAll('#matrix td[class^="heat-"] a')].map(a =>
          contrast(getComputedStyle(a).color, getComputedStyle(a.closest('td')).backgroundColor));
        return {steps, lowest: Math.min(...cells), cells: cells.length};
        }"""
    )

    # Darker with every step (so it reads in grayscale), each clearly apart from the next.
    assert all(darker for darker, _ in checks["steps"]), checks
    assert min(ratio for _, ratio in checks["steps"]) >= 1.4, checks
    # The number on every cell has at least 4.5:1 contrast with its shade.
    assert checks["cells"] == 12 * 8
    assert checks["lowest"] >= 4.5, checks


def test_at_360_only_the_matrix_scrolls_sideways_inside_its_region(page, db, region):
    open_dashboard(page, region, "reviewer", PHONE)

    assert page_overflow(page) == 0
    scroller = page.get_by_role("region", name="Matrix of average progress")
    assert scroller.get_attribute("tabindex") == "0"
    inside = scroller.evaluate("el => el.scrollWidth - el.clientWidth")
    assert inside > 0  # the matrix is wider than the phone, and scrolls in its region
    scroller.focus()
    page.keyboard.press("End")
    scroller.evaluate("el => el.scrollBy(1000, 0)")
    assert scroller.evaluate("el => el.scrollLeft") > 0
    assert page.evaluate("() => window.scrollX") == 0
    # No other element is wider than the page.
    wider = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
          .filter(el => !el.closest('.table-scroll'))
          .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
          .map(el => el.tagName + '.' + el.className)"""
    )
    assert wider == []
