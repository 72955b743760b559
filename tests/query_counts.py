"""Query counts of pages: they do not grow with the data, and stay under one ceiling per page.

A page test builds a small world, counts the page's queries, grows the data (more states,
items, history, rows…), counts again: the two counts must be equal, and at most the page's
ceiling below. The ceilings are kept here, once, so a refactor that adds a query to a page
changes one number.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

# The most queries each page may take, whatever the data; named by URL name. Each signed-in count
# starts with the session and the user (2; the session is not written: the idle timeout records
# the last activity at most once a minute, see rpa_tracker.middleware); a page with the site's
# header adds the user's unread notifications (1). Where a page has variants (roles, an open
# round), its ceiling is the largest variant's count.
CEILINGS = {
    # The plans; the plan's rounds (the figures choice); the states, focus areas and grouped
    # statuses (figures), or with accepted reports the accepted submissions and their grouped
    # snapshots; the states the user may see; the monthly activity; the open round's compliance
    # (two; the open round is one of the plan's rounds already read); the accepted submissions
    # (change since the previous round); the submissions the user may see. Reviewer 11,
    # observer 13, reviewer with an open round 15.
    "reports:plan_dashboard": 15,
    # The plans; the states the user may see.
    "reports:index": 5,
    # The state; the plans; the figures (states, focus areas, grouped statuses); the round
    # history; the items with their statuses (count, one page); the latest changes.
    "reports:state_profile": 12,
    # The item; its continuity links; the states with their statuses; the regional tally; the
    # linked items' statuses.
    "reports:item_across_states": 8,
    # The plans; the states the user sees; the plan's focus areas; count; the page's pairs;
    # those pairs with their statuses (StatusTable.page_records).
    "reports:statuses": 9,
    # The plans and the visible states (filter choices); count; the page of rows.
    "reports:history": 7,
    "reports:evidence": 7,
    # Downloads (no header). Plans, visible reporting states, focus areas (filter choices), the
    # rows.
    "reports:statuses_csv": 6,
    # Plans and visible states (filter choices), the rows.
    "reports:history_csv": 5,
    "reports:evidence_csv": 5,
    # The plan and its rounds (the dashboard's choice); states, focus areas, grouped statuses;
    # the states the user may see.
    "reports:plan_matrix_csv": 8,
    # The round; the submission the user may see; its rows.
    "reports:round_report_csv": 5,
    # The states and plans (filter choices); the page's count and rows.
    "summaries:list": 7,
    # The summary; its trend; the states' summaries of the period.
    "summaries:detail": 6,
    # A reviewer's work queue: waiting reports; open rounds; pending evidence and its count
    # (reviewer 7). A coordinator's: the header's member state, the current plan, the open
    # round with the report's state, the check (2), the latest return (coordinator 10). The
    # secretariat's: the queue (with an open round past due, its compliance: 2 more); the
    # current plan, its open round, the round's states and reports; the rounds; the pending
    # invitations and their count; the accounts (secretariat 15).
    "reviews:home": 17,
    # The rounds; the user's state.
    "reviews:round_list": 5,
    # The plans open to rounds.
    "reviews:round_create": 4,
    # The current plan, its open round, the states, the round's reports.
    "reviews:compliance": 7,
    # The round with its plan, the member state, the report, the submissions with their
    # submitters, the shown snapshot's count per status and one page of its actions, the live
    # statuses changed since it and the live evidence beside them, the transitions with who
    # made them, the comments with their authors and items; a reviewer's page also lists the
    # page's actions for a new comment. State user 13, reviewer 14.
    "reviews:report_detail": 14,
    # The round with its plan, the member state, the report, the plan's items with the state's
    # statuses, the evidence asked more of.
    "reviews:report_check": 8,
    # The header's member state; the list.
    "reviews:notification_list": 5,
    # The evidence with its status, state, item and last reviewer; the latest submitted row of
    # the action (with its submission and round).
    "reviews:evidence_review": 5,
    # Public pages (signed out: no session or user). The plans with counts; the member states
    # with their first plan.
    "home": 2,
    # The plans with counts, predecessor and successor joined.
    "actions:plan_list": 1,
    # The plan with counts and neighbours, focus areas, items, lead bodies, states.
    "actions:plan_detail": 5,
    # The item with plan, neighbours and focus area, lead and supporting bodies, links from
    # earlier items, links to later items.
    "actions:action_item_detail": 5,
    # The workspace: the member state, the current plan (with its predecessor), the current
    # plan again (may the user edit it?), the number of rows, the attention counts, the focus
    # areas of the filter, one page of rows with their statuses and editors, the number of items
    # with evidence marked "needs more", the open reporting round with the state's report
    # state; filtered, the chosen focus area (validated). Unfiltered 12, filtered 13; a
    # reviewer's state picker (the current plan, the member states) 5.
    "national:workspace": 13,
    # The state named in the URL, then as the workspace, except that a reviewer's right to edit
    # is settled without asking for the current plan.
    "national:state_workspace": 11,
    # The member state, the item with its plan and focus area, the status row with its last
    # editor, the current plan (may the user edit?), the latest history rows with their
    # editors, the evidence, the review comments on the item.
    "national:status_detail": 10,
    # As the status page, without the current plan, the evidence and the review comments.
    "national:status_history": 7,
    # The member state, the item with its plan and focus area, the current plan (may the user
    # edit?), the status row with its last editor.
    "national:status_edit": 7,
    # Public pages. The states with their first plan as subqueries.
    "countries:member_state_list": 1,
    # The state; the plans marked with its reporting.
    "countries:member_state_detail": 2,
    # Signed out, with DEBUG's demo box: the demo accounts with their states (none without it).
    "accounts:login": 1,
    # The user's member state.
    "accounts:profile": 4,
    # The count of invitations, member states for the form's choice, one page of invitations
    # with their states and inviters.
    "accounts:invitation_list": 6,
}


def count_queries(client, url, params=None):
    """The number of queries one GET of `url` takes (after a first GET that warms the session).

    A download's rows are read while its body streams, so the body is read inside the count.
    """
    read(client.get(url, params or {}))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
        read(response)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def read(response):
    if response.streaming:
        b"".join(response.streaming_content)


def assert_flat(client, page, url, grow, params=None):
    """`page`'s queries at `url` are the same before and after `grow()`, and within its ceiling."""
    before = count_queries(client, url, params)
    grow()
    after = count_queries(client, url, params)
    assert after == before, f"{page}: {before} queries, then {after} once the data grew"
    assert after <= CEILINGS[page], f"{page}: {after} queries, over its ceiling {CEILINGS[page]}"
    return after
