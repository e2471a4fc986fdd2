"""`camunda:resultVariable` and `camunda:mapDecisionResult` of business rule tasks.

Without a result variable a decision's outputs are merged into the process data (the
SpiffArena way). With one, as in Camunda, only that variable is written, holding:
- `resultList` (the default): a list with one {output name: value} per matched rule;
- `singleResult`: the one matched rule's {output name: value}, or None;
- `singleEntry`: the one output value of the one matched rule, or None;
- `collectEntries`: the list of the one output's values, one per matched rule.
More matched rules (or outputs) than the mapping allows is an error, as in Camunda.
"""

import dataclasses
from collections.abc import Callable

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
MAPPINGS = ("resultList", "singleResult", "singleEntry", "collectEntries")
_MULTI_HIT = ("COLLECT", "RULE ORDER", "OUTPUT ORDER", "C", "R", "O")


class ResultMappingError(ValueError):
    pass


def result_variable_resolver(node, resolve: Callable) -> Callable:
    """The decision resolver for a business rule task: unchanged without a result
    variable, else one whose decisions return only that variable."""
    variable = node.get(f"{{{CAMUNDA_NS}}}resultVariable")
    if not variable:
        return resolve
    mapping = node.get(f"{{{CAMUNDA_NS}}}mapDecisionResult") or "resultList"
    if mapping not in MAPPINGS:
        raise ResultMappingError(
            f"camunda:mapDecisionResult {mapping!r} is not one of {', '.join(MAPPINGS)}"
        )

    def resolve_mapped(decision_id: str):
        decision, version = resolve(decision_id)
        return _MappedDecision(decision, variable, mapping), version

    return resolve_mapped


class _MappedDecision:
    def __init__(self, decision, variable: str, mapping: str):
        self.decision = decision
        self.variable = variable
        self.mapping = mapping

    def evaluate(self, context):
        result = self.decision.evaluate(context)
        rows = _rows(self.decision, result.value)
        value = map_rows(rows, self.mapping, self.decision.name)
        return dataclasses.replace(result, task_data={self.variable: value})


def _rows(decision, value) -> list[dict]:
    names = list(getattr(decision, "output_names", None) or [])
    policy = str(getattr(decision, "hit_policy", "") or "").upper()
    multi = policy in _MULTI_HIT and not getattr(decision, "aggregation", None)
    values = (value or []) if multi else ([] if value is None else [value])
    name = names[0] if names else getattr(decision, "variable", None) or "result"
    return [v if isinstance(v, dict) and len(names) != 1 else {name: v} for v in values]


def map_rows(rows: list[dict], mapping: str, decision_name: str):
    if mapping == "resultList":
        return rows
    if mapping != "collectEntries" and len(rows) > 1:
        raise ResultMappingError(
            f"decision {decision_name!r} matched {len(rows)} rules; camunda:mapDecisionResult "
            f"{mapping!r} allows one"
        )
    if mapping == "singleResult":
        return rows[0] if rows else None
    entries = [_single_entry(row, mapping, decision_name) for row in rows]
    if mapping == "collectEntries":
        return entries
    return entries[0] if entries else None


def _single_entry(row: dict, mapping: str, decision_name: str):
    if len(row) != 1:
        raise ResultMappingError(
            f"decision {decision_name!r} has {len(row)} outputs; camunda:mapDecisionResult "
            f"{mapping!r} needs exactly one"
        )
    return next(iter(row.values()))
