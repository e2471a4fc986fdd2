"""A decision's test rows: example inputs with the outputs expected, as people type them in a
table, stored as the engine's test cases and run against a version with the real engine.

Stored shape (what `Decision.run_tests` and `do_publish_decision` read):
``{"name": "VIP", "input": {"customer_tier": "VIP"}, "expected": {"priority": 4, ...}}``;
one output column expects a plain value, several an object by output name.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from bpmn.dmn import Decision, DmnError, same_value
from bpmn.dmn_xml import DecisionSpec
from bpmn.feel_values import number_text, to_json
from definitions.element_names import local_name

NUMBER_TYPES = {"number", "integer", "long", "double", "decimal"}
TRUE_WORDS = {"true", "yes", "y", "是", "1"}
FALSE_WORDS = {"false", "no", "n", "否", "0"}
MAX_ROWS = 200


class RowsError(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Column:
    key: str  # the input expression (a name in the process data) or the output name
    label: str
    type_ref: str


def columns(spec: DecisionSpec) -> tuple[list[Column], list[Column]]:
    """The input and output columns, labelled in the reader's language where the table
    writes a label in both ("Outcome (处理结果)")."""
    inputs = [
        Column(i.expression, local_name(i.label or i.expression), i.type_ref) for i in spec.inputs
    ]
    outputs = [
        Column(
            o.name or spec.variable or spec.id,
            local_name(o.label or o.name or spec.name),
            o.type_ref,
        )
        for o in spec.outputs
    ] or [Column(spec.variable or spec.id, local_name(spec.name or spec.id), spec.type_ref or "")]
    return inputs, outputs


def _value(text: str, column: Column, where: str) -> Any:
    text = text.strip()
    if text == "":
        return None
    if text[0] in "[{":
        try:
            return json.loads(text)
        except ValueError:
            raise RowsError(
                [
                    _("%(where)s: “%(text)s” is not a valid list or object")
                    % {"where": where, "text": text}
                ]
            ) from None
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    kind = column.type_ref.lower()
    if kind in NUMBER_TYPES:
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise RowsError(
                [_("%(where)s: “%(text)s” is not a number") % {"where": where, "text": text}]
            )
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "boolean":
        word = text.lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise RowsError(
            [_("%(where)s: write yes or no, not “%(text)s”") % {"where": where, "text": text}]
        )
    return text


def parse_rows(raw_rows: Any, spec: DecisionSpec) -> list[dict]:
    """Rows as typed in the page ({"name", "inputs": {key: text}, "expected": {key: text}})
    -> stored test cases. Raises RowsError listing every cell that cannot be read."""
    if not isinstance(raw_rows, list) or len(raw_rows) > MAX_ROWS:
        raise RowsError([_("Test rows must be a list of at most %(n)s rows.") % {"n": MAX_ROWS}])
    inputs, outputs = columns(spec)
    cases, problems = [], []
    for number, raw in enumerate(raw_rows, start=1):
        if not isinstance(raw, dict):
            problems.append(_("Row %(n)s cannot be read.") % {"n": number})
            continue
        typed_in = _texts(raw.get("inputs"))
        typed_out = _texts(raw.get("expected"))
        case: dict = {"input": {}}
        name = str(raw.get("name") or "").strip()[:200]
        if name:
            case["name"] = name
        expected = {}
        for group, cells, target in (
            (inputs, typed_in, case["input"]),
            (outputs, typed_out, expected),
        ):
            for column in group:
                where = pgettext("decisions", "Row %(n)s, %(column)s") % {
                    "n": number,
                    "column": column.label,
                }
                try:
                    target[column.key] = _value(cells.get(column.key, ""), column, where)
                except RowsError as exc:
                    problems.extend(exc.messages)
        case["expected"] = expected if len(outputs) > 1 else expected[outputs[0].key]
        cases.append(case)
    if problems:
        raise RowsError(problems)
    return cases


def _texts(cells: Any) -> dict[str, str]:
    if not isinstance(cells, dict):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in cells.items()}


def cell_text(value: Any) -> str:
    """A stored value as a person types it back into the row table."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return number_text(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))
    if isinstance(value, str):
        return value
    return to_json(value)


def rows_for_form(cases: list[dict], spec: DecisionSpec) -> list[dict]:
    inputs, outputs = columns(spec)
    rows = []
    for case in cases:
        given = case.get("input") or {}
        expected = case.get("expected")
        if len(outputs) == 1:
            expected = {outputs[0].key: expected}
        elif not isinstance(expected, dict):
            expected = {}
        rows.append(
            {
                "name": case.get("name", ""),
                "inputs": [(c, cell_text(given.get(c.key))) for c in inputs],
                "expected": [(c, cell_text(expected.get(c.key))) for c in outputs],
            }
        )
    return rows


@dataclass
class Outcome:
    column: str
    expected: str
    actual: str
    same: bool


@dataclass
class RowResult:
    number: int
    name: str
    passed: bool
    outcomes: list[Outcome] = field(default_factory=list)
    error: str = ""

    @property
    def label(self) -> str:
        if self.name:
            return pgettext("decisions", "Row %(n)s (%(name)s)") % {
                "n": self.number,
                "name": self.name,
            }
        return pgettext("decisions", "Row %(n)s") % {"n": self.number}


def value_words(value: Any) -> str:
    if value is None:
        return pgettext("decisions", "nothing")
    if isinstance(value, bool):
        return pgettext("decisions", "yes") if value else pgettext("decisions", "no")
    if isinstance(value, str):
        return f"“{value}”"
    return cell_text(value)


def run_rows(decision: Decision, cases: list[dict], spec: DecisionSpec) -> list[RowResult]:
    """Evaluate each row with the real engine; per row, every output expected vs actual."""
    _inputs, outputs = columns(spec)
    results = []
    for number, case in enumerate(cases, start=1):
        result = RowResult(number, case.get("name", ""), passed=False)
        try:
            actual = decision.evaluate(case.get("input") or {}).value
        except DmnError as exc:
            result.error = str(exc)
            results.append(result)
            continue
        expected = case.get("expected")
        if len(outputs) > 1 and isinstance(expected, dict) and isinstance(actual, dict | None):
            actual = actual or {}
            for column in outputs:
                want, got = expected.get(column.key), actual.get(column.key)
                result.outcomes.append(
                    Outcome(
                        column.label, value_words(want), value_words(got), same_value(want, got)
                    )
                )
        else:
            result.outcomes.append(
                Outcome(
                    outputs[0].label if len(outputs) == 1 else pgettext("decisions", "result"),
                    value_words(expected),
                    value_words(actual),
                    same_value(expected, actual),
                )
            )
        result.passed = all(o.same for o in result.outcomes)
        results.append(result)
    return results
