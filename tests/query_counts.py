"""Query counts of pages: they do not grow with the data, and stay under one ceiling per page.

A page test builds a small world, counts the page's queries, grows the data (more states,
items, history, rows…), counts again: the two counts must be equal, and at most the page's
ceiling below. The ceilings are kept here, once, so a refactor that adds a query to a page
changes one number.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

# The most queries each page may take, whatever the data; named by URL name.
CEILINGS = {
    "reports:plan_dashboard": 22,
    "reports:index": 6,
    "reports:state_profile": 16,
    "reports:item_across_states": 14,
    "reports:statuses": 10,
    "reports:history": 9,
    "reports:evidence": 9,
}


def count_queries(client, url, params=None):
    """The number of queries one GET of `url` takes (after a first GET that warms the session)."""
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def assert_flat(client, page, url, grow, params=None):
    """`page`'s queries at `url` are the same before and after `grow()`, and within its ceiling."""
    before = count_queries(client, url, params)
    grow()
    after = count_queries(client, url, params)
    assert after == before, f"{page}: {before} queries, then {after} once the data grew"
    assert after <= CEILINGS[page], f"{page}: {after} queries, over its ceiling {CEILINGS[page]}"
    return after
