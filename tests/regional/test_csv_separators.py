"""Every CSV download, opened with `,`, `;` or tab as the separator, starts no cell with a formula.

Excel splits a CSV file on the list separator of the user's locale: `,` in most, `;` in
Indonesian, Vietnamese and many others (security.md, issue 12). Each download below is read
the three ways, as Python's csv module reads it (quotes honoured where they start a cell).
"""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from actions import services
from actions.models import ActionItem, Evidence, FocusArea, NationalStatus
from core.csv import FORMULA_STARTS
from summaries.models import ProgressSummary
from summaries.summaries import make_progress_summaries
from tests import small_plan
from tests.factories import logged_in
from tests.summaries.summary_helpers import open_small_plan
from tests.test_url_access import url_patterns

# Every separator, and a formula after each; a formula at the start too.
HOSTILE = '=HYPERLINK("https://evil.example","x");=1+2;,@SUM(1)\t-2+3\n+1\r\n-1 ; =1\r=1 end'
ROUND_NAME = "=SUM(1);@A1,-2"


@pytest.fixture
def hostile(plan_2021, cambodia, malaysia, timor_leste, coordinator, reviewer):
    """A plan whose every text a download can hold is HOSTILE: titles, statuses, history,
    evidence, people's names, a round and its accepted report, and the summaries."""
    built = open_small_plan(plan_2021)
    User.objects.filter(pk__in=[coordinator.pk, reviewer.pk]).update(name=HOSTILE)
    coordinator.refresh_from_db()
    FocusArea.objects.filter(plan=plan_2021).update(title=HOSTILE)
    ActionItem.objects.filter(plan=plan_2021).update(title=HOSTILE)
    NationalStatus.objects.update(
        narrative=HOSTILE, challenges=HOSTILE, next_steps=HOSTILE, responsible_agency=HOSTILE
    )
    status = NationalStatus.objects.get(pk=built.statuses["KH", "2.2"].pk)
    services.national_status_update(
        user=coordinator,
        member_state=cambodia,
        action_item=built.items["2.2"],
        expected_version=status.version,
        status=NationalStatus.Status.IN_PROGRESS,
        progress=20,
        narrative="-" + HOSTILE,
        challenges="",
        next_steps="@" + HOSTILE,
        responsible_agency="+agency;=1",
    )
    Evidence.objects.create(
        national_status=status,
        kind=Evidence.Kind.LINK,
        title=HOSTILE,
        url="https://example.org/?q=;=1",
        added_at=timezone.now(),
        added_by=coordinator,
        review=Evidence.Review.NEEDS_MORE,
        review_comment=HOSTILE,
        reviewed_by=reviewer,
        reviewed_at=timezone.now(),
    )
    reporting_round = small_plan.make_round(plan_2021, ROUND_NAME)
    small_plan.accept_report(reporting_round, coordinator=coordinator, reviewer=reviewer)
    make_progress_summaries()
    built.round = reporting_round
    return built


PLAN = "rpa-2021-2025"
# Every CSV download: URL name -> its URLs (arguments from the fixture) and query parameters.
DOWNLOADS = {
    "reports:statuses_csv": lambda built: [((), {"plan": PLAN})],
    "reports:history_csv": lambda built: [((), {})],
    "reports:evidence_csv": lambda built: [((), {})],
    "reports:plan_matrix_csv": lambda built: [((PLAN,), {})],
    "reports:round_report_csv": lambda built: [((built.round.pk, "KH"), {})],
    "reports:update_file_csv": lambda built: [((), {})],
    "summaries:csv": lambda built: [
        ((summary.pk,), {})
        for summary in ProgressSummary.objects.filter(plan=built.plan).order_by("pk")
    ],
}


# Downloads only a state's own focal points and coordinators make; the reviewer makes the rest.
AS_COORDINATOR = {"reports:update_file_csv"}


def test_every_csv_download_of_the_app_is_checked_here():
    names = {p.name for p in url_patterns() if p.name and p.name.split(":")[-1].endswith("csv")}

    assert names == set(DOWNLOADS)


def is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def cells(text, separator, **options):
    return [
        value
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator, **options)
        for value in row
    ]


@pytest.mark.parametrize("name", sorted(DOWNLOADS))
def test_no_cell_starts_with_a_formula_whatever_the_separator(hostile, reviewer, coordinator, name):
    client = logged_in(coordinator if name in AS_COORDINATOR else reviewer)
    for args, params in DOWNLOADS[name](hostile):
        response = client.get(reverse(name, args=args), params)
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8-sig")

        # As written (","): text is quoted, so every unquoted cell is a number.
        written = cells(text, ",", quoting=csv.QUOTE_NONNUMERIC)
        numbers = [value for value in written if isinstance(value, float)]
        texts = [value for value in written if isinstance(value, str)]
        assert numbers, "numbers are written as numbers"
        assert any("SUM(1)" in value for value in texts), "the hostile text is in the file"
        assert not [value for value in texts if value.startswith(FORMULA_STARTS)]

        # Split on ";" or on tabs, as a spreadsheet of another locale or an import may.
        for separator in (";", "\t"):
            unsafe = [
                value
                for value in cells(text, separator)
                if value.startswith(FORMULA_STARTS) and not is_number(value)
            ]
            assert unsafe == [], (name, repr(separator))
