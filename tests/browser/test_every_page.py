"""Every page of the URL matrix, as each signed-in role, in a real browser: it fits a 360 px
phone and a 1280 px screen without scrolling sideways, names only ids it has, and axe-core finds
no serious or critical accessibility violation (WCAG 2.2 A and AA, with target sizes, and best
practices).

Every page is asked of the app with the test client (a tenth of the cost of checking it in the
browser); the browser then checks only the documents that bring something it has not checked
yet. Why that still checks every page's content and every role's chrome:

- A document is two parts: its <main> (the page's content), and its chrome, everything else
  (<head> with the stylesheets, the skip link, the header with the role's name and nav entries
  and the current page's entry marked, the footer). Parts are compared as the app sent them,
  less the CSRF tokens (a new random value in a hidden field of every response) and the title's
  text (axe asks only that there is one: an empty title is kept as it is).
- A page goes to the browser if its main or its chrome was not checked before, those that bring
  both first. So every distinct main and every distinct chrome (each role's, with each of its
  nav entries marked) is checked at 1280 px and at 360 px, for its ids and with axe.
- The parts do not act on each other in what the browser checks. They are blocks one above the
  other in normal flow, no part positioned over another (site.css), and the pages run no script
  (a page with a <script> always goes to the browser). A document is as wide as its widest part.
  axe judges an element by itself, its ancestors (html and body, then header, main or footer:
  the same in every document) and what is painted under it; targets that it wants 24 px apart
  are, across the parts, at least the header's and main's paddings (25.6 px) apart. What does
  tie the parts is ids: each page's ids, and the ids that its attributes and in-page links name,
  are checked here from its HTML, on every page, not only on those the browser checks.

In the browser one page serves the whole test: for each role its session cookie is set and its
first page to check is visited on the live server; every further document is written into that
page as the app rendered it for the test client (Playwright's set_content). A new page or visit
for each made Chromium build a new JavaScript context and compile and warm up axe-core again for
every document, about 45 % of the sweep's CPU. The sweep is two tests, each for some sections of
the site (a section's pages mark the same nav entry, so its mains and chromes stay together), so
that both test workers share it.
"""

import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import resolve, reverse
from playwright.sync_api import expect

from tests.conftest import service_missing
from tests.test_url_access import GET_MATRIX, PERSONAS, _build_world

from .conftest import sign_in

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
# The sweep is two tests, about even in pages to check: the pages of these sections of the site
# (URL namespaces, each marked by its nav entry), and the pages of all the others.
SPLIT = ("actions", "countries", "national", "reports")
CSRF_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*"')
MAIN = re.compile(r"<main\b.*?</main>", re.S)
TITLE_TEXT = re.compile(r"(<title>)\s*\S.*?(</title>)", re.S)
# Attributes whose value names ids of the same document.
ID_REFERENCES = (
    "for",
    "form",
    "list",
    "headers",
    "aria-activedescendant",
    "aria-controls",
    "aria-describedby",
    "aria-details",
    "aria-errormessage",
    "aria-flowto",
    "aria-labelledby",
    "aria-owns",
)


def is_page(row):
    """A page a person reads: not a download, and not Django's own admin site."""
    name = row.name
    downloads = ("csv", "_xlsx", "_pdf", "_download")
    return not (name.startswith("admin:") or any(part in name for part in downloads))


def pages_for(role, objects):
    urls = [row.url(objects) for row in GET_MATRIX if is_page(row) and row.expected[role] == 200]
    return urls + EXTRA_PAGES.get(role, [])


def section(url):
    return resolve(urlsplit(url).path).namespace


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


def signed_in_client(user):
    client = Client()
    client.force_login(user)
    return client


def signed_in_context(browser, live_server, client, axe_core=None):
    """A browser context with the session of `client`; CSP bypassed only so axe can be injected.

    With `axe_core`, every document of the context loads it as it is created.
    """
    context = browser.new_context(bypass_csp=True)
    sign_in(context, live_server, client)
    if axe_core:
        context.add_init_script(path=str(axe_core))
    return context


class _Ids(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.given, self.named = Counter(), []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.given[attrs["id"]] += 1
        for name in ID_REFERENCES:
            for id in (attrs.get(name) or "").split():
                self.named.append((f'{name}="{attrs[name]}"', id))
        href = attrs.get("href") or ""
        if tag == "a" and href.startswith("#") and len(href) > 1:
            self.named.append((f'link to "{href}"', href[1:]))


def id_problems(html):
    """Ids given twice, and ids that an attribute or an in-page link names but no element has."""
    ids = _Ids(html)
    twice = [f'id "{id}" given {count} times' for id, count in ids.given.items() if count > 1]
    return twice + [f"{where} names a missing id" for where, id in ids.named if id not in ids.given]


@dataclass(frozen=True)
class Document:
    """A page as the app sent it to a role, with the two parts the sweep compares."""

    role: str
    url: str
    html: str
    main: str
    chrome: str
    scripted: bool

    @classmethod
    def of(cls, role, url, html):
        plain = CSRF_TOKEN.sub(r'\1"', html)
        main = MAIN.search(plain)
        chrome = TITLE_TEXT.sub(r"\1…\2", plain[: main.start()] + plain[main.end() :])
        return cls(role, url, html, main.group(), chrome, "<script" in html)


def fetched(client, role, urls):
    """Each page as the app renders it for `role`, and what its HTML shows wrong."""
    documents, problems = [], []
    for url in urls:
        response = client.get(url)
        html, where = response.content.decode(), f"{role} {url}"
        mains = len(re.findall(r"<main\b", html))
        if response.status_code != 200 or mains != 1:
            problems.append(f"{where}: answered {response.status_code} with {mains} <main>")
            continue
        problems += [f"{where}: {problem}" for problem in id_problems(html)]
        documents.append(Document.of(role, url, html))
    return documents, problems


def to_check(documents):
    """The documents that bring a main or a chrome not yet checked, those that bring both first
    (fewer visits), and every document that runs a script."""
    chosen = [document for document in documents if document.scripted]
    mains, chromes = {d.main for d in chosen}, {d.chrome for d in chosen}
    for fewest_new in (2, 1):
        for document in documents:
            if (document.main not in mains) + (document.chrome not in chromes) >= fewest_new:
                chosen.append(document)
                mains.add(document.main)
                chromes.add(document.chrome)
    return chosen


def browser_problems(page, live_server, documents):
    """Sideways scrolling at both widths, missing ids and axe's findings at 360 px.

    The first document is visited on the live server; the others are written into that page.
    """
    problems, widths = [], list(WIDTHS)
    page.set_viewport_size({"width": widths[0], "height": 900})
    for index, document in enumerate(documents):
        where = f"{document.role} {document.url}"
        if index:
            page.set_content(document.html)
        else:
            status = page.goto(live_server.url + document.url).status
            if status != 200 or page.url != live_server.url + document.url:
                # A session the browser was not given shows the sign-in page instead.
                problems.append(f"{where}: answered {status} at {page.url} to the browser")
                continue
        # The page loads at the width the last one ended at, so each costs one resize.
        for step, width in enumerate(widths):
            if step:
                page.set_viewport_size({"width": width, "height": 900})
            found = page.evaluate(CHECK, {"runAxe": width == PHONE, "tags": AXE_TAGS})
            if found["overflow"] > 0:
                problems.append(
                    f"{where} at {width} px: {found['overflow']} px wider than the screen"
                )
            problems += [f"{where}: {problem}" for problem in found["problems"]]
        widths.reverse()
    return problems


@pytest.mark.parametrize("in_split", [True, False], ids=["-".join(SPLIT), "other-sections"])
def test_every_page_fits_a_phone_and_has_no_serious_accessibility_violation(
    in_split,
    world,
    live_server,
    browser,
    axe_core,
    request,
):
    started = time.monotonic()
    clients = {role: signed_in_client(request.getfixturevalue(role)) for role in ROLES}
    documents, problems = [], []
    for role, client in clients.items():
        urls = [url for url in pages_for(role, world) if (section(url) in SPLIT) == in_split]
        found, wrong = fetched(client, role, urls)
        documents += found
        problems += wrong
    chosen = to_check(documents)
    # One page for the whole sweep: a new context would start a new renderer, where axe-core
    # is compiled and warmed up again.
    context = browser.new_context(bypass_csp=True)
    context.add_init_script(path=str(axe_core))
    page = context.new_page()
    for role, client in clients.items():
        if own := [document for document in chosen if document.role == role]:
            sign_in(context, live_server, client)
            problems += browser_problems(page, live_server, own)
    context.close()
    print(
        f"\n{len(documents)} pages, {len(chosen)} of them checked in the browser "
        f"({len({d.main for d in documents})} distinct mains, "
        f"{len({d.chrome for d in documents})} chromes) in {time.monotonic() - started:.0f} s"
    )

    assert not problems, "\n".join(problems)


def test_field_errors_are_announced_and_the_summary_links_to_each_field(
    world,
    live_server,
    browser,
    axe_core,
    focal_point,
):
    context = signed_in_context(browser, live_server, signed_in_client(focal_point))
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
