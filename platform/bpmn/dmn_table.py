"""A decision table compiled once into closures, and evaluated under its hit policy.

Every cell is compiled when the file is parsed, `-` cells are dropped from a rule's tests,
and constant output entries are evaluated (and checked against outputValues) at parse time,
so an evaluation is a loop of small closure calls.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bpmn.dmn_cells import compile_cell, compile_value, python_names
from bpmn.dmn_xml import DecisionSpec, DmnError, InputSpec, OutputSpec
from bpmn.feel import UnaryTest, compile_unary_tests, constant_list
from bpmn.feel_arith import add
from bpmn.feel_nodes import Compiled
from bpmn.feel_values import (
    COMPARISONS,
    FeelError,
    compare,
    equal,
    feel_string,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_time,
)
from bpmn.sandbox import ExpressionError

SINGLE_HIT = frozenset({"UNIQUE", "ANY", "FIRST", "PRIORITY"})
_COERCE = {  # inputExpression typeRef -> how a string from JSON process data is read
    "date": parse_date,
    "datetime": parse_datetime,
    "dateandtime": parse_datetime,
    "time": parse_time,
    "duration": parse_duration,
    "daytimeduration": parse_duration,
    "daysandtimeduration": parse_duration,
}


@dataclass(slots=True)
class Column:
    key: str  # label or expression text: the key in DecisionResult.inputs
    fn: Callable[[Mapping[str, Any], Any], Any]
    names: frozenset  # what the input expression reads
    coerce: Callable[[str], Any] | None
    allowed: UnaryTest | None  # inputValues
    allowed_text: str | None


@dataclass(slots=True)
class OutputColumn:
    name: str
    values: list | None  # outputValues, in priority order
    default: Compiled | None


@dataclass(slots=True)
class Rule:
    row: int
    tests: tuple  # ((column index, test), ...) without the `-` cells
    outputs: tuple  # compiled output entries
    constant: tuple | None  # the outputs, when all are constants
    priority: tuple | None  # PRIORITY / OUTPUT ORDER key, when constant


class Table:
    def __init__(self, spec: DecisionSpec, known: frozenset, filename: str, where: str = ""):
        self.id = spec.id
        self.where = where or f"{filename}: decision {spec.id!r}"
        self.policy = spec.hit_policy
        self.aggregation = spec.aggregation
        self.columns = [self._column(i, c, known) for i, c in enumerate(spec.inputs, start=1)]
        self.outputs = self._output_columns(spec, known)
        self.names = [o.name for o in self.outputs]
        self.has_default = any(o.default is not None for o in self.outputs)
        self.rules = [self._rule(r, known) for r in spec.rules]
        self._check_policy()

    # -- compiling

    def _column(self, index: int, spec: InputSpec, known: frozenset) -> Column:
        where = f"{self.where} input {index}"
        if not spec.expression:
            raise DmnError(f"{where}: the input has no expression")
        compiled = compile_value(spec.expression, known, where)
        names = compiled.names | python_names(spec.expression) | {spec.expression}
        allowed = None
        if spec.values:
            try:
                allowed = compile_unary_tests(spec.values, known)
            except FeelError as exc:
                raise DmnError(f"{where} inputValues: {exc}") from exc
        coerce = _COERCE.get(spec.type_ref.lower().replace(" ", "").removeprefix("feel:"))
        key = spec.label or spec.expression
        return Column(key, compiled.fn, frozenset(names), coerce, allowed, spec.values)

    def _output_columns(self, spec: DecisionSpec, known: frozenset) -> list[OutputColumn]:
        if not spec.outputs:
            raise DmnError(f"{self.where}: the table has no output column")
        if self.aggregation and len(spec.outputs) > 1:
            raise DmnError(f"{self.where}: aggregation {self.aggregation} needs a single output")
        return [
            self._output(index, out, spec, known) for index, out in enumerate(spec.outputs, start=1)
        ]

    def _output(self, index: int, out: OutputSpec, spec: DecisionSpec, known) -> OutputColumn:
        where = f"{self.where} output {index}"
        name = out.name or out.label or (spec.variable if len(spec.outputs) == 1 else "")
        if not name:
            raise DmnError(f"{where}: a table with several outputs needs a name for each")
        values = None
        if out.values:
            values = constant_list(out.values)
            if values is None:
                raise DmnError(f"{where}: outputValues must be a list of constants")
        default = compile_value(out.default, known, f"{where} default") if out.default else None
        return OutputColumn(name, values, default)

    def _rule(self, spec, known: frozenset) -> Rule:
        where = f"{self.where} rule {spec.row}"
        if len(spec.inputs) != len(self.columns) or len(spec.outputs) != len(self.outputs):
            raise DmnError(
                f"{where}: {len(spec.inputs)} input and {len(spec.outputs)} output entries for "
                f"{len(self.columns)} inputs and {len(self.outputs)} outputs"
            )
        tests = []
        for index, (text, column) in enumerate(zip(spec.inputs, self.columns, strict=True)):
            test = compile_cell(text, known, column.names, f"{where} input {index + 1}")
            if test is not None:
                tests.append((index, test))
        outputs = tuple(
            compile_value(text, known, f"{where} output {i}")
            for i, text in enumerate(spec.outputs, start=1)
        )
        rule = Rule(spec.row, tuple(tests), tuple(o.fn for o in outputs), None, None)
        if all(o.is_const for o in outputs):
            rule.constant = tuple(o.const for o in outputs)
            self._check_outputs(rule.constant, spec.row)
            rule.priority = self._priority(rule.constant)
        return rule

    def _check_policy(self) -> None:
        if self.policy in ("PRIORITY", "OUTPUT ORDER") and not any(o.values for o in self.outputs):
            raise DmnError(f"{self.where}: hit policy {self.policy} needs outputValues")

    # -- evaluating

    def evaluate(self, ctx: Mapping[str, Any]) -> tuple[Any, dict, list[int], dict]:
        values = [self._input(column, ctx) for column in self.columns]
        hits: list = []
        first_only = self.policy == "FIRST"
        rule = None
        try:
            for rule in self.rules:
                if _matches(rule, values, ctx):
                    hits.append((rule, self._outputs(rule, ctx)))
                    if first_only:
                        break
        except DmnError:
            raise
        except (ExpressionError, TypeError, ValueError, ArithmeticError) as exc:
            raise DmnError(f"{self.where} rule {rule.row}: {exc}") from exc
        hits, rows = self._apply_policy(hits)
        value, task_data = self._shape(hits, ctx)
        return value, task_data, rows, {c.key: v for c, v in zip(self.columns, values, strict=True)}

    def _input(self, column: Column, ctx: Mapping[str, Any]) -> Any:
        try:
            value = column.fn(ctx, None)
            if column.coerce is not None and value.__class__ is str:
                value = column.coerce(value)
        except (ExpressionError, FeelError) as exc:
            raise DmnError(f"{self.where} input {column.key!r}: {exc}") from exc
        if column.allowed is not None and value is not None and not column.allowed(value, ctx):
            raise DmnError(
                f"{self.where}: input {column.key!r} is {_text(value)}, "
                f"not one of its inputValues {column.allowed_text}"
            )
        return value

    def _outputs(self, rule: Rule, ctx: Mapping[str, Any]) -> tuple:
        if rule.constant is not None:
            return rule.constant
        values = tuple(fn(ctx, None) for fn in rule.outputs)
        self._check_outputs(values, rule.row)
        return values

    def _check_outputs(self, values: tuple, row: int) -> None:
        for out, value in zip(self.outputs, values, strict=True):
            if out.values and value is not None and not any(equal(value, v) for v in out.values):
                raise DmnError(
                    f"{self.where} rule {row}: output {out.name!r} is {_text(value)}, "
                    f"not one of its outputValues"
                )

    def _priority(self, values: tuple) -> tuple:
        key = []
        for out, value in zip(self.outputs, values, strict=True):
            if out.values:
                found = [i for i, allowed in enumerate(out.values) if equal(value, allowed)]
                key.append(found[0] if found else len(out.values))
        return tuple(key)

    def _apply_policy(self, hits: list) -> tuple[list, list[int]]:
        rows = [rule.row for rule, _ in hits]
        if self.policy == "UNIQUE" and len(hits) > 1:
            raise DmnError(f"{self.where}: hit policy UNIQUE, but rules {rows} all match")
        if self.policy == "ANY" and hits:
            first = hits[0][1]
            for rule, outputs in hits[1:]:
                if not all(equal(a, b) for a, b in zip(first, outputs, strict=True)):
                    raise DmnError(
                        f"{self.where}: hit policy ANY, but rules {hits[0][0].row} and "
                        f"{rule.row} give different outputs"
                    )
            return hits[:1], rows
        if self.policy in ("PRIORITY", "OUTPUT ORDER"):
            hits = sorted(hits, key=lambda hit: self._hit_priority(*hit))  # stable: rule order
            if self.policy == "PRIORITY":
                hits = hits[:1]
            rows = [rule.row for rule, _ in hits]
        return hits, rows

    def _hit_priority(self, rule: Rule, outputs: tuple) -> tuple:
        return rule.priority if rule.priority is not None else self._priority(outputs)

    def _shape(self, hits: list, ctx: Mapping[str, Any]) -> tuple[Any, dict]:
        if self.policy in SINGLE_HIT:
            outputs = hits[0][1] if hits else self._defaults(ctx)
            value = self._value(outputs) if hits or self.has_default else None
            return value, nest(dict(zip(self.names, outputs, strict=True)))
        if not hits and self.has_default:
            # No rule matched: the default output entries are the one result (for COLLECT
            # and the other multi-hit policies too, not only the single-hit ones).
            hits = [(None, self._defaults(ctx))]
            if self.aggregation:
                return hits[0][1][0], nest({self.names[0]: hits[0][1][0]})
        if self.aggregation:
            number = aggregate(self.aggregation, [outputs[0] for _, outputs in hits])
            return number, nest({self.names[0]: number})
        value = [self._value(outputs) for _, outputs in hits]
        columns = {n: [outputs[i] for _, outputs in hits] for i, n in enumerate(self.names)}
        return value, nest(columns)

    def _defaults(self, ctx: Mapping[str, Any]) -> tuple:
        try:
            return tuple(o.default.fn(ctx, None) if o.default else None for o in self.outputs)
        except ExpressionError as exc:
            raise DmnError(f"{self.where} defaultOutputEntry: {exc}") from exc

    def _value(self, outputs: tuple) -> Any:
        if len(outputs) == 1:
            return outputs[0]
        return dict(zip(self.names, outputs, strict=True))


def _matches(rule: Rule, values: list, ctx: Mapping[str, Any]) -> bool:
    for index, test in rule.tests:
        if not test(values[index], ctx):
            return False
    return True


def aggregate(aggregation: str, values: list) -> Any:
    """COLLECT with SUM/MIN/MAX/COUNT. Null outputs are skipped; COUNT of nothing is 0 and the
    others are null (FEEL's sum/min/max of an empty list)."""
    if aggregation == "COUNT":
        return Decimal(len(values))
    present = [v for v in values if v is not None]
    if not present:
        return None
    if aggregation == "SUM":
        total = present[0]
        for item in present[1:]:
            total = add(total, item)
        return total
    op = COMPARISONS["<"] if aggregation == "MIN" else COMPARISONS[">"]
    best = present[0]
    for item in present[1:]:
        if compare(op, item, best):
            best = item
    return best


def nest(flat: dict) -> dict:
    """{"a.b": 1, "a.c": 2} -> {"a": {"b": 1, "c": 2}}, as SpiffWorkflow does for outputs."""
    if not any("." in key for key in flat):
        return flat
    out: dict = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        target = out
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return out


def known_names(names: Iterable[str]) -> frozenset:
    return frozenset(n for n in names if n)


def _text(value: Any) -> str:
    """A value as the analyst wrote it (FEEL text), never a Python repr."""
    text = feel_string(value)
    return f'"{text}"' if isinstance(value, str) else text
