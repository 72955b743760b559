"""The status table's pages as a grid of items × states, found by arithmetic.

When the status table's rows are every filtered item of a plan with every chosen state (no
filter on a status column) and its order names only the state and the items' own columns, the
k-th row is known without reading the pairs before it, for n items and m states:

- state first (the "State" column: state name, then focus area number and position): item
  k % n of state k // n;
- items first, each item told apart before the state (the "No." column: focus area number,
  position, code, then state name): state k % m of item k // m.

So a page reads the items at its few positions (OFFSET/LIMIT on the items alone) rather than
skipping all the pairs before it in the cross join, and the count is n × m. Any other order or
filter reads the pairs (`StatusTable.page_records`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, reduce
from operator import or_

from django.db.models import F, Q, QuerySet

from actions.models import ActionItem
from countries.models import MemberState

STATE_KEY = "state_name"
# The items' own columns a status table order may name, as its rows name them.
ITEM_KEYS = frozenset({"focus_area_number", "position", "code", "title"})
ITEM_ID_KEY = "code"  # unique within a plan


@dataclass(frozen=True)
class GridOrder:
    """How the rows of a grid follow each other."""

    states_first: bool
    states_descending: bool
    item_keys: tuple[str, ...]  # order_by terms that put the items in their order


def grid_order(order_by: Iterable[object]) -> GridOrder | None:
    """The grid order of rows sorted by `order_by` (a queryset's terms), or None when the
    k-th row cannot be told by arithmetic."""
    terms: list[str] = []
    for term in order_by:
        if not isinstance(term, str):
            return None
        if term.removeprefix("-") not in [seen.removeprefix("-") for seen in terms]:
            terms.append(term)  # a key named again orders nothing more
    names = [term.removeprefix("-") for term in terms]
    if STATE_KEY not in names or not set(names) <= ITEM_KEYS | {STATE_KEY}:
        return None
    at = names.index(STATE_KEY)
    descending = terms[at].startswith("-")
    if at == 0:
        # Items with equal keys (two at one position) come in code order.
        tie_break = () if ITEM_ID_KEY in names else (ITEM_ID_KEY,)
        return GridOrder(True, descending, (*terms[1:], *tie_break))
    if ITEM_ID_KEY in names[:at]:
        return GridOrder(False, descending, tuple(terms[:at]))
    return None  # items that tie before the state would interleave with it


@dataclass
class StatusGrid:
    """The filtered items of a plan (a queryset, unordered) with each of `states` (by name)."""

    items: QuerySet[ActionItem]
    states: Sequence[MemberState]

    @cached_property
    def item_count(self) -> int:
        return self.items.count()

    def count(self) -> int:
        """How many rows the grid has (one query)."""
        return self.item_count * len(self.states)

    def page_keys(self, order: GridOrder, offset: int, size: int) -> list[tuple[int, int]]:
        """(item id, state id) of the `size` rows from `offset` in `order` (one query)."""
        n, m = self.item_count, len(self.states)
        states = list(reversed(self.states)) if order.states_descending else list(self.states)
        rows = range(offset, offset + size)
        if order.states_first:
            at = [(row % n, row // n) for row in rows]
        else:
            at = [(row // m, row % m) for row in rows]
        ids = self._item_ids(order.item_keys, sorted({item for item, _ in at}))
        # An item deleted since the count leaves its rows out.
        return [(ids[item], states[state].pk) for item, state in at if item in ids]

    def _item_ids(self, keys: tuple[str, ...], positions: list[int]) -> dict[int, int]:
        """{position: item id} of the items at `positions` (ascending) in the order `keys`."""
        ordered = self.items.annotate(focus_area_number=F("focus_area__number")).order_by(*keys)
        runs = _runs(positions)
        if len(runs) == 1:
            start, stop = runs[0]
            found = ordered.values_list("pk", flat=True)[start:stop]
        else:  # a page across two states: the last items of one, the first of the next
            ids = ordered.values("pk")
            wanted = reduce(or_, [Q(pk__in=ids[start:stop]) for start, stop in runs])
            found = ordered.filter(wanted).values_list("pk", flat=True)
        return dict(zip(positions, found, strict=False))


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """The ascending `positions` as [start, stop) ranges of consecutive positions."""
    runs: list[tuple[int, int]] = []
    for position in positions:
        if runs and runs[-1][1] == position:
            runs[-1] = (runs[-1][0], position + 1)
        else:
            runs.append((position, position + 1))
    return runs
