"""What changed between two versions of a decision table, rule by rule and cell by cell.

Rules are paired by their id (modelers keep it when a rule is edited or moved); rules without
ids are paired by position. Columns are paired by input expression and output name, so a
column added or removed shows as such rather than as every rule changed.
"""

from dataclasses import dataclass, field

from bpmn.dmn_xml import DecisionSpec, RuleSpec
from definitions.element_names import local_name


@dataclass
class CellChange:
    column: str
    before: str
    after: str


@dataclass
class RuleChange:
    kind: str  # added, removed, changed
    row_before: int | None
    row_after: int | None
    description: str
    cells: list[CellChange] = field(default_factory=list)  # changed: only the cells that differ
    entries: list[tuple[str, str]] = field(default_factory=list)  # added/removed: every cell
    moved: bool = False  # its order among the kept rules changed (FIRST tables: it matters)


@dataclass
class TableDiff:
    hit_policy: tuple[str, str] | None = None
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    rules: list[RuleChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.hit_policy or self.columns_added or self.columns_removed or self.rules)


def _columns(spec: DecisionSpec) -> list[tuple[str, str]]:
    """(key, label) of every column: inputs by expression, outputs by name; labels in the
    reader's language where written in both."""
    found = [(f"in:{i.expression}", local_name(i.label or i.expression)) for i in spec.inputs]
    found += [(f"out:{o.name}", local_name(o.label or o.name)) for o in spec.outputs]
    return found


def _cells(spec: DecisionSpec, rule: RuleSpec) -> dict[str, str]:
    keys = [key for key, _label in _columns(spec)]
    return dict(zip(keys, [*rule.inputs, *rule.outputs], strict=False))


def _policy(spec: DecisionSpec) -> str:
    return spec.hit_policy + (f" {spec.aggregation}" if spec.aggregation else "")


def _pairs(old: list[RuleSpec], new: list[RuleSpec]):
    by_id = {r.id: r for r in new if r.id}
    paired, taken = [], set()
    for rule in old:
        match = by_id.get(rule.id) if rule.id else None
        if match is None and not rule.id and rule.row <= len(new) and not new[rule.row - 1].id:
            match = new[rule.row - 1]
        if match is not None:
            taken.add(id(match))
        paired.append((rule, match))
    added = [r for r in new if id(r) not in taken]
    return paired, added


def diff_tables(old: DecisionSpec, new: DecisionSpec) -> TableDiff:
    diff = TableDiff()
    if _policy(old) != _policy(new):
        diff.hit_policy = (_policy(old), _policy(new))
    old_cols, new_cols = dict(_columns(old)), dict(_columns(new))
    labels = {**old_cols, **new_cols}
    diff.columns_added = [label for key, label in new_cols.items() if key not in old_cols]
    diff.columns_removed = [label for key, label in old_cols.items() if key not in new_cols]
    paired, added = _pairs(old.rules, new.rules)
    kept = [after for _before, after in paired if after is not None]
    new_rank = {id(r): rank for rank, r in enumerate(sorted(kept, key=lambda r: r.row))}
    old_rank = {id(r): rank for rank, r in enumerate(kept)}
    for before, after in paired:
        if after is None:
            diff.rules.append(_whole("removed", old, before))
            continue
        cells_before, cells_after = _cells(old, before), _cells(new, after)
        changes = [
            CellChange(labels[key], cells_before.get(key, ""), cells_after.get(key, ""))
            for key in labels
            if key in cells_before and key in cells_after and cells_before[key] != cells_after[key]
        ]
        if before.description != after.description:
            changes.append(CellChange("", before.description, after.description))
        moved = old_rank[id(after)] != new_rank[id(after)]
        if changes or moved:
            description = after.description or before.description
            diff.rules.append(
                RuleChange("changed", before.row, after.row, description, changes, moved=moved)
            )
        else:
            diff.unchanged += 1
    diff.rules += [_whole("added", new, rule) for rule in added]
    diff.rules.sort(key=lambda c: (c.row_after or c.row_before or 0, c.kind != "removed"))
    return diff


def _whole(kind: str, spec: DecisionSpec, rule: RuleSpec) -> RuleChange:
    labels = dict(_columns(spec))
    entries = [(labels[key], text) for key, text in _cells(spec, rule).items()]
    rows = (rule.row, None) if kind == "removed" else (None, rule.row)
    return RuleChange(kind, *rows, rule.description, entries=entries)
