"""Every public page shares one accessible, self-contained layout under a strict CSP."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse

from actions.models import ContinuityLink, Provenance
from tests import factories


class PageFacts(HTMLParser):
    """Collects the layout facts these tests check from one HTML page."""

    def __init__(self):
        super().__init__()
        self.h1_count = 0
        self.html_lang = None
        self.viewport = False
        self.skip_link = False
        self.main_ids = []
        self.labelled_navs = 0
        self.inline_scripts = 0
        self.styled_tags = []
        self.urls = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        elif tag == "h1":
            self.h1_count += 1
        elif tag == "meta" and attrs.get("name") == "viewport":
            self.viewport = "width=device-width" in (attrs.get("content") or "")
        elif tag == "a" and attrs.get("href") == "#main" and not self.main_ids:
            self.skip_link = True
        elif tag == "main":
            self.main_ids.append(attrs.get("id"))
        elif tag == "nav" and attrs.get("aria-label"):
            self.labelled_navs += 1
        elif tag == "script":
            self._in_script = True
        if "style" in attrs:
            self.styled_tags.append(tag)
        for name in ("href", "src", "action", "srcset", "poster", "data"):
            if attrs.get(name):
                self.urls.append(attrs[name])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1


def facts_of(response):
    parser = PageFacts()
    parser.feed(response.content.decode())
    parser.close()
    return parser


@pytest.fixture
def reference_data(db, plan_2021, plan_2026, cambodia, timor_leste):
    """Data that exercises every block of the public pages."""
    old_area = factories.make_focus_area(plan_2021, 1, provenance=Provenance.CONFIRMED)
    new_area = factories.make_focus_area(plan_2026, 1, provenance=Provenance.PROVISIONAL)
    old_item = factories.make_item(old_area, "1.1", description="Line one.\nLine two.")
    new_item = factories.make_item(new_area, "1.1", provenance=Provenance.CONFIRMED)
    old_item.lead_bodies.add(factories.make_body("ACWC"))
    ContinuityLink.objects.create(
        from_item=old_item, to_item=new_item, kind="continued", provenance="provisional"
    )


PAGES = [
    ("/", 200),
    ("/plans/", 200),
    ("/plans/rpa-2021-2025/", 200),
    ("/plans/rpa-2026-2030/", 200),  # a draft plan
    ("/plans/rpa-2021-2025/actions/1.1/", 200),
    ("/plans/rpa-2026-2030/actions/1.1/", 200),
    ("/member-states/", 200),
    ("/member-states/TL/", 200),
    ("/no-such-page/", 404),
    ("/plans/rpa-2021-2025/actions/9.9/", 404),
]


def assert_layout(response):
    facts = facts_of(response)
    assert facts.h1_count == 1
    assert facts.html_lang == "en"
    assert facts.viewport
    assert facts.skip_link, "a link to #main before the main landmark"
    assert facts.main_ids == ["main"]
    assert facts.labelled_navs >= 1
    assert facts.inline_scripts == 0
    assert facts.styled_tags == []
    for url in facts.urls:
        parts = urlsplit(url)
        assert parts.scheme in ("", "http", "https"), url
        assert parts.netloc in ("", "testserver"), url
    policy = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy
    assert "'unsafe-inline'" not in policy


@pytest.mark.parametrize(("path", "status"), PAGES)
def test_page_has_the_shared_accessible_layout(client, reference_data, path, status):
    response = client.get(path)

    assert response.status_code == status
    assert_layout(response)


def test_server_error_page_has_the_layout_without_needing_context(
    client, monkeypatch, reference_data
):
    def fail(*args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr("rpa_tracker.views.render", fail)
    client.raise_request_exception = False

    response = client.get("/")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert_layout(response)


def test_layout_check_catches_what_it_forbids():
    """The parser behind these tests does see each thing the layout forbids."""
    bad = HttpResponse(
        '<html><head></head><body><h1>a</h1><h1>b</h1><p style="color:red">x</p>'
        '<script>alert(1)</script><img src="https://cdn.example.com/x.png"></body></html>'
    )
    facts = facts_of(bad)

    assert facts.h1_count == 2
    assert facts.html_lang is None
    assert not facts.viewport
    assert not facts.skip_link
    assert facts.main_ids == []
    assert facts.inline_scripts == 1
    assert facts.styled_tags == ["p"]
    assert "https://cdn.example.com/x.png" in facts.urls
    with pytest.raises(AssertionError):
        assert_layout(bad)
