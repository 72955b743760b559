"""The SQL expressions that give the history and evidence downloads their cells on PostgreSQL
(`downloads.rows`): the same values the Python columns give, made by the database."""

from django.db.models import Func, IntegerField, TextField, Value
from django.db.models.functions import Coalesce, NullIf


def user_name(path):
    """A user's name, or their e-mail address when the name is empty (as `_name`), in SQL."""
    name = NullIf(f"{path}__name", Value(""), output_field=TextField())
    return Coalesce(name, f"{path}__email", output_field=TextField())


class JsonKeys(Func):
    """The keys of a JSON object, sorted and joined by spaces (" ".join(sorted(obj))), on
    PostgreSQL (`core.copy.available`).

    An object whose keys are all among `known` (identifiers) is read by testing each of them
    in order, a few times faster than sorting its keys; any other by sorting its keys."""

    output_field = TextField()

    def __init__(self, expression, *, known=()):
        super().__init__(expression)
        self.known = sorted(known)
        assert all(key.isidentifier() for key in self.known), known  # written into the SQL

    def as_postgresql(self, compiler, connection, **extra):
        obj, params = compiler.compile(self.source_expressions[0])
        obj = f"({obj})"
        every = f"array_to_string(ARRAY(SELECT key FROM jsonb_object_keys({obj}) AS key "
        every += "ORDER BY key COLLATE \"C\"), ' ')"
        if not self.known:
            return every, params
        names = ", ".join(f"'{key}'" for key in self.known)
        tests = ", ".join(f"CASE WHEN {obj} ? '{key}' THEN '{key}' END" for key in self.known)
        sql = (
            f"CASE WHEN ({obj} - ARRAY[{names}]::text[]) = '{{}}'::jsonb "
            f"THEN concat_ws(' ', {tests}) ELSE {every} END"
        )
        uses = 2 + len(self.known)  # the object appears this many times in `sql`
        return sql, tuple(params) * uses


def changed_value(field, index):
    """The old (0) or new (1) value of `field` in a history row's changes, in SQL: progress as
    a number, the other fields as text (as the model path writes them)."""
    return ChangedValue("changes", key=field, index=index, number=field == "progress")


class ChangedValue(Func):
    """changes[key][index] as text, or as a number with `number` (NULL when absent).

    PostgreSQL only (`core.copy.available`): -> and ->> read a history row's changes faster
    than the path operator (#>>) that KT compiles to."""

    def __init__(self, json_field, *, key, index, number=False):
        super().__init__(json_field, output_field=IntegerField() if number else TextField())
        self.path = (json_field, key, index)
        self.number = number

    def as_postgresql(self, compiler, connection, **extra):
        changes, params = compiler.compile(self.source_expressions[0])
        _, key, index = self.path
        assert key.isidentifier(), key  # a field name of ours, written into the SQL
        cast = "::integer" if self.number else ""
        return f"((({changes}) -> '{key}' ->> {int(index)}){cast})", params


ITEM_PROVENANCE_CSV_VALUE = ("provenance", "national_status__action_item__provenance")

# The first CSV columns of rows hanging off a national status, read in SQL.
STATUS_ITEM_CSV_VALUES = (
    ("member_state_code", "national_status__member_state__code"),
    ("member_state", "national_status__member_state__name"),
    ("plan", "national_status__action_item__plan__code"),
    ("item_code", "national_status__action_item__code"),
    ("item_title", "national_status__action_item__title"),
)
