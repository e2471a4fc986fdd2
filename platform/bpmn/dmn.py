"""Our DMN engine: decision tables with FEEL cells and every hit policy, compiled once.

SpiffWorkflow's own engine evaluates cells as Python, knows only UNIQUE and COLLECT and
leaves outputs unset when nothing matches. This one reads any DMN namespace (dmn_xml),
compiles every cell to a closure (dmn_cells, feel), evaluates under every hit policy
(dmn_table), and plugs into SpiffWorkflow's BusinessRuleTask as its `dmnEngine`.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpmn.dmn_boxed import BoxedCompiler
from bpmn.dmn_cells import PYTHON_CELLS, PYTHON_FIRST, compile_value
from bpmn.dmn_table import Table, nest
from bpmn.dmn_task import DecisionTaskEngine, capture_decisions
from bpmn.dmn_types import TypeRegistry
from bpmn.dmn_xml import DecisionSpec, DefinitionsSpec, DmnError, read_definitions
from bpmn.feel_nodes import Scope
from bpmn.feel_scope import TYPES_KEY
from bpmn.feel_values import FeelError, FeelFunction, equal, normalize, to_json
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
    "load_dmn",
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
        self.where = f"{filename}: decision {spec.name!r}"
        self.name = spec.variable
        self.expression = compile_value(spec.literal or "", known, self.where)

    def evaluate(self, ctx: Mapping[str, Any]) -> tuple[Any, dict, list[int], dict]:
        try:
            value = self.expression.fn(ctx, None)
        except ExpressionError as exc:
            raise DmnError(f"{self.where}: {exc}") from exc
        return value, nest({self.name: value}), [], {}


class _Boxed(_Literal):
    """A decision whose logic is another boxed expression (context, invocation, ...)."""

    def __init__(self, spec: DecisionSpec, boxed: BoxedCompiler, filename: str):
        self.where = f"{filename}: decision {spec.name!r}"
        self.name = spec.variable
        self.expression = boxed.compile(spec.expression, self.where)


class _Broken:
    """A decision that failed to compile: it reports why whenever it is evaluated."""

    policy, aggregation = "", None

    def __init__(self, message: str):
        self.message = message

    def evaluate(self, ctx):
        raise DmnError(self.message)


class Decision:
    def __init__(self, spec: DecisionSpec, model: "DmnDefinitions"):
        self.id = spec.id
        self.name = spec.name
        self.variable = spec.variable
        self.type_ref = spec.type_ref
        self.required_ids = list(spec.required)
        self.required: list[Decision] = []  # linked by parse_dmn
        self.model = model
        self.error: str | None = spec.error
        self._logic = _Broken(spec.error) if spec.error else self._compile(spec, model)
        self.hit_policy: str = self._logic.policy
        self.aggregation: str | None = self._logic.aggregation
        self.output_names = [o.name for o in spec.outputs if o.name]

    def _compile(self, spec: DecisionSpec, model: "DmnDefinitions"):
        try:
            if spec.expression is not None:
                return _Boxed(spec, model.boxed, model.filename)
            if spec.literal is not None:
                return _Literal(spec, model.known, model.filename)
            return Table(spec, model.known, model.filename)
        except DmnError as exc:
            self.error = str(exc)
            return _Broken(str(exc))

    def __repr__(self) -> str:
        return f"<Decision {self.id!r} {self.name!r} {self.hit_policy}>"

    def evaluate(self, context: Mapping[str, Any]) -> DecisionResult:
        """Evaluate against `context` (process data); required decisions are evaluated first
        and their values added to the context under their names (and, as Camunda does, under
        the output names of their tables)."""
        ctx = self.model.scope(context)
        try:
            value, task_data, rows, inputs = self._run(ctx, {})
        except _BREAKDOWNS as exc:
            raise _breakdown(f"{self.model.filename}: decision {self.name!r}", exc) from exc
        return DecisionResult(self.id, value, task_data, rows, inputs)

    def value_in(self, ctx: Mapping[str, Any], memo: dict) -> Any:
        if self.id not in memo:
            memo[self.id] = self._run(ctx, memo)[0]
        return memo[self.id]

    def _run(self, ctx: Mapping[str, Any], memo: dict):
        if self.required:
            bound: dict = {}
            for required in self.required:
                if required.model is not self.model:
                    self._bind_imported(required, ctx, memo, bound)
                    continue
                value = required.value_in(ctx, memo)
                bound[required.name] = value
                bound.setdefault(required.variable, value)
                required.bind_outputs(value, bound)
            ctx = Scope(bound, ctx)
        value, task_data, rows, inputs = self._logic.evaluate(ctx)
        if self.type_ref:
            value = self.model.types.conform(value, self.type_ref)
        return value, task_data, rows, inputs

    def _bind_imported(self, required: "Decision", ctx, memo: dict, bound: dict) -> None:
        """A decision of an imported model runs in that model's scope, and is read here as
        `<import name>.<decision name>`."""
        value = required.value_in(required.model.scope(ctx), memo)
        for prefix, imported in self.model.imported.items():
            if imported is required.model:
                namespace = bound.setdefault(prefix, dict(self.model.globals.get(prefix, {})))
                namespace[required.name] = value

    def bind_outputs(self, value: Any, bound: dict) -> None:
        """Camunda's DRGs read a required table's result under its output column name."""
        if len(self.output_names) == 1:
            bound.setdefault(self.output_names[0], value)
        elif isinstance(value, dict):
            for name in self.output_names:
                bound.setdefault(name, value.get(name))

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
    """The decisions, business knowledge models and decision services of one DMN file."""

    def __init__(
        self, spec: DefinitionsSpec, filename: str, imported: Mapping[str, "DmnDefinitions"]
    ):
        self.filename = filename
        self.namespace = spec.namespace
        self.types = TypeRegistry()
        self.types.add_item_definitions(spec.item_definitions)
        self.globals: dict[str, Any] = {TYPES_KEY: self.types.checks}  # + BKMs, services, imports
        self.imported = dict(imported)
        names = set(spec.all_names)
        for prefix, model in imported.items():
            self.types.add_item_definitions(model.item_definitions, prefix + ".")
            self.globals[prefix] = dict(model.globals)
            names |= model.all_names | {prefix}
        self.item_definitions = spec.item_definitions
        self.all_names = spec.all_names
        self.known = frozenset(n for n in names if n) | _spaced_inputs(spec)
        self.boxed = BoxedCompiler(self.known, filename, self.types.conform)
        self.inputs = spec.inputs
        self.input_types = {name: type_ref for name, type_ref in spec.inputs.values() if type_ref}
        self.decisions: dict[str, Decision] = {}
        for decision_spec in spec.decisions:
            if decision_spec.id in self.decisions:
                raise DmnError(f"{filename}: two decisions have the id {decision_spec.id!r}")
            self.decisions[decision_spec.id] = Decision(decision_spec, self)
        self.errors = [d.error for d in self.decisions.values() if d.error]
        self._add_knowledge(spec)
        self._add_services(spec)

    def _add_knowledge(self, spec: DefinitionsSpec) -> None:
        for bkm in spec.knowledge:
            where = f"{self.filename}: business knowledge model {bkm.name!r}"
            try:
                if bkm.expression is None:
                    raise DmnError(f"{where} has no encapsulatedLogic")
                function = self.boxed.compile_function(bkm.expression, where)
                self.globals[bkm.name] = function.fn(self.globals, None)
                self.globals[bkm.name].name = bkm.name
            except DmnError as exc:
                self.errors.append(str(exc))

    def _add_services(self, spec: DefinitionsSpec) -> None:
        self.services = {}
        for service in spec.services:
            function = self._service_function(service)
            self.services[service.name] = function
            self.globals.setdefault(service.name, function)

    def _service_function(self, service) -> FeelFunction:
        """A decision service as a function of its input data, then its input decisions. An
        argument not of its declared type makes the call null."""
        data = [self.inputs[i] for i in service.input_data if i in self.inputs]
        overrides = [self.decisions[i] for i in service.input_decisions if i in self.decisions]
        params = tuple([name for name, _ in data] + [d.name for d in overrides])
        types = [type_ref for _, type_ref in data] + [d.type_ref for d in overrides]
        outputs = [self.decisions[i] for i in service.outputs if i in self.decisions]
        result_type = self.types.function_outputs.get(service.type_ref or "")

        def run(args):
            for value, type_ref in zip(args, types, strict=True):
                if value is not None and type_ref and self.types.conform(value, type_ref) is None:
                    return None
            ctx = self.scope(dict(zip(params, args, strict=True)))
            memo = {d.id: self.types.conform(ctx.get(d.name), d.type_ref) for d in overrides}
            values = {d.name: d.value_in(ctx, memo) for d in outputs}
            result = next(iter(values.values())) if len(values) == 1 else values
            return self.types.conform(result, result_type)

        return FeelFunction(service.name, params, run)

    def scope(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        """The names a decision sees: input data (coerced to their declared types), the
        rest of `context`, then BKMs, decision services and imported models."""
        # no BKMs, services or types: the context as it is (the decision-table hot path)
        bare = len(self.globals) == 1 and not self.types.checks
        outer = context if bare else Scope(context, self.globals)
        if not self.input_types:
            return outer
        coerced = {
            name: self.types.conform(context[name], type_ref)
            for name, type_ref in self.input_types.items()
            if name in context
        }
        return Scope(coerced, outer) if coerced else outer

    def get(self, id_or_name: str) -> Decision:
        found = self.decisions.get(id_or_name)
        if found is None:
            found = next((d for d in self.decisions.values() if d.name == id_or_name), None)
        if found is None:  # Camunda: a decision known by its table's output name
            found = next((d for d in self.decisions.values() if id_or_name in d.output_names), None)
        if found is None:
            known = ", ".join(f"{d.id!r} ({d.name})" for d in self.decisions.values())
            raise DmnError(f"{self.filename}: no decision {id_or_name!r} (decisions: {known})")
        return found

    def evaluate(self, id_or_name: str, context: Mapping[str, Any]) -> Any:
        """The value of one decision (or decision service: see invoke_service)."""
        return self.get(id_or_name).evaluate(context).value

    def invoke_service(self, name: str, context: Mapping[str, Any]) -> Any:
        service = self.services.get(name)
        if service is None:
            raise DmnError(f"{self.filename}: no decision service {name!r}")
        try:
            return service.call([context.get(p) for p in service.params])
        except _BREAKDOWNS as exc:
            raise _breakdown(f"{self.filename}: decision service {name!r}", exc) from exc


# An evaluation that breaks down (a function calling itself forever, a value too large) is
# a DmnError naming the decision, never a traceback.
_BREAKDOWNS = (RecursionError, ArithmeticError, MemoryError, FeelError)


def _breakdown(where: str, exc: Exception) -> DmnError:
    if isinstance(exc, FeelError):
        return DmnError(f"{where}: {exc}")
    if isinstance(exc, RecursionError):
        return DmnError(f"{where}: functions call each other too deeply")
    return DmnError(f"{where}: a value is out of range")


def _spaced_inputs(spec: DefinitionsSpec) -> set:
    """An input expression that is a name with spaces (`Applicant Age`) declares that name."""
    spaced = (i.expression for d in spec.decisions for i in d.inputs)
    return {n for n in spaced if _SPACED_NAME.fullmatch(n)}


def parse_dmn(
    data: bytes | str,
    filename: str = "<dmn>",
    *,
    strict: bool = True,
    imported: Mapping[str, DmnDefinitions] | None = None,
) -> DmnDefinitions:
    """Parse and compile every decision in a DMN file. Raises DmnError (unsafe or malformed
    XML, unknown or cyclic requirements; with `strict`, also the first decision that does not
    compile). Without `strict` such a decision raises its error only when evaluated."""
    spec = read_definitions(data, filename)
    if strict and not spec.decisions:
        raise DmnError(f"{filename}: no <decision> in the file")
    token = PYTHON_CELLS.set(spec.python_cells)
    first = PYTHON_FIRST.set(spec.dialect == "python")
    try:
        definitions = DmnDefinitions(spec, filename, imported or {})
    finally:
        PYTHON_CELLS.reset(token)
        PYTHON_FIRST.reset(first)
    if strict and definitions.errors:
        raise DmnError(definitions.errors[0])
    _link_requirements(definitions, filename)
    return definitions


def load_dmn(path: Path) -> DmnDefinitions:
    """A DMN file with its imports resolved from the .dmn files in the same folder (by
    namespace); decisions that do not compile fail only when evaluated."""
    data = path.read_bytes()
    spec = read_definitions(data, str(path))
    imported = {}
    for namespace, name in spec.imports:
        for other in sorted(path.parent.glob("*.dmn")):
            if other == path:
                continue
            other_spec = read_definitions(other.read_bytes(), other.name)
            if other_spec.namespace == namespace:
                imported[name] = load_dmn(other)
                break
    return parse_dmn(data, str(path), strict=False, imported=imported)


def _link_requirements(definitions: DmnDefinitions, filename: str) -> None:
    decisions = definitions.decisions
    for decision in decisions.values():
        for required_id in decision.required_ids:
            found = _find_required(definitions, required_id)
            if found is None:
                raise DmnError(
                    f"{filename}: decision {decision.id!r} requires unknown decision "
                    f"{required_id!r}"
                )
            decision.required.append(found)
    for decision in decisions.values():
        _check_acyclic(decision, (), filename)


def _find_required(definitions: DmnDefinitions, href: str) -> "Decision | None":
    namespace, _, decision_id = href.rpartition("#")
    if not namespace or namespace == definitions.namespace:
        return definitions.decisions.get(decision_id)
    model = next((m for m in definitions.imported.values() if m.namespace == namespace), None)
    return None if model is None else model.decisions.get(decision_id)


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
