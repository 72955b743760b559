"""A country report's rows of actions, as `report_rows.report_row` writes them."""

from django.utils.safestring import mark_safe

from reviews.models import SubmissionItem
from reviews.queries import LiveEvidence, SubmittedEvidence, SubmittedRow
from reviews.templatetags.report_rows import report_row


def a_row(**overrides):
    item = SubmissionItem(
        action_item_id=9,
        code="1.2",
        title="Laws & <rules>",
        status="in_progress",
        progress=40,
        status_version=2,
        narrative="First line\nsecond <b>",
        responsible_agency="Ministry & co",
        last_changed_by="Ann",
    )
    item.provenance = "provisional"
    withdrawn = LiveEvidence(5, "Chart", "pending", True, 9, False, 1)
    fields = {
        "item": item,
        "comment_count": 2,
        "evidence": [
            SubmittedEvidence({"id": 5, "title": "Chart", "file": "chart.png"}, withdrawn, "/d/5"),
            SubmittedEvidence({"title": "Gazette", "url": "https://example.org/?a=1&b=2"}, None),
        ],
        "added_items": mark_safe("<li>added</li>"),
        "item_url": "/national/KH/9/",
        "changed_iso": "2026-03-02T10:00:00+07:00",
        "changed_day": "2 Mar 2026",
    }
    return SubmittedRow(**(fields | overrides))


def test_a_row_holds_the_action_its_status_and_evidence_escaped():
    html = report_row(a_row(), observer=False, reviewer=True)

    assert html.startswith('\n          <tr>\n            <th scope="row">1.2</th>')
    assert '<a href="/national/KH/9/">Laws &amp; &lt;rules&gt;</a> <span class="badge' in html
    assert "<dt>Agency</dt><dd>Ministry &amp; co</dd>" in html
    assert "<dd>First line<br>second &lt;b&gt;</dd>" in html
    assert "<td>In progress</td>\n            <td>40 %</td>" in html
    assert '<time datetime="2026-03-02T10:00:00+07:00">2 Mar 2026</time><br><span' in html
    assert '<a href="/d/5">Chart</a> <span class="muted">(chart.png, as submitted)</span>' in html
    assert "Withdrawn since submission" in html
    assert 'href="https://example.org/?a=1&amp;b=2" rel="noopener noreferrer nofollow"' in html
    assert "<li>added</li>" in html
    assert '<a href="#thread-item-9">2 comments<span class="visually-hidden"> on 1.2' in html
    assert html.endswith("</td>\n          </tr>")


def test_a_state_user_gets_no_link_to_withdrawn_files_and_an_observer_no_comments():
    row = a_row(comment_count=1)

    state_users = report_row(row, observer=False, reviewer=False)
    observers = report_row(row, observer=True, reviewer=False)

    assert 'Chart <span class="muted">(chart.png)</span>' in state_users
    assert "1 comment<span" in state_users
    assert "thread-item" not in observers and observers.endswith(
        "</td>\n            \n          </tr>"
    )


def test_a_row_without_facts_or_evidence_shows_dashes():
    item = SubmissionItem(action_item_id=9, code="3.1", title="T", status="not_started")
    html = report_row(SubmittedRow(item=item), observer=False, reviewer=True)

    assert "<details>" not in html
    assert ' <span class="muted">· never updated</span></td>\n            <td>—</td>' in html
    assert html.count("<td>—</td>") == 4  # progress, last change, evidence, comments
