"""FEEL (DMN 1.5 chapter 10) compiled to Python closures: no eval/exec, every text parsed once.

`compile_expression` turns a FEEL expression (literal expressions, input expressions, output
entries) into a `Compiled` whose `fn(context, input_value)` returns a FEEL value;
`compile_unary_tests` turns a decision-table cell (`< 10`, `[1..5)`, `"a","b"`, `not(...)`,
`-`) into `test(value, context) -> bool`. The grammar is in feel_parser.py (with
feel_reader.py and feel_literals.py), the tokens in feel_lexer.py, values and operators in
feel_values.py and feel_arith.py, dates and durations in feel_temporal.py and
feel_calendar.py, scoped constructs (contexts, loops, functions) in feel_scope.py, types in
feel_types.py and the built-in library in feel_functions.py, feel_library.py and
feel_lists.py.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from bpmn.feel_nodes import Compiled, UnaryTest, build_test, constants_of
from bpmn.feel_parser import Parser
from bpmn.feel_values import FeelError, normalize

__all__ = [
    "Compiled",
    "FeelError",
    "UnaryTest",
    "compile_expression",
    "compile_unary_tests",
    "constant_list",
    "evaluate",
    "matches",
    "normalize",
]


def compile_expression(text: str, known_names: Iterable[str] = ()) -> Compiled:
    """Compile a FEEL expression. Raises FeelError if it is not (supported) FEEL.

    `known_names` are names that may contain spaces or keywords (`Applicant Age`); they are
    read as one name wherever they occur.
    """
    return Parser(text, known_names).parse_expression()


def compile_unary_tests(
    text: str, known_names: Iterable[str] = (), input_names: Iterable[str] = ()
) -> UnaryTest | None:
    """Compile a cell; None for `-` or an empty cell (matches anything).

    `input_names` are the names the column's input expression reads: a boolean expression
    over them (`Age > 18 and Age < 65`) is a condition rather than a value to compare with.
    The returned test expects a FEEL value (see normalize()).
    """
    spec = Parser(text, known_names).parse_unary_tests()
    return None if spec is None else build_test(spec, frozenset(input_names))


def constant_list(text: str) -> list | None:
    """The constants of a value list such as `"High", "Low"` (inputValues/outputValues), or
    None if the text is not FEEL or not all constants."""
    try:
        spec = Parser(text, ()).parse_unary_tests()
    except FeelError:
        return None
    return None if spec is None else constants_of(spec)


def evaluate(text: str, context: Mapping[str, Any] | None = None) -> Any:
    """Compile and evaluate once (tests, the CLI); engines keep the compiled closure."""
    context = context or {}
    return compile_expression(text, tuple(context)).fn(context, None)


def matches(text: str, value: Any, context: Mapping[str, Any] | None = None) -> bool:
    """Does `value` pass the cell `text`? (Compiles every call; for tests and tools.)"""
    context = context or {}
    test = compile_unary_tests(text, tuple(context))
    return True if test is None else test(normalize(value), context)
