"""Compiled nodes of FEEL's scoped constructs: contexts, filters, for/some/every, function
literals and invocations, `instance of`. A nested scope is a Scope over the outer context,
so nothing is copied per evaluation."""

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from bpmn.feel_nodes import Compiled, Scope, const
from bpmn.feel_types import type_checker
from bpmn.feel_values import FeelError, FeelFunction, Range, kind, normalize
from bpmn.limits import checked_int


def context_node(entries: list[tuple[str, Compiled]]) -> Compiled:
    """`{a: 1, b: a + 1}`: each entry sees the ones before it."""
    pairs = [(key, node.fn) for key, node in entries]
    names = frozenset().union(*(node.names for _, node in entries)) if entries else frozenset()
    uses_input = any(node.uses_input for _, node in entries)

    def fn(ctx, q):
        result: dict = {}
        scope = Scope(result, ctx)
        for key, f in pairs:
            result[key] = f(scope, q)
        return result

    return Compiled(fn, names, uses_input)


def list_node(items: list[Compiled]) -> Compiled:
    if all(i.is_const for i in items):
        return const([i.const for i in items])
    fns = [i.fn for i in items]
    names = frozenset().union(*(i.names for i in items))
    return Compiled(
        lambda ctx, q: [f(ctx, q) for f in fns], names, any(i.uses_input for i in items)
    )


def _item_scope(item: Any, ctx: Mapping) -> Mapping:
    own = {"item": item}
    if isinstance(item, dict):
        own = {"item": item, **item}
    return Scope(own, ctx)


def filter_node(target: Compiled, condition: Compiled, strict: bool = False) -> Compiled:
    """`list[3]`, `list[-1]` (1-based, from the end), `list[item > 2]`, `people[age > 18]`."""
    t, c = target.fn, condition.fn
    names = target.names | condition.names

    def fn(ctx, q):
        value = t(ctx, q)
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        # A condition that reads no names (`[2]`, `[-1]`) is an index; one that does is tried
        # on the first item: a number there is an index too (`[i]`), else it filters.
        index = c(ctx, q) if not condition.names else None
        if kind(index) == "number":
            return _at(items, index)
        out = []
        for item in items:
            keep = c(_item_scope(normalize(item), ctx), q)
            if keep is True:
                out.append(item)
            elif strict and keep is not False and keep is not None:
                return None  # a boxed filter's match must be boolean
            elif kind(keep) == "number" and item is items[0] and not out:
                return _at(items, keep)
        return out

    return Compiled(fn, names, target.uses_input or condition.uses_input)


def _at(items: list, index: Decimal) -> Any:
    if index != index.to_integral_value():
        return None
    position = checked_int(index)
    if position > 0 and position <= len(items):
        return normalize(items[position - 1])
    if position < 0 and -position <= len(items):
        return normalize(items[position])
    return None


# Loops build their results in memory: `for i in 1..1000000000` is refused, not attempted.
MAX_ITEMS = 1_000_000


class Span(Range):
    """`a..b` after `for x in`: integers or days from a to b, counting down when b < a."""


def iteration_domain(value: Any) -> list | None:
    """What `for x in ...` walks: a list, a single value, `1..3` or a range value `[1..3)`."""
    if isinstance(value, Range):
        return _walk(value)
    if value is None:
        return None
    return value if isinstance(value, list) else [value]


def _walk(value: Range) -> list | None:
    low, high = value.low, value.high
    kinds = {kind(low), kind(high)}
    if len(kinds) != 1 or kinds - {"number", "date"}:
        return None
    if not isinstance(value, Span) and high < low:
        return None
    step = 1 if high >= low else -1
    span = abs((high - low).days) if kinds == {"date"} else abs(high - low)
    if span > MAX_ITEMS:
        raise FeelError(f"a loop over more than {MAX_ITEMS} items")
    if kinds == {"date"}:
        count = (high - low).days
        items = [low + dt.timedelta(days=i) for i in range(0, count + step, step)]
    else:
        if low != low.to_integral_value() or high != high.to_integral_value():
            return None
        items = [Decimal(i) for i in range(checked_int(low), checked_int(high) + step, step)]
    if not value.low_closed and items:
        items = items[1:]
    if not value.high_closed and items:
        items = items[:-1]
    return items


class _NoDomain(Exception):
    """`for x in` something that cannot be walked: the whole loop is null."""


def for_node(variables: list[tuple[str, Compiled]], body: Compiled) -> Compiled:
    """`for i in xs, j in ys return e`: the cartesian product, with `partial` the results so far."""
    b = body.fn
    names = body.names.union(*(d.names for _, d in variables))
    if len(variables) == 1:
        return Compiled(_single_loop(variables[0], b), names, body.uses_input)

    def fn(ctx, q):
        results: list = []

        def walk(level: int, scope: dict):
            if level == len(variables):
                if len(results) >= MAX_ITEMS:
                    raise FeelError(f"a loop over more than {MAX_ITEMS} items")
                results.append(b(Scope({**scope, "partial": results}, ctx), q))
                return
            name, domain = variables[level]
            items = iteration_domain(domain.fn(Scope(scope, ctx), q))
            if items is None:
                raise _NoDomain
            for item in items:
                walk(level + 1, {**scope, name: normalize(item)})

        try:
            walk(0, {})
        except _NoDomain:
            return None
        return results

    return Compiled(fn, names, body.uses_input)


def _single_loop(variable: tuple[str, Compiled], b):
    """The common `for x in xs return e`, without the general walk (a fresh scope per item:
    a function created in the body keeps its own `x`)."""
    name, domain = variable
    d = domain.fn

    def fn(ctx, q):
        items = iteration_domain(d(ctx, q))
        if items is None:
            return None
        results: list = []
        for item in items:
            results.append(b(Scope({name: normalize(item), "partial": results}, ctx), q))
        return results

    return fn


def quantified_node(
    every: bool, variables: list[tuple[str, Compiled]], test: Compiled, strict: bool = False
) -> Compiled:
    """`some x in xs satisfies x > 2` / `every ...`: true, false or null (when undecided)."""
    looped = for_node(variables, test)
    f = looped.fn

    def fn(ctx, q):
        results = f(ctx, q)
        if results is None:
            return None
        if strict and any(r is not None and not isinstance(r, bool) for r in results):
            return None
        if every:
            if any(r is False for r in results):
                return False
            return True if all(r is True for r in results) else None
        if any(r is True for r in results):
            return True
        return False if all(r is False for r in results) else None

    return Compiled(fn, looped.names, looped.uses_input)


def function_node(params: list[str], body: Compiled, types: list | None = None) -> Compiled:
    """`function(a, b) a + b`: a closure over the context it is created in. An argument
    that is not of its parameter's declared type makes the call null."""
    b = body.fn
    names = tuple(params)
    checks = [(i, typed_check(t)) for i, t in enumerate(types or ()) if t]

    def fn(ctx, q):
        def run(args):
            for index, check in checks:
                if args[index] is not None and not check(args[index], ctx):
                    return None
            return b(Scope(dict(zip(names, args, strict=False)), ctx), q)

        return FeelFunction("anonymous", names, run)

    return Compiled(fn, body.names, body.uses_input)


def invoke(function: Any, args: list, named: dict | None) -> Any:
    if isinstance(function, FeelFunction):
        return normalize(function.call(args, named))
    return None


def call_node(target: Compiled, args: list[Compiled], keys: list[str] | None) -> Compiled:
    """A call of a function value (user function, BKM, decision service, built-in by name)."""
    t = target.fn
    fns = [a.fn for a in args]
    names = target.names.union(*(a.names for a in args))
    uses_input = target.uses_input or any(a.uses_input for a in args)
    if keys is None:
        return Compiled(
            lambda ctx, q: invoke(t(ctx, q), [f(ctx, q) for f in fns], None), names, uses_input
        )

    def fn(ctx, q):
        named = {k: f(ctx, q) for k, f in zip(keys, fns, strict=True)}
        return invoke(t(ctx, q), [], named)

    return Compiled(fn, names, uses_input)


TYPES_KEY = " types"  # the model's item definitions in a context (no FEEL name has a space first)


def typed_check(type_text: str) -> Callable[[Any, Mapping], bool]:
    """A check of `value instance of T`, T a FEEL type or an item definition of the model
    (found in the context under TYPES_KEY when the check runs)."""
    static = type_checker(type_text)
    cache: dict = {}

    def check(value, ctx):
        named = ctx.get(TYPES_KEY)
        if named is None:
            return static(value)
        key = id(named)
        if key not in cache:
            cache[key] = type_checker(type_text, named)
        return cache[key](value)

    return check


def instance_node(value: Compiled, type_text: str) -> Compiled:
    f = value.fn
    check = typed_check(type_text)
    return Compiled(lambda ctx, q: check(f(ctx, q), ctx), value.names, value.uses_input)
