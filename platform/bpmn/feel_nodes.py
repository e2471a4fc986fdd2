"""Compiled FEEL nodes: the closures expressions compile to, and the decision-table cell
tests built from them.

Nodes whose operands are all constants are folded when built, so `>= date("2026-01-01")`
costs one comparison at evaluation time. Cells are the engine's hot path, so a cell with a
constant operand becomes a one-line closure with the constant bound in
(`v.__class__ is Decimal and v < c`) instead of a walk over generic helpers.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from bpmn.feel_arith import add, divide, multiply, power, subtract
from bpmn.feel_values import (
    COMPARISONS,
    Range,
    compare,
    equal,
    normalize,
    path,
)

UnaryTest = Callable[[Any, Mapping[str, Any]], bool]


@dataclass(slots=True)
class Compiled:
    """A compiled expression: fn(context, input_value) -> FEEL value."""

    fn: Callable[[Mapping[str, Any], Any], Any]
    names: frozenset = frozenset()  # context names it reads
    uses_input: bool = False  # reads `?`
    is_const: bool = False
    const: Any = None


@dataclass(slots=True)
class UnaryTestSpec:
    """One parsed cell: kind is "any" (comma list), "not", a comparison operator, "=", "!="
    or "expr" (a plain expression: equality, membership or condition)."""

    kind: str
    operand: Compiled | None = None
    children: list = field(default_factory=list)


class Scope(Mapping):
    """Names bound by a context, loop or call (`own`) over the enclosing ones (`parent`).
    A lighter ChainMap: evaluation looks names up far more often than it builds scopes."""

    __slots__ = ("own", "parent")

    def __init__(self, own: dict, parent: Mapping):
        self.own = own
        self.parent = parent

    def __getitem__(self, key):
        own = self.own
        return own[key] if key in own else self.parent[key]

    def get(self, key, default=None):
        own = self.own
        return own[key] if key in own else self.parent.get(key, default)

    def __contains__(self, key) -> bool:
        return key in self.own or key in self.parent

    def __iter__(self):
        seen = set(self.own)
        yield from self.own
        yield from (key for key in self.parent if key not in seen)

    def __len__(self) -> int:
        return sum(1 for _ in self)


# ---------------------------------------------------------------- expression nodes


def const(value) -> Compiled:
    if isinstance(value, list | dict):
        return Compiled(lambda ctx, q: _fresh(value), is_const=True, const=value)
    return Compiled(lambda ctx, q: value, is_const=True, const=value)


def _fresh(value):
    """Constant lists are copied per evaluation, so callers may mutate what they get."""
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    return value


def apply(op, *nodes: Compiled, pure: bool = True) -> Compiled:
    names = frozenset().union(*(n.names for n in nodes))
    uses_input = any(n.uses_input for n in nodes)
    if pure and all(n.is_const for n in nodes):
        return const(op(*(n.const for n in nodes)))
    fns = [n.fn for n in nodes]
    if len(fns) == 1:
        (f,) = fns
        fn = lambda ctx, q: op(f(ctx, q))  # noqa: E731 - closures are the compiled form
    elif len(fns) == 2:
        f, g = fns
        fn = lambda ctx, q: op(f(ctx, q), g(ctx, q))  # noqa: E731
    else:
        fn = lambda ctx, q: op(*[f(ctx, q) for f in fns])  # noqa: E731
    return Compiled(fn, names, uses_input)


def name_node(name: str, fallback: Any = None) -> Compiled:
    """A variable; `fallback` is what an undeclared name means (a built-in function value)."""
    if "." in name:
        return _dotted_name(name)
    if fallback is None:
        return Compiled(lambda ctx, q: normalize(ctx.get(name)), frozenset([name]))
    return Compiled(lambda ctx, q: normalize(ctx.get(name, fallback)), frozenset([name]))


_MISSING = object()


def _dotted_name(name: str) -> Compiled:
    """A declared name with a dot (`Person.Gender`, a BKM parameter) is that name where it
    is bound, and the path `Person` . `Gender` elsewhere."""
    first, *rest = name.split(".")

    def fn(ctx, q):
        value = ctx.get(name, _MISSING)
        if value is not _MISSING:
            return normalize(value)
        value = normalize(ctx.get(first))
        for key in rest:
            value = path(value, key)
        return value

    return Compiled(fn, frozenset([name, first]))


def logic(is_and: bool, left: Compiled, right: Compiled) -> Compiled:
    """Three-valued `and`/`or`: false and null = false, true and null = null."""
    stop = not is_and  # `and` stops at False, `or` at True

    def combine(a, b):
        if a is stop or b is stop:
            return stop
        return (not stop) if a is (not stop) and b is (not stop) else None

    if left.is_const and left.const is stop:
        return const(stop)
    node = apply(combine, left, right)
    if node.is_const:
        return node
    f, g = left.fn, right.fn

    def fn(ctx, q):
        a = f(ctx, q)
        return stop if a is stop else combine(a, g(ctx, q))

    return Compiled(fn, node.names, node.uses_input)


def if_node(cond: Compiled, then: Compiled, other: Compiled) -> Compiled:
    if cond.is_const:
        return then if cond.const is True else other
    c, t, e = cond.fn, then.fn, other.fn
    names = cond.names | then.names | other.names
    uses_input = cond.uses_input or then.uses_input or other.uses_input
    return Compiled(lambda ctx, q: t(ctx, q) if c(ctx, q) is True else e(ctx, q), names, uses_input)


def spec_names(spec: UnaryTestSpec) -> frozenset:
    own = spec.operand.names if spec.operand else frozenset()
    return own.union(*(spec_names(child) for child in spec.children))


def between(value, low, high):
    above = compare(COMPARISONS[">="], value, low)
    below = compare(COMPARISONS["<="], value, high)
    return None if above is None or below is None else above and below


def _not_equal(a, b):
    same = equal(a, b)
    return None if same is None else not same


BINARY = {"+": add, "-": subtract, "*": multiply, "/": divide, "**": power}
COMPARE_OPS = {
    "=": equal,
    "!=": lambda a, b: _not_equal(a, b),
    **{op: partial(compare, fn) for op, fn in COMPARISONS.items()},
}


# ---------------------------------------------------------------- cell tests


def build_test(spec: UnaryTestSpec, input_names: frozenset = frozenset()) -> UnaryTest:
    if spec.kind == "not":
        inner = _any_of([build_test(s, input_names) for s in spec.children])
        return lambda v, ctx: not inner(v, ctx)
    if spec.kind == "any":
        return _any_of([build_test(s, input_names) for s in spec.children])
    if spec.kind in COMPARISONS:
        return _comparison(spec.kind, spec.operand)
    if spec.kind == "!=":
        equals = _equality(spec.operand, False)
        return lambda v, ctx: not equals(v, ctx)
    if spec.kind == "=":
        return _equality(spec.operand, False)
    return _equality(spec.operand, bool(spec.operand.names & input_names))


def constants_of(spec: UnaryTestSpec) -> list | None:
    """The values of a cell made only of constants ("a", "b", 3), else None. Used for
    inputValues/outputValues lists."""
    parts = spec.children if spec.kind == "any" else [spec]
    values = []
    for part in parts:
        if part.kind != "expr" or not part.operand.is_const:
            return None
        values.append(part.operand.const)
    return values


def _any_of(tests: list[UnaryTest]) -> UnaryTest:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda v, ctx: first(v, ctx) or second(v, ctx)
    members = tuple(tests)
    return lambda v, ctx: any(test(v, ctx) for test in members)


def _comparison(op_text: str, operand: Compiled) -> UnaryTest:
    op = COMPARISONS[op_text]
    if not operand.is_const:
        fn = operand.fn
        return lambda v, ctx: compare(op, v, fn(ctx, v)) is True
    c = operand.const
    cls = c.__class__
    if cls is Decimal or cls is str:
        # Same-class values compare directly; null or another type is simply no match.
        return lambda v, ctx: v.__class__ is cls and op(v, c)
    return lambda v, ctx: compare(op, v, c) is True


def _equality(operand: Compiled, condition: bool) -> UnaryTest:
    """A plain expression in a cell: the input equals it, is in it (list or range), or, if it
    reads `?` or the input's own names and gives a boolean, it is the condition itself."""
    if operand.is_const:
        return _constant_equality(operand.const)
    fn = operand.fn
    if operand.uses_input:
        return lambda v, ctx: fn(ctx, v) is True
    return lambda v, ctx: _dynamic_match(v, fn(ctx, v), condition)


def _constant_equality(c: Any) -> UnaryTest:
    cls = c.__class__
    if c is None or cls is bool:
        return lambda v, ctx: v is c
    if cls is str:
        return lambda v, ctx: v == c
    if cls is Decimal:
        # Decimal(1) == True in Python; FEEL keeps numbers and booleans apart.
        return lambda v, ctx: v.__class__ is Decimal and v == c
    if cls is Range:
        return _range_test(c)
    if cls is list:
        return _membership(c)
    return lambda v, ctx: equal(v, c)


def _range_test(r: Range) -> UnaryTest:
    low, high = r.low, r.high
    if low.__class__ is not high.__class__ or low.__class__ not in (Decimal, str):
        return lambda v, ctx: r.contains(v)
    cls = low.__class__
    low_closed, high_closed = r.low_closed, r.high_closed

    def test(v, ctx):
        if v.__class__ is not cls:
            return False
        if not (low <= v if low_closed else low < v):
            return False
        return v <= high if high_closed else v < high

    return test


def _membership(items: list) -> UnaryTest:
    """`[1, 2, 3]` as a cell: the input is one of the items (or equals the whole list)."""
    if all(i.__class__ is str for i in items):
        members = frozenset(items)
        return lambda v, ctx: v.__class__ is str and v in members
    snapshot = tuple(items)
    return lambda v, ctx: any(equal(v, i) for i in snapshot) or equal(v, list(snapshot))


def _dynamic_match(value: Any, result: Any, condition: bool) -> bool:
    if condition and result.__class__ is bool and value.__class__ is not bool:
        return result
    if result.__class__ is Range:
        return result.contains(value)
    if isinstance(result, list) and not isinstance(value, list):
        return any(equal(value, item) for item in result)
    return equal(value, result)
