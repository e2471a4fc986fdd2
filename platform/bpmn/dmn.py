"""Our DMN engine: decision tables with FEEL cells and every hit policy, compiled once.

SpiffWorkflow's own engine evaluates cells as Python, knows only UNIQUE and COLLECT and
leaves outputs unset when nothing matches. This one reads any DMN namespace (dmn_xml),
compiles every cell to a closure (dmn_cells, feel), evaluates under every hit policy
(dmn_table), and plugs into SpiffWorkflow's BusinessRuleTask as its `dmnEngine`.
"""

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from bpmn.dmn_cells import compile_value
from bpmn.dmn_table import Table, nest
from bpmn.dmn_xml import DecisionSpec, DmnError, read_definitions
from bpmn.feel_values import equal, normalize, to_json
from bpmn.sandbox import ExpressionError

# Words separated by single spaces, none of them a FEEL keyword: `Applicant Age`, not `a and b`.
_SPACED_NAME = re.compile(
    r"(?!.*\b(?:and|or|not|in|between|if|then|else|instance|of)\b)[^\W\d]\w*(?: \w+)+"
)

__all__ = [
    "Decision",
    "DecisionResult",
    "DecisionTaskEngine",
    "DmnDefinitions",
    "DmnError",
    "capture_decisions",
    "parse_dmn",
    "same_value",
]


@dataclass
class DecisionResult:
    decision_id: str
    value: Any  # one output: its value; several: {name: value}; multi-hit: a list of those
    task_data: dict  # what a business rule task merges into the process data
    matched_rules: list[int]  # 1-based rows whose outputs make the result
    inputs: dict  # evaluated input values by input label (or expression text)


class _Literal:
    """A decision whose logic is one literal expression instead of a table."""

    policy, aggregation = "", None

    def __init__(self, spec: DecisionSpec, known: frozenset, filename: str):
        self.where = f"{filename}: decision {spec.id!r}"
        self.name = spec.variable
        self.expression = compile_value(spec.literal or "", known, self.where)

    def evaluate(self, ctx: Mapping[str, Any]) -> tuple[Any, dict, list[int], dict]:
        try:
            value = self.expression.fn(ctx, None)
        except ExpressionError as exc:
            raise DmnError(f"{self.where}: {exc}") from exc
        return value, nest({self.name: value}), [], {}


class Decision:
    def __init__(self, spec: DecisionSpec, known: frozenset, filename: str):
        self.id = spec.id
        self.name = spec.name
        self.variable = spec.variable
        self.required_ids = list(spec.required)
        self.required: list[Decision] = []  # linked by parse_dmn
        self._logic: Table | _Literal = (
            Table(spec, known, filename)
            if spec.literal is None
            else _Literal(spec, known, filename)
        )
        self.hit_policy: str = self._logic.policy
        self.aggregation: str | None = self._logic.aggregation

    def __repr__(self) -> str:
        return f"<Decision {self.id!r} {self.name!r} {self.hit_policy}>"

    def evaluate(self, context: Mapping[str, Any]) -> DecisionResult:
        """Evaluate against `context` (process data); required decisions are evaluated first
        and their values added to the context under their names."""
        ctx = context
        if self.required:
            ctx = dict(context)
            for required in self.required:
                value = required.evaluate(context).value
                ctx[required.name] = value
                ctx.setdefault(required.variable, value)
        value, task_data, rows, inputs = self._logic.evaluate(ctx)
        return DecisionResult(self.id, value, task_data, rows, inputs)

    def run_tests(self, cases: list[dict]) -> list[str]:
        """Run example rows {"input": {...}, "expected": value}; one message per failure."""
        failures = []
        for number, case in enumerate(cases, start=1):
            label = f"case {number}" + (f" ({case['name']})" if case.get("name") else "")
            if not isinstance(case.get("input", {}), Mapping):
                failures.append(f"{label}: input must be an object")
                continue
            try:
                actual = self.evaluate(case.get("input") or {}).value
            except DmnError as exc:
                failures.append(f"{label}: {exc}")
                continue
            expected = case.get("expected")
            if not same_value(expected, actual):
                failures.append(f"{label}: expected {to_json(expected)}, got {to_json(actual)}")
        return failures


class DmnDefinitions:
    def __init__(self, decisions: dict[str, Decision], filename: str):
        self.decisions = decisions
        self.filename = filename

    def get(self, id_or_name: str) -> Decision:
        found = self.decisions.get(id_or_name)
        if found is None:
            found = next((d for d in self.decisions.values() if d.name == id_or_name), None)
        if found is None:
            known = ", ".join(f"{d.id!r} ({d.name})" for d in self.decisions.values())
            raise DmnError(f"{self.filename}: no decision {id_or_name!r} (decisions: {known})")
        return found


def parse_dmn(data: bytes | str, filename: str = "<dmn>") -> DmnDefinitions:
    """Parse and compile every decision in a DMN file. Raises DmnError (unsafe or malformed
    XML, unsupported or invalid FEEL/Python in a cell, unknown or cyclic requirements)."""
    spec = read_definitions(data, filename)
    declared = (*spec.input_names, *(d.name for d in spec.decisions))
    declared += tuple(d.variable for d in spec.decisions)
    # An input expression that is a name with spaces (`Applicant Age`) declares that name.
    spaced = (i.expression for d in spec.decisions for i in d.inputs)
    known = frozenset(n for n in declared if n) | {n for n in spaced if _SPACED_NAME.fullmatch(n)}
    decisions: dict[str, Decision] = {}
    for decision_spec in spec.decisions:
        if decision_spec.id in decisions:
            raise DmnError(f"{filename}: two decisions have the id {decision_spec.id!r}")
        decisions[decision_spec.id] = Decision(decision_spec, known, filename)
    _link_requirements(decisions, filename)
    return DmnDefinitions(decisions, filename)


def _link_requirements(decisions: dict[str, Decision], filename: str) -> None:
    for decision in decisions.values():
        for required_id in decision.required_ids:
            if required_id not in decisions:
                raise DmnError(
                    f"{filename}: decision {decision.id!r} requires unknown decision "
                    f"{required_id!r}"
                )
            decision.required.append(decisions[required_id])
    for decision in decisions.values():
        _check_acyclic(decision, (), filename)


def _check_acyclic(decision: Decision, path: tuple[str, ...], filename: str) -> None:
    if decision.id in path:
        cycle = " -> ".join((*path, decision.id))
        raise DmnError(f"{filename}: decision {decision.id!r} requires itself ({cycle})")
    for required in decision.required:
        _check_acyclic(required, (*path, decision.id), filename)


def same_value(expected: Any, actual: Any) -> bool:
    """Compare an expected value written as JSON with a result: numbers as decimals, dates
    with their ISO text, lists item by item, objects key by key."""
    expected = normalize(expected)
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(same_value(expected[key], actual[key]) for key in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(same_value(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, str) and not isinstance(actual, str) and actual is not None:
        return to_json(actual) == to_json(expected)
    return equal(expected, normalize(actual))


# ---------------------------------------------------------------- SpiffWorkflow glue

_CAPTURES: ContextVar[tuple[list, ...]] = ContextVar("dmn_captures", default=())


@contextmanager
def capture_decisions() -> Iterator[list[dict]]:
    """Collect a record of every decision a business rule task evaluates inside the block
    (for the ticket's audit trail). Nested blocks each receive the records made while they
    are open, so an inner capture does not hide decisions from an outer one."""
    records: list[dict] = []
    token = _CAPTURES.set((*_CAPTURES.get(), records))
    try:
        yield records
    finally:
        _CAPTURES.reset(token)


class DecisionTaskEngine:
    """SpiffWorkflow's BusinessRuleTask calls `dmnEngine.result(task)` and deep-merges the
    returned dict into the task data. The decision is resolved on every call, so a task
    runs whichever version `resolve` says is current."""

    def __init__(self, decision_id: str, resolve: Callable[[str], tuple[Decision, str]]):
        self.decision_id = decision_id
        self.resolve = resolve

    def result(self, task) -> dict:
        decision, version = self.resolve(self.decision_id)
        result = decision.evaluate(task.data)
        captures = _CAPTURES.get()
        if captures:
            record = {
                "decision_id": result.decision_id,
                "version": version,
                "inputs": deepcopy(result.inputs),
                "outputs": deepcopy(result.task_data),  # task data is merged in and mutated
                "matched_rules": list(result.matched_rules),
            }
            for records in captures:
                records.append(record)
        return result.task_data
