"""Tables of national statuses, their history and their evidence, built from a request.

Sorting only follows the columns below (django-tables2 ignores any other `sort` key), each
with tie-breakers so pages are stable. A table's page (`regional.views`) and its downloads
(`downloads.views`) build it the same way (`status_table`, `history_table`,
`evidence_table`), so a download holds exactly the rows of the table it downloads.
"""

import django_tables2 as tables
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.template.defaultfilters import truncatechars
from django.utils import formats, timezone
from django.utils.html import format_html

from accounts.policy import scope_national, visible_states
from actions import queries
from actions.models import Evidence, NationalStatus, Plan, StatusHistory
from actions.provenance import provisional_badge
from core.links import url_maker
from core.tables import KnownCountPaginator, PagedTable

from .filters import EvidenceFilter, HistoryFilter, StatusFilter
from .status_grid import StatusGrid, grid_order

SHORT_TEXT = 140
HISTORY_COUNT_CAP = 10_000


def _when(value):
    return formats.date_format(timezone.localtime(value), "j M Y, H:i")


class ReportTable(PagedTable):
    """The report tables: paged; their rows link to a state's page of an action."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._url_makers = {}

    def state_item_url(self, state_code, item_id, name="national:state_status_detail"):
        """`reverse(name, args=[state_code, item_id])`, reversed once per state."""
        urls = self._url_makers.get((name, state_code))
        if urls is None:
            urls = self._url_makers[name, state_code] = url_maker(name, state_code)
        return urls(item_id)

    def ordered_rows(self):
        """The table's rows in its current order, unpaginated (for the downloads)."""
        return self.data.data


def _status_label(value):
    return NationalStatus.display_value("status", value)


class StatusTable(ReportTable):
    """Every (member state, action item) of a plan, from `queries.status_pairs`."""

    state = tables.Column(
        "State", accessor="state_name", order_by=("state_name", "focus_area_number", "position")
    )
    code = tables.Column("No.", order_by=("focus_area_number", "position", "code", "state_name"))
    title = tables.Column("Action", order_by=("title", "state_name"))
    focus_area = tables.Column(
        "Focus area",
        accessor="focus_area_number",
        order_by=("focus_area_number", "state_name", "position"),
    )
    status = tables.Column("Status", order_by=("status", "state_name", "position"))
    progress = tables.Column(
        "Progress",
        default="—",
        order_by=("progress", "state_name", "position"),
        attrs={"td": {"class": "num"}},
    )
    narrative = tables.Column("Narrative", orderable=False, default="")
    updated_at = tables.Column(
        "Last change", default="never", order_by=("updated_at", "state_name", "position")
    )
    updated_by = tables.Column("By", accessor="updated_by_name", default="—", orderable=False)

    class Meta(PagedTable.Meta):
        order_by = ("state", "code")
        empty_text = "No statuses match these filters."

    def __init__(self, data, *, grid: StatusGrid | None = None, **kwargs):
        """`grid`: the table's items and states, when no filter reads a status column."""
        super().__init__(data, **kwargs)
        self.grid = grid
        self.grid_order = None

    def paginate(self, paginator_class=Paginator, *args, **kwargs):
        """Page through the rows; in a grid order (status_grid), counted as items × states."""
        if self.grid is not None and paginator_class is Paginator:
            self.grid_order = grid_order(self.data.data.query.order_by)
        if self.grid_order is not None:
            paginator_class = KnownCountPaginator
            kwargs["count"] = self.grid.count
        return super().paginate(paginator_class, *args, **kwargs)

    def page_records(self):
        """The page's pairs in two steps: which (item, state) pairs in the table's order, then
        those pairs with their statuses. In a grid order the first step reads only the items
        at the page's positions; otherwise it pages the pairs, and unless the order or a
        filter is on a status column PostgreSQL finds them without joining any status (it
        drops the unused join), rather than joining every status of the plan to keep 25."""
        page = self.paginated_rows.data
        if not isinstance(page, QuerySet):
            return page
        if self.grid_order is not None:
            keys = self._grid_page_keys()
        else:
            keys = list(page.values_list("pk", "state_id"))
        if not keys:
            return []
        items, states = {item for item, _ in keys}, {state for _, state in keys}
        found = self.data.data.filter(pk__in=items, state_id__in=states).order_by()
        by_key = {(row.pk, row.state_id): row for row in found}
        return [by_key[key] for key in keys]

    def _grid_page_keys(self):
        if self.paginator.count == 0:
            return []
        offset = self.page.start_index() - 1
        return self.grid.page_keys(self.grid_order, offset, self.page.end_index() - offset)

    def render_code(self, record, value):
        url = self.state_item_url(record.state_code, record.pk)
        return format_html('<a href="{}">{}</a>', url, value)

    def render_title(self, record, value):
        url = self.state_item_url(record.state_code, record.pk)
        return format_html('<a href="{}">{}</a> {}', url, value, provisional_badge(record))

    def render_status(self, record, value):
        label = _status_label(value)
        if record.updated_at is None:
            return format_html('{} <span class="muted">· never updated</span>', label)
        return label

    def render_progress(self, value):
        return f"{value} %"

    def render_narrative(self, value):
        return truncatechars(value, SHORT_TEXT)

    def render_updated_at(self, value):
        return _when(value)

    def render_updated_by(self, record):
        return record.updated_by_name or record.updated_by_email or "—"


def _name(user):
    return user and (user.name or user.email)


def _state_and_item_columns(*then):
    """The state and item number columns of rows hanging off a national status, each sorted
    with the tie-breakers `then`."""
    state = tables.Column(
        "State",
        accessor="national_status__member_state__name",
        order_by=("national_status__member_state__name", *then),
    )
    code = tables.Column(
        "No.",
        accessor="national_status__action_item__code",
        order_by=("national_status__action_item__position", *then),
    )
    return state, code


def _changes_summary(record):
    return "; ".join(f"{label}: {old} → {new}" for label, old, new in record.field_changes)


class HistoryTable(ReportTable):
    """Status history rows (newest first), with their state, item and author.

    History only grows (a decade of reporting is over half a million rows): the pager counts
    up to HISTORY_COUNT_CAP rows, and beyond says "more than" that many until the last pages
    are asked for (core.tables.CappedCountPaginator).
    """

    count_cap = HISTORY_COUNT_CAP

    state, code = _state_and_item_columns("-changed_at", "-pk")
    title = tables.Column("Action", accessor="national_status__action_item__title", orderable=False)
    version = tables.Column(
        "Version", attrs={"td": {"class": "num"}}, order_by=("version", "-changed_at", "-pk")
    )
    changed_at = tables.Column("When", order_by=("changed_at", "pk"))
    changed_by = tables.Column("By", accessor="changed_by__name", default="—", orderable=False)
    changes = tables.Column("Changes", empty_values=(), orderable=False)

    class Meta(PagedTable.Meta):
        order_by = ("-changed_at",)
        empty_text = "No changes match these filters."

    def _url(self, record):
        status = record.national_status
        code, item_id = status.member_state.code, status.action_item_id
        return self.state_item_url(code, item_id, "national:state_status_history")

    def render_code(self, record, value):
        return format_html('<a href="{}">{}</a>', self._url(record), value)

    def render_title(self, record, value):
        return format_html("{} {}", value, provisional_badge(record.national_status.action_item))

    def render_changed_at(self, value):
        return _when(value)

    def render_changed_by(self, record):
        return _name(record.changed_by) or "—"

    def render_changes(self, record):
        return truncatechars(_changes_summary(record), SHORT_TEXT * 2) or "—"


class EvidenceTable(ReportTable):
    """Evidence links and files, with their state, item and review."""

    state, code = _state_and_item_columns("added_at", "pk")
    title = tables.Column("Evidence", order_by=("title", "pk"))
    kind = tables.Column("Kind", order_by=("kind", "added_at", "pk"))
    review = tables.Column("Review", order_by=("review", "added_at", "pk"))
    added_at = tables.Column("Added", order_by=("added_at", "pk"))
    withdrawn_at = tables.Column("Withdrawn", default="—", order_by=("withdrawn_at", "pk"))

    class Meta(PagedTable.Meta):
        order_by = ("-added_at",)
        empty_text = "No evidence matches these filters."

    def render_code(self, record, value):
        status = record.national_status
        url = self.state_item_url(status.member_state.code, status.action_item_id)
        badge = provisional_badge(status.action_item)
        return format_html('<a href="{}">{}</a> {}', url, value, badge)

    def render_added_at(self, value):
        return _when(value)

    def render_withdrawn_at(self, value):
        return _when(value)


# --- The tables as a request asks for them ------------------------------------------------

# The path from a history or evidence row to its member state, for `scope_national`.
STATUS_STATE = "national_status__member_state"


def plan_from(plans, code):
    """The plan named `code` among `plans`, else the current one, else the newest."""
    by_code = {plan.code: plan for plan in plans}
    if code in by_code:
        return by_code[code]
    current = next((p for p in plans if p.status == Plan.Status.IN_FORCE), None)
    drafts = [p for p in plans if p.status == Plan.Status.DRAFT]
    return current or (drafts[-1] if drafts else None) or (plans[-1] if plans else None)


def status_table(request):
    """The status table of the plan in the URL (default: the current plan), filtered; with
    its filters and plan (all None when there is no plan)."""
    plans = list(Plan.objects.order_by("start_year"))
    data = request.GET.copy()
    plan = plan_from(plans, data.get("plan"))
    if plan is None:
        return None, None, None
    data["plan"] = plan.code
    states = list(visible_states(request.user).reporting_in(plan).order_by("name"))
    focus_areas = list(plan.focus_areas.order_by("number"))
    filterset = StatusFilter(data, plans=plans, states=states, focus_areas=focus_areas)
    chosen = filterset.chosen("state")
    if chosen:
        states = [state for state in states if state.code == chosen]
    pairs = queries.status_pairs(plan, states, refine=filterset.filter_queryset)
    grid = None
    if filterset.reads_items_only():
        grid = StatusGrid(filterset.filter_queryset(plan.action_items.all()), states)
    table = StatusTable(pairs, caption=f"National statuses, {plan.short_title}", grid=grid)
    return table, filterset, plan


def _status_rows_table(request, rows, filter_class, table_class, caption):
    """A table of the history or evidence `rows` the user may see, filtered from the URL."""
    filterset = filter_class(
        request.GET,
        queryset=scope_national(rows, request.user, STATUS_STATE),
        plans=Plan.objects.order_by("start_year"),
        states=visible_states(request.user).order_by("name"),
    )
    return table_class(filterset.qs, caption=caption), filterset


def history_table(request):
    rows = StatusHistory.objects.select_related(
        "national_status__member_state",
        "national_status__action_item__plan",
        "changed_by",
    )
    return _status_rows_table(request, rows, HistoryFilter, HistoryTable, "Status history")


def evidence_table(request):
    rows = Evidence.objects.select_related(
        "national_status__member_state",
        "national_status__action_item__plan",
        "added_by",
        "reviewed_by",
    )
    return _status_rows_table(request, rows, EvidenceFilter, EvidenceTable, "Evidence")
