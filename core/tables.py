"""The base of every paged table."""

import django_tables2 as tables
from django.core.paginator import EmptyPage, Paginator
from django.db import models
from django.db.models import QuerySet
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.columns.manytomanycolumn import ManyToManyColumn
from django_tables2.rows import BoundRow
from django_tables2.templatetags.django_tables2 import table_page_range
from django_tables2.utils import A, signature

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

# (arguments, name of the ** catch-all) of each render function, by function: a bound method
# is new for every table, its function is not.
_SIGNATURES: dict = {}
_MISSING = object()


def _signature(function):
    key = getattr(function, "__func__", None)
    if key is None:
        return signature(function)
    if key not in _SIGNATURES:
        _SIGNATURES[key] = signature(function)
    return _SIGNATURES[key]


class _Lookup:
    """How a column's value is read from a model instance, worked out once per column: its
    accessor's parts, and by record class whether plain attribute reads give the value
    django-tables2 would (they do not for a field with choices, shown by its label, nor for
    link and many-to-many columns, which have their own rules)."""

    def __init__(self, bound_column):
        self.bits = tuple(A(bound_column.accessor).bits)
        self.special = isinstance(bound_column.column, (BaseLinkColumn, ManyToManyColumn))
        self._plain = {}

    def plain_for(self, record):
        kind = type(record)
        if kind not in self._plain:
            field = A("__".join(self.bits)).get_field(record)
            self._plain[kind] = not self.special and not getattr(field, "choices", ())
        return self._plain[kind]


class _Row(BoundRow):
    """A row rendered as django-tables2's own (`BoundRow`), reading each render method's
    signature once per method rather than once per cell (`utils.call_with_appropriate`), and
    a model instance's value by plain attribute reads rather than django-tables2's lookups
    per cell (a callable, a missing attribute or a field with choices goes the library's way,
    so the value is the same)."""

    def _get_and_render_with(self, bound_column, render_func, default):
        record = self.record
        lookups = self._table._lookups
        lookup = lookups.get(bound_column.name)
        if lookup is None:
            lookup = lookups[bound_column.name] = _Lookup(bound_column)
        if not isinstance(record, models.Model) or not lookup.plain_for(record):
            return super()._get_and_render_with(bound_column, render_func, default)
        value = record
        for bit in lookup.bits:
            value = getattr(value, bit, _MISSING)
            if value is _MISSING or callable(value):
                return super()._get_and_render_with(bound_column, render_func, default)
            if value is None:
                break
        if value in bound_column.column.empty_values:
            return default
        return render_func(bound_column, value)

    def _call_render(self, bound_column, value=None):
        render = bound_column.render
        kwargs = self._optional_cell_arguments(bound_column, value)
        names, catch_all = _signature(render)
        if catch_all:
            content = render(**kwargs)
        elif any(name not in kwargs for name in names):
            content = None
        else:
            content = render(**{name: kwargs[name] for name in names})
        return bound_column.link(content, **kwargs) if bound_column.link else content


class KnownCountPaginator(Paginator):
    """A paginator of a table whose row count is known without counting its queryset:
    `count()` gives it."""

    def __init__(self, object_list, per_page, *args, count, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self._count = count

    @cached_property
    def count(self):
        return self._count()


class CappedCountPaginator(Paginator):
    """A paginator of a table's queryset that counts at most `cap` + 1 rows, so that the first
    pages of a long table do not count all of it. Beyond `cap` rows, `capped` is true and
    `count` is only a lower bound (`cap` + 1) until a page at or past its last page is asked
    for: then every row is counted, and the pages are exact again."""

    def __init__(self, object_list, per_page, *args, cap, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.cap = cap
        self.capped = False

    @cached_property
    def count(self):
        rows = getattr(getattr(self.object_list, "data", None), "data", None)
        if not isinstance(rows, QuerySet):
            return super().count
        counted = rows.order_by()[: self.cap + 1].count()
        self.capped = counted > self.cap
        return counted

    @property
    def cap_shown(self):
        """The cap as a reader reads it: 10,000."""
        return f"{self.cap:,}"

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            if not self.capped or int(number) < 1:
                raise
            self._count_every_row()
            return super().validate_number(number)

    def page(self, number):
        number = self.validate_number(number)
        if self.capped and number >= self.num_pages:
            self._count_every_row()
        return super().page(number)

    def _count_every_row(self):
        self.capped = False
        self.__dict__["count"] = len(self.object_list)
        self.__dict__.pop("num_pages", None)
        self.__dict__.pop("page_range", None)


class PagedTable(tables.Table):
    """A captioned table (templates/includes/table.html) whose page size is capped.

    `count_cap`: a table that may hold very many rows counts at most this many (see
    CappedCountPaginator); its caption then says "more than" that many rows.
    """

    count_cap: int | None = None

    class Meta:
        template_name = "includes/table.html"
        per_page = PAGE_SIZE

    def __init__(self, data, *, caption="", **kwargs):
        super().__init__(data, **kwargs)
        self.caption = caption
        self._lookups = {}  # column name -> _Lookup (body_rows)

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        """Page through the rows; a page size from the URL is kept within 1–MAX_PAGE_SIZE."""
        if per_page is None or per_page < 1:
            per_page = PAGE_SIZE
        per_page = min(per_page, MAX_PAGE_SIZE)
        if self.count_cap is not None and paginator_class is Paginator:
            paginator_class = CappedCountPaginator
            kwargs["cap"] = self.count_cap
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)

    def page_links(self):
        """The page numbers to link to around the current page, "..." for the ones left out;
        while the count is capped, no last page (it is not known yet)."""
        pages = list(table_page_range(self.page, self.paginator))
        if getattr(self.paginator, "capped", False) and pages[-1] == self.paginator.num_pages:
            pages.pop()
            if pages[-1] != "...":
                pages.append("...")
        return pages

    @property
    def has_page_rows(self):
        """Whether the table is paged and its page has rows, known from the count alone (the
        page's rows are fetched once, by `page_records`)."""
        return hasattr(self, "page") and self.paginator.count > 0

    def page_records(self):
        """The records of the current page, in order (`body_rows` renders them)."""
        return self.paginated_rows.data

    def body_rows(self) -> SafeString:
        """The `<tr>` of each row of the current page (empty without rows): the first cell a
        row header, the others `<td>` with their column's class, each cell rendered and
        escaped as `{{ cell }}` would be. Made here, not by a template loop per cell."""
        columns = list(self.columns)
        cells = []
        for index, column in enumerate(columns):
            if index == 0:
                cells.append((column, mark_safe('<th scope="row">'), "</th>"))
                continue
            css = column.attrs["td"].get("class")
            cells.append((column, format_html('<td class="{}">', css) if css else "<td>", "</td>"))
        context = Context()
        html = []
        for record in self.page_records():
            row = _Row(record, table=self)
            html.append("<tr>")
            for column, start, end in cells:
                cell = row._get_and_render_with(
                    column, render_func=row._call_render, default=column.default
                )
                html += (start, render_value_in_context(cell, context), end)
            html.append("</tr>\n")
        return mark_safe("".join(html))  # every part is escaped above
