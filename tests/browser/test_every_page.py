"""Every page of the URL matrix, as each signed-in role, in a real browser: it fits a 360 px
phone and a 1280 px screen without scrolling sideways, and axe-core finds no serious or
critical accessibility violation (WCAG 2.2 A and AA, with target sizes, and best practices).

One browser, one live server, one set of objects (the URL matrix's), one browser context per
role: each page is loaded once, measured at 1280 px, then at 360 px, where axe runs.
"""

import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import service_missing
from tests.test_url_access import GET_MATRIX, PERSONAS, _build_world

pytestmark = pytest.mark.browser

ROLES = ("focal_point", "coordinator", "reviewer", "secretariat", "observer")
WIDTHS = (1280, 360)
PHONE = 360  # axe runs at this width
# Installed by `make test` (see the Makefile's axe-core target), never served to users.
AXE_CORE = Path(
    os.environ.get(
        "AXE_CORE_PATH",
        settings.BASE_DIR / "var" / "test-tools" / "node_modules" / "axe-core" / "axe.min.js",
    )
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                           resultTypes: ["violations"]});
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ` +
                v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
}"""
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Ids that aria-describedby, aria-labelledby or an error summary's links name but that no
# element has: a screen reader then announces nothing.
BROKEN_REFERENCES = """() => {
  const missing = [];
  for (const el of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
    for (const name of ["aria-describedby", "aria-labelledby"]) {
      for (const id of (el.getAttribute(name) || "").split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) missing.push(`${name}="${id}"`);
      }
    }
  }
  for (const link of document.querySelectorAll(".error-summary a[href^='#']")) {
    if (!document.getElementById(link.hash.slice(1))) missing.push(`summary link ${link.hash}`);
  }
  return missing;
}"""
# One round trip per page and width: the overflow, then at PHONE width the broken references
# and axe-core's findings.
CHECK = f"""async ({{runAxe, tags}}) => {{
  const overflow = {OVERFLOW};
  if (!runAxe) return {{overflow, problems: []}};
  const broken = ({BROKEN_REFERENCES})().map((ref) => `refers to a missing id: ${{ref}}`);
  return {{overflow, problems: broken.concat(await ({RUN_AXE})(tags))}};
}}"""
# Pages the matrix's URLs show only with more rows or after a refused form.
EXTRA_PAGES = {"reviewer": ["/reports/statuses/?per_page=1", "/reports/history/?per_page=1"]}


def is_page(row):
    """A page a person reads: not a download, and not Django's own admin site."""
    name = row.name
    downloads = ("csv", "_xlsx", "_pdf", "_download")
    return not (name.startswith("admin:") or any(part in name for part in downloads))


def pages_for(role, objects):
    urls = [row.url(objects) for row in GET_MATRIX if is_page(row) and row.expected[role] == 200]
    return urls + EXTRA_PAGES.get(role, [])


@pytest.fixture
def axe_core():
    if not AXE_CORE.is_file():
        service_missing(f"axe-core not installed at {AXE_CORE} (make test installs it with npm)")
    return AXE_CORE


@pytest.fixture
def world(settings, tmp_path, plan_2021, plan_2026, request):
    """The URL matrix's objects, committed so that the live server sees them."""
    settings.MEDIA_ROOT = tmp_path / "media"
    people = {name: request.getfixturevalue(name) for name in PERSONAS}
    return _build_world(plan_2021, plan_2026, **people)


def checked(page, axe_core):
    """The page's broken id references and axe-core's serious and critical violations."""
    broken = [f"refers to a missing id: {ref}" for ref in page.evaluate(BROKEN_REFERENCES)]
    if not page.evaluate("typeof axe !== 'undefined'"):  # not loaded by signed_in_context
        page.add_script_tag(path=str(axe_core))
    return broken + page.evaluate(RUN_AXE, AXE_TAGS)


def signed_in_context(browser, live_server, user, axe_core=None):
    """A browser context with `user`'s session; CSP bypassed only so axe can be injected.

    With `axe_core`, every document of the context loads it as it is created: the browser
    compiles it once for the whole visit instead of once per page.
    """
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(bypass_csp=True)
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    if axe_core:
        context.add_init_script(path=str(axe_core))
    return context


# One test per role, so that the test workers share the visits.
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone_and_has_no_serious_accessibility_violation(
    role,
    world,
    live_server,
    browser,
    axe_core,
    request,
):
    problems, visits, started = [], 0, time.monotonic()
    context = signed_in_context(browser, live_server, request.getfixturevalue(role), axe_core)
    page = context.new_page()
    widths = list(WIDTHS)
    page.set_viewport_size({"width": widths[0], "height": 900})
    for url in pages_for(role, world):
        response = page.goto(live_server.url + url)
        visits += 1
        where = f"{role} {url}"
        if response.status != 200:
            problems.append(f"{where}: answered {response.status}")
            continue
        # The page loads at the width the last one ended at, so each costs one resize.
        for index, width in enumerate(widths):
            if index:
                page.set_viewport_size({"width": width, "height": 900})
            found = page.evaluate(CHECK, {"runAxe": width == PHONE, "tags": AXE_TAGS})
            if found["overflow"] > 0:
                problems.append(
                    f"{where} at {width} px: {found['overflow']} px wider than the screen"
                )
            problems += [f"{where}: {p}" for p in found["problems"]]
        widths.reverse()
    context.close()
    print(f"\n{role}: {visits} page visits in {time.monotonic() - started:.0f} s")

    assert not problems, "\n".join(problems)


def test_field_errors_are_announced_and_the_summary_links_to_each_field(
    world,
    live_server,
    browser,
    axe_core,
    focal_point,
):
    context = signed_in_context(browser, live_server, focal_point)
    page = context.new_page()
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live_server.url + reverse("national:status_edit", args=[world["item"]]))

    page.get_by_label("Completed").check()
    progress = page.get_by_role("spinbutton", name="Progress (%)")
    progress.fill("150")
    page.get_by_label("Narrative").fill("")
    page.get_by_role("button", name="Save").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("nothing was saved")
    expect(progress).to_have_attribute("aria-invalid", "true")
    # The field's accessible description is its error, read out when it gets focus.
    error_id = progress.get_attribute("aria-describedby").split()[-1]
    expect(page.locator(f"#{error_id}")).to_contain_text("Progress cannot be above 100.")
    summary.get_by_role("link", name="Progress (%)").click()
    expect(progress).to_be_focused()
    summary.get_by_role("link", name="Narrative").click()
    expect(page.get_by_label("Narrative")).to_be_focused()
    assert checked(page, axe_core) == []
    assert page.evaluate(OVERFLOW) <= 0
    context.close()
