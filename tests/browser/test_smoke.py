"""The layout works from the keyboard and on a narrow phone screen."""

import pytest

from tests import factories

PHONE_WIDTH = 360


@pytest.fixture
def home_with_content(live_server, plan_2021, cambodia, malaysia, timor_leste):
    area = factories.make_focus_area(plan_2021, title="National legal frameworks")
    factories.make_item(area, title="Review national laws against online child abuse")
    return live_server.url + "/"


def test_first_tab_reaches_the_skip_link_which_moves_focus_to_main(page, home_with_content):
    page.goto(home_with_content)

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className + '|' + document.activeElement.hash")
    assert focused == "skip-link|#main"
    assert page.locator(".skip-link").is_visible()

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_home_page_has_no_horizontal_scroll_on_a_phone(page, home_with_content):
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})
    page.goto(home_with_content)

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH
