"""Checking rows against each other and the database, then writing them in one transaction."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import router, transaction
from django.db.models import ProtectedError, RestrictedError
from django.db.models.deletion import Collector
from django.utils import timezone

from countries.models import MemberState

from ..models import ActionItem, Body, ContinuityLink, FocusArea, Plan, ReferenceChange
from .files import (
    BODIES,
    FOCUS_AREAS,
    ITEMS,
    KINDS,
    LINKS,
    PLANS,
    STATES,
    Problem,
    ReferenceDataError,
    read_file,
)

ACTIONS = ReferenceChange.Action


@dataclass
class Report:
    """What a load did (or, in a dry run, would do)."""

    directory: str
    files: list[str]
    dry_run: bool = False
    counts: dict = field(default_factory=dict)  # Kind → Counter of created/updated/...
    kept: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    details: list[tuple] = field(default_factory=list)  # (kind, key, action, field names)

    @property
    def changed(self):
        return any(c["created"] or c["updated"] or c["deleted"] for c in self.counts.values())

    def lines(self, verbose=False):
        files = ", ".join(self.files)
        if not self.changed:
            lines = [f"No changes: the database already matches {files} in {self.directory}."]
        elif self.dry_run:
            lines = [f"Dry run, nothing written. Loading {files} from {self.directory} would give:"]
        else:
            lines = [f"Loaded {files} from {self.directory}:"]
        would = "would be " if self.dry_run else ""
        if self.changed:
            for kind, count in self.counts.items():
                lines.append(
                    f"  {kind.plural}: {count['created']} {would}created, "
                    f"{count['updated']} {would}updated, {count['unchanged']} unchanged, "
                    f"{count['deleted']} {would}deleted"
                )
            if verbose:
                for kind, key, action, names in self.details:
                    fields = f": {', '.join(names)}" if action == ACTIONS.UPDATED else ""
                    lines.append(f"  {kind.label} {key} {would}{action}{fields}")
        ignored = [f"Ignored {name}: not one of the reference data files." for name in self.ignored]
        return lines + self.kept + ignored


def load_reference_data(directory, *, dry_run=False):
    """Check every file in `directory`, then load them all, or raise ReferenceDataError."""
    directory = Path(directory)
    name = directory.resolve().name
    if not directory.is_dir():
        raise ReferenceDataError([Problem(name, None, None, "is not a directory")])
    present = [kind for kind in KINDS if (directory / kind.file).is_file()]
    if not present:
        expected = ", ".join(kind.file for kind in KINDS)
        raise ReferenceDataError([Problem(name, None, None, f"holds none of {expected}")])

    problems = []
    tables = {kind: read_file(directory / kind.file, kind, problems) for kind in present}
    report = Report(name, [kind.file for kind in present], dry_run=dry_run)
    report.counts = {kind: Counter() for kind in present}
    known = {kind.file for kind in KINDS}
    report.ignored = sorted(p.name for p in directory.glob("*.csv") if p.name not in known)
    loader = Loader(tables, report=report, source=f"load_reference_data {name}")
    with transaction.atomic():
        loader.read_database()
        problems += loader.check()
        if problems:
            order = {kind.file: index for index, kind in enumerate(KINDS)}
            problems.sort(key=lambda p: (order.get(p.file, -1), p.line or 0))
            raise ReferenceDataError(problems)
        loader.write()
        if dry_run:
            transaction.set_rollback(True)
    return report


def protected_by(obj):
    """The rows that keep `obj` from being deleted, or an empty list."""
    collector = Collector(using=router.db_for_write(type(obj)))
    try:
        collector.collect([obj])
    except ProtectedError as error:
        return list(error.protected_objects)
    except RestrictedError as error:
        return list(error.restricted_objects)
    return []


def jsonable(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def key_parts(kind, key):
    return key if len(kind.key) > 1 else (key,)


def key_text(kind, key):
    if kind is LINKS:
        from_plan, from_item, to_plan, to_item = key
        return f"{from_plan}/{from_item or '—'} → {to_plan}/{to_item or '—'}"
    return "/".join(str(part) for part in key_parts(kind, key))


class Loader:
    """Checks parsed rows against each other and the database, then writes them."""

    def __init__(self, tables, *, report, source):
        self.tables = tables  # Kind → rows, for the files present
        self.report = report
        self.source = source
        self.now = timezone.now()
        self.changes = []
        self.problems = []

    def rows(self, kind):
        return self.tables.get(kind, [])

    def read_database(self):
        """Load every existing reference row once, keyed as in the files."""
        self.existing = {kind: {} for kind in KINDS}
        self.existing[STATES] = {state.code: state for state in MemberState.objects.all()}
        self.existing[BODIES] = {body.code: body for body in Body.objects.all()}
        # Rows share instances, so a plan updated here is the plan its items see.
        plans = {plan.pk: plan for plan in Plan.objects.all()}
        for plan in plans.values():
            plan.predecessor = plans.get(plan.predecessor_id)
        self.existing[PLANS] = {plan.code: plan for plan in plans.values()}
        focus_areas = {area.pk: area for area in FocusArea.objects.all()}
        for area in focus_areas.values():
            area.plan = plans[area.plan_id]
            self.existing[FOCUS_AREAS][area.plan.code, area.number] = area
        items = {
            item.pk: item
            for item in ActionItem.objects.prefetch_related("lead_bodies", "supporting_bodies")
        }
        for item in items.values():
            item.plan = plans[item.plan_id]
            item.focus_area = focus_areas[item.focus_area_id]
            self.existing[ITEMS][item.plan.code, item.code] = item
        successor = {plan.predecessor_id: plan for plan in plans.values() if plan.predecessor_id}
        for link in ContinuityLink.objects.all():
            link.from_item = items.get(link.from_item_id)
            link.to_item = items.get(link.to_item_id)
            from_plan = link.from_item.plan if link.from_item else link.to_item.plan.predecessor
            to_plan = link.to_item.plan if link.to_item else successor.get(link.from_item.plan_id)
            key = (
                from_plan.code if from_plan else "",
                link.from_item.code if link.from_item else "",
                to_plan.code if to_plan else "",
                link.to_item.code if link.to_item else "",
            )
            self.existing[LINKS][key] = link

    # Checks across rows, files and the database.

    def check(self):
        problems = []

        def problem(kind, row, column, reason):
            problems.append(Problem(kind.file, row.line, column, reason))

        plans = self._plan_facts()
        for row in self.rows(PLANS):
            if row.ok:
                for column, reason in self._plan_problems(row.values, plans):
                    problem(PLANS, row, column, reason)

        areas = self._keys_by_plan(FOCUS_AREAS, "number")
        for row in self.rows(FOCUS_AREAS):
            if row.ok and row.values["plan"] not in plans:
                problem(FOCUS_AREAS, row, "plan", self._no_plan(row.values["plan"]))

        bodies = set(self.existing[BODIES]) | {r.values.get("code") for r in self.rows(BODIES)}
        for row in self.rows(ITEMS):
            if row.ok:
                for column, reason in self._item_problems(row.values, plans, areas, bodies):
                    problem(ITEMS, row, column, reason)

        items = self._keys_by_plan(ITEMS, "code")
        forward = Counter((r.values["from_plan"], r.values["from_item"]) for r in self._ok(LINKS))
        back = Counter((r.values["to_plan"], r.values["to_item"]) for r in self._ok(LINKS))
        for row in self.rows(LINKS):
            if row.ok:
                for column, reason in self._link_problems(row.values, plans, items, forward, back):
                    problem(LINKS, row, column, reason)
        return problems

    def _ok(self, kind):
        return [row for row in self.rows(kind) if row.ok]

    def _no_plan(self, code):
        return f"there is no plan {code} in plans.csv or the database"

    def _plan_facts(self):
        """Each plan's (start_year, end_year, predecessor code); None when its row is bad."""
        facts = {}
        for code, plan in self.existing[PLANS].items():
            predecessor = plan.predecessor.code if plan.predecessor else ""
            facts[code] = (plan.start_year, plan.end_year, predecessor)
        for row in self.rows(PLANS):
            if "code" in row.values:
                values = row.values
                facts[values["code"]] = (
                    (values["start_year"], values["end_year"], values["predecessor"])
                    if row.ok
                    else None
                )
        return facts

    def _plan_problems(self, values, plans):
        code, predecessor = values["code"], values["predecessor"]
        if not predecessor:
            return
        if predecessor not in plans:
            yield "predecessor", self._no_plan(predecessor)
            return
        others = [
            other
            for other, facts in plans.items()
            if facts and facts[2] == predecessor and other != code
        ]
        if others:
            yield "predecessor", f"{', '.join(sorted(others))} already follows {predecessor}"
        seen, current = {code}, predecessor
        while current and plans.get(current):
            if current in seen:
                yield "predecessor", "the plans' predecessors form a loop"
                return
            seen.add(current)
            current = plans[current][2]

    def _keys_by_plan(self, kind, name):
        """For each plan, the keys its rows of `kind` will have: the file's when the file
        mentions the plan, else the database's."""
        in_file = {row.values["plan"] for row in self.rows(kind) if "plan" in row.values}
        keys = defaultdict(set)
        for plan, value in self.existing[kind]:
            if plan not in in_file:
                keys[plan].add(value)
        for row in self.rows(kind):
            if row.key(kind):
                keys[row.values["plan"]].add(row.values[name])
        return keys

    def _item_problems(self, values, plans, areas, bodies):
        plan = values["plan"]
        if plan not in plans:
            yield "plan", self._no_plan(plan)
            return
        if values["focus_area"] not in areas[plan]:
            yield (
                "focus_area",
                f"plan {plan} has no focus area {values['focus_area']} "
                "in focus_areas.csv or the database",
            )
        for column in ("lead_bodies", "supporting_bodies"):
            unknown = [code for code in values[column] if code not in bodies]
            if unknown:
                yield column, f"there is no body {', '.join(unknown)} in bodies.csv or the database"
        start, end = values["start_year"], values["end_year"]
        if plans[plan] and start is not None:
            first, last = plans[plan][0], plans[plan][1]
            if start < first or end > last:
                yield (
                    "start_year" if start < first else "end_year",
                    f"the timeframe {start}–{end} lies outside the plan's period {first}–{last}",
                )

    def _link_problems(self, values, plans, items, forward, back):
        from_plan, to_plan = values["from_plan"], values["to_plan"]
        from_item, to_item, kind = values["from_item"], values["to_item"], values["kind"]
        for column, code in (("from_plan", from_plan), ("to_plan", to_plan)):
            if code not in plans:
                yield column, self._no_plan(code)
        if plans.get(to_plan) and from_plan in plans and plans[to_plan][2] != from_plan:
            actual = plans[to_plan][2] or "no plan"
            yield (
                "to_plan",
                f"{to_plan} does not follow {from_plan} (it follows {actual}): "
                "a link joins a plan to the next one",
            )
        ends = (("from_item", from_plan, from_item), ("to_item", to_plan, to_item))
        for column, plan, code in ends:
            if code and plan in plans and code not in items[plan]:
                yield column, f"plan {plan} has no item {code} in action_items.csv or the database"
        if kind == ContinuityLink.Kind.DROPPED and forward[from_plan, from_item] > 1:
            yield "kind", f"{from_item} is dropped, so it cannot have other links forward"
        if kind == ContinuityLink.Kind.NEW and back[to_plan, to_item] > 1:
            yield "kind", f"{to_item} is new, so it cannot have other links back"

    # Writing.

    def write(self):
        for kind in (STATES, BODIES):
            for row in self.rows(kind):
                self._save(kind, row, self._assign_fields)
            self._stop_if_invalid()
        for row in sorted(self.rows(PLANS), key=self._plan_depth):
            self._save(PLANS, row, self._assign_plan)
        self._stop_if_invalid()
        for row in self.rows(FOCUS_AREAS):
            self._save(FOCUS_AREAS, row, self._assign_focus_area)
        self._stop_if_invalid()
        for row in self.rows(ITEMS):
            self._save(ITEMS, row, self._assign_item, m2m=("lead_bodies", "supporting_bodies"))
        self._stop_if_invalid()
        for row in self.rows(LINKS):
            self._save(LINKS, row, self._assign_link)
        self._stop_if_invalid()
        self._delete_missing()
        ReferenceChange.objects.bulk_create(self.changes)

    def _plan_depth(self, row):
        """How many of the file's plans come before this one: predecessors are saved first."""
        in_file = {r.values["code"]: r.values["predecessor"] for r in self.rows(PLANS)}
        depth, current = 0, row.values["predecessor"]
        while current in in_file:
            depth, current = depth + 1, in_file[current]
        return depth

    def _values(self, kind, obj, key):
        """The object's values as the file writes them."""
        values = {name: getattr(obj, name, None) for name in kind.column_names}
        values.update(zip(kind.key, key_parts(kind, key), strict=True))
        if kind is PLANS:
            values["predecessor"] = obj.predecessor.code if obj.predecessor else ""
        elif kind is ITEMS:
            values["focus_area"] = obj.focus_area.number
            for name in ("lead_bodies", "supporting_bodies"):
                values[name] = tuple(sorted(body.code for body in getattr(obj, name).all()))
        return values

    def _save(self, kind, row, assign, m2m=()):
        key = row.key(kind)
        obj = self.existing[kind].get(key)
        new = {name: row.values[name] for name in kind.column_names}
        if obj is None:
            obj, action, old = kind.model(), ACTIONS.CREATED, dict.fromkeys(new)
        else:
            action, old = ACTIONS.UPDATED, self._values(kind, obj, key)
        changed = [name for name in kind.column_names if old[name] != new[name]]
        if not changed:
            self.report.counts.setdefault(kind, Counter())["unchanged"] += 1
            return
        assign(obj, row.values)
        try:
            obj.full_clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = None if name == NON_FIELD_ERRORS else name
                for message in messages:
                    self.problems.append(Problem(kind.file, row.line, column, message))
            return
        obj.save()
        for name in m2m:
            if name in changed:
                getattr(obj, name).set([self.existing[BODIES][code] for code in new[name]])
        self.existing[kind][key] = obj
        self._record(kind, key, action, {name: [old[name], new[name]] for name in changed})

    def _stop_if_invalid(self):
        if self.problems:
            raise ReferenceDataError(self.problems)

    def _assign_fields(self, obj, values, skip=()):
        for name, value in values.items():
            if name not in skip:
                setattr(obj, name, value)

    def _assign_plan(self, plan, values):
        self._assign_fields(plan, values, skip=("predecessor",))
        plan.predecessor = self.existing[PLANS].get(values["predecessor"])

    def _assign_focus_area(self, area, values):
        self._assign_fields(area, values, skip=("plan",))
        area.plan = self.existing[PLANS][values["plan"]]

    def _assign_item(self, item, values):
        skip = ("plan", "focus_area", "lead_bodies", "supporting_bodies")
        self._assign_fields(item, values, skip=skip)
        item.plan = self.existing[PLANS][values["plan"]]
        item.focus_area = self.existing[FOCUS_AREAS][values["plan"], values["focus_area"]]

    def _assign_link(self, link, values):
        items = self.existing[ITEMS]
        link.from_item = items.get((values["from_plan"], values["from_item"]))
        link.to_item = items.get((values["to_plan"], values["to_item"]))
        link.kind, link.provenance, link.note = values["kind"], values["provenance"], values["note"]

    def _delete_missing(self):
        """Delete what a given file no longer lists, within the plans that file covers."""
        if LINKS in self.tables:
            pairs = {(r.values["from_plan"], r.values["to_plan"]) for r in self.rows(LINKS)}
            for key in self._missing(LINKS, lambda key: (key[0], key[2]) in pairs):
                self._delete(LINKS, key)
        if ITEMS in self.tables:
            for key in self._missing(ITEMS, self._plans_in(ITEMS)):
                item = self.existing[ITEMS][key]
                if self._keep_if_referenced(ITEMS, key, item):
                    continue
                for link_key, link in list(self.existing[LINKS].items()):
                    if item.pk in (link.from_item_id, link.to_item_id):
                        self._delete(LINKS, link_key)
                self._delete(ITEMS, key)
        if FOCUS_AREAS in self.tables:
            for key in self._missing(FOCUS_AREAS, self._plans_in(FOCUS_AREAS)):
                if not self._keep_if_referenced(FOCUS_AREAS, key, self.existing[FOCUS_AREAS][key]):
                    self._delete(FOCUS_AREAS, key)

    def _plans_in(self, kind):
        plans = {row.values["plan"] for row in self.rows(kind)}
        return lambda key: key[0] in plans

    def _missing(self, kind, in_scope):
        listed = {row.key(kind) for row in self.rows(kind)}
        return [key for key in self.existing[kind] if in_scope(key) and key not in listed]

    def _keep_if_referenced(self, kind, key, obj):
        # One query per row to delete: deletions are rare and each needs its own answer.
        referrers = protected_by(obj)
        if not referrers:
            return False
        counts = Counter(type(referrer) for referrer in referrers)
        described = ", ".join(
            f"{n} {model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural}"
            for model, n in counts.items()
        )
        self.report.kept.append(
            f"Kept {kind.label} {key_text(kind, key)} ({obj}), which the file no longer lists: "
            f"still referenced by {described}."
        )
        return True

    def _delete(self, kind, key):
        obj = self.existing[kind].pop(key)
        old = self._values(kind, obj, key)
        obj.delete()
        changes = {name: [value, None] for name, value in old.items()}
        self._record(kind, key, ACTIONS.DELETED, changes)

    def _record(self, kind, key, action, changes):
        self.report.counts.setdefault(kind, Counter())[action] += 1
        self.report.details.append((kind, key_text(kind, key), action, list(changes)))
        self.changes.append(
            ReferenceChange(
                changed_at=self.now,
                source=self.source[:200],
                object_type=kind.label,
                object_key=key_text(kind, key)[:200],
                action=action,
                changes={
                    name: [jsonable(old), jsonable(new)] for name, (old, new) in changes.items()
                },
            )
        )
