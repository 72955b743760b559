"""SQL the ORM has no word for, kept to the ORM's own building blocks."""

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.db.models.expressions import Col
from django.db.models.sql.constants import INNER

_QuerySet = TypeVar("_QuerySet", bound=QuerySet)


class CrossJoin:
    """`CROSS JOIN table alias` in a query's FROM: every row with every row of `table_name`.

    An entry of `Query.alias_map` (see django.db.models.sql.datastructures.Join), placed where
    it was added, so joins added after it may name its columns in their ON clause.
    """

    join_type = INNER  # an inner join is never promoted or demoted: the product stays
    nullable = False
    filtered_relation = None
    join_field = None

    def __init__(self, table_name, parent_alias, table_alias=None):
        self.table_name = table_name
        self.parent_alias = parent_alias
        self.table_alias = table_alias

    def as_sql(self, compiler, connection):
        alias = "" if self.table_alias == self.table_name else f" {self.table_alias}"
        return f"CROSS JOIN {compiler.quote_name_unless_alias(self.table_name)}{alias}", []

    def relabeled_clone(self, change_map):
        return type(self)(
            self.table_name,
            change_map.get(self.parent_alias, self.parent_alias),
            change_map.get(self.table_alias, self.table_alias),
        )

    def demote(self):
        return self

    def promote(self):
        return self

    @property
    def identity(self):
        return (type(self), self.table_name, self.parent_alias, self.table_alias)

    def __eq__(self, other):
        return isinstance(other, CrossJoin) and self.identity == other.identity

    def __hash__(self):
        return hash(self.identity)


def cross_join(queryset: _QuerySet, model: type[Model], **fields: str) -> _QuerySet:
    """`queryset` with every row of `model` joined to each of its rows, `fields` annotating
    the names given with `model`'s columns (e.g. `state_id="id"`). Filter on those names to
    keep the rows of `model` wanted; joins and annotations added later may use them."""
    queryset = queryset.all()
    query = queryset.query
    alias = query.join(CrossJoin(model._meta.db_table, query.get_initial_alias()))  # type: ignore[arg-type]
    columns = {name: Col(alias, model._meta.get_field(column)) for name, column in fields.items()}
    return queryset.annotate(**columns)
