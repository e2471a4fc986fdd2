"""Compile the texts of a decision table: FEEL first, then SpiffArena-style Python.

SpiffArena tables are full of Python (`len(toppings)`, `'Large'`, `in ["a", "b"]`), so a text
that is not FEEL but is a Python expression runs through the sandbox's evaluator (never
eval/exec), following SpiffWorkflow's convention for cells: an expression that does not read
the input is compared with it for equality; one that starts with an operator (`> 5`,
`in [...]`, `== "x"`) is applied to it; one that reads the input, or `?`, is the condition.
"""

import ast
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from bpmn import feel
from bpmn.dmn_xml import DmnError
from bpmn.feel_nodes import Compiled, UnaryTestSpec, build_test, const
from bpmn.feel_values import FeelError, normalize
from bpmn.limits import MAX_INT_DIGITS
from bpmn.sandbox import ExpressionError, compile_expression, evaluate_expression

PYTHON_INPUT = "dmninputexpr"  # the name SpiffWorkflow gives the input in Python cells
# Whether the file being compiled may hold Python cells (set by dmn.parse_dmn per file).
PYTHON_CELLS: ContextVar[bool] = ContextVar("python_cells", default=True)
# Whether texts are Python before FEEL (files marked as SpiffArena's: dmn_xml.expression_dialect).
PYTHON_FIRST: ContextVar[bool] = ContextVar("python_first", default=False)


def compile_value(text: str, known: Iterable[str], where: str) -> Compiled:
    """An input expression, output entry or default output entry. An empty text is null."""
    if not text.strip():
        return const(None)
    if PYTHON_FIRST.get() and (tree := _python_tree(text, where)) is not None:
        return _python_value(text, tree, where)
    try:
        return feel.compile_expression(text, known)
    except FeelError as feel_error:
        tree = _python_tree(text, where) if PYTHON_CELLS.get() else None
        if tree is None:
            raise DmnError(f"{where}: {feel_error}") from feel_error
        return _python_value(text, tree, where)


def compile_cell(
    text: str, known: Iterable[str], input_names: frozenset, where: str
) -> feel.UnaryTest | None:
    """An input entry; None when it matches anything (`-` or empty)."""
    if PYTHON_FIRST.get() and text.strip() not in ("", "-"):
        test = _python_cell(text.strip(), input_names, where)
        if test is not None:
            return test
    try:
        return feel.compile_unary_tests(text, known, input_names)
    except FeelError as feel_error:
        test = _python_cell(text.strip(), input_names, where) if PYTHON_CELLS.get() else None
        if test is None:
            raise DmnError(f"{where}: {feel_error}") from feel_error
        return test


def python_names(text: str) -> frozenset:
    """Names a Python input expression reads (for telling conditions from values)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return frozenset()
    return _read_names(tree)


# ---------------------------------------------------------------- Python fallback


def _python_tree(source: str, where: str) -> ast.Expression | None:
    """The parsed expression, None if it is not Python; DmnError if it reaches for internals.
    The sandbox refuses these too, but refusing at upload time names the cell."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
        if isinstance(name, str) and name.startswith("_"):
            raise DmnError(f"{where}: {name!r} is not allowed in an expression")
    try:
        compile_expression(source)  # the sandbox's own syntax check
    except ExpressionError as exc:
        raise DmnError(f"{where}: {exc}") from exc
    return tree


def _python_value(source: str, tree: ast.Expression, where: str) -> Compiled:
    names = _read_names(tree)
    if not names and not any(
        isinstance(n, ast.Call) for n in ast.walk(tree)
    ):  # a literal such as 'Large': evaluate once
        return const(_run_python(source, {}, None, where))
    return Compiled(lambda ctx, q: normalize(_run(source, ctx, q)), names)


def _python_cell(text: str, input_names: frozenset, where: str) -> feel.UnaryTest | None:
    with_input = _replace_question_marks(text)
    if with_input != text:
        if _python_tree(with_input, where) is None:
            return None
        return _condition(with_input)
    tree = _python_tree(text, where)
    if tree is not None:
        if _read_names(tree) & input_names:
            return _condition(text)
        value = _python_value(text, tree, where)
        return build_test(UnaryTestSpec("expr", value))
    applied = f"{PYTHON_INPUT} {text}"
    if _python_tree(applied, where) is None:
        return None
    return _condition(applied)


def _condition(source: str) -> feel.UnaryTest:
    return lambda v, ctx: bool(_run(source, ctx, v))


def _run(source: str, ctx: Mapping[str, Any], value: Any) -> Any:
    names = {**ctx, PYTHON_INPUT: to_python(value)} if PYTHON_INPUT in source else ctx
    return evaluate_expression(source, names)


def _run_python(source: str, ctx: Mapping[str, Any], value: Any, where: str) -> Any:
    try:
        return normalize(_run(source, ctx, value))
    except ExpressionError as exc:
        raise DmnError(f"{where}: {exc}") from exc


def to_python(value: Any) -> Any:
    """FEEL value -> what Python cells expect: Decimal as int when integral, else float
    (SpiffArena tables were written against JSON numbers)."""
    if value.__class__ is Decimal:
        if value.is_finite() and value.adjusted() >= MAX_INT_DIGITS:
            return float(value)  # int() of a 10**999999 would take most of a minute
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [to_python(item) for item in value]
    return value


def _replace_question_marks(text: str) -> str:
    """`?` outside string literals -> the input's name, as SpiffWorkflow does."""
    out, quote = [], None
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "?":
            char = PYTHON_INPUT
        out.append(char)
    return "".join(out)


def _read_names(tree: ast.AST) -> frozenset:
    """Variables an expression reads; called functions (`len`) are not data."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return frozenset(
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called
    )
