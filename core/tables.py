"""The base of every paged table."""

import django_tables2 as tables
from django.core.paginator import Paginator

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


class PagedTable(tables.Table):
    """A captioned table (templates/includes/table.html) whose page size is capped."""

    class Meta:
        template_name = "includes/table.html"
        per_page = PAGE_SIZE

    def __init__(self, data, *, caption="", **kwargs):
        super().__init__(data, **kwargs)
        self.caption = caption

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        """Page through the rows; a page size from the URL is kept within 1–MAX_PAGE_SIZE."""
        if per_page is None or per_page < 1:
            per_page = PAGE_SIZE
        per_page = min(per_page, MAX_PAGE_SIZE)
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)
