"""DMN item definitions: type checks of decision results and coercion of inputs.

`TypeRegistry.conform(value, type_ref)` returns the value when it conforms to the type,
converts what the standard converts (a singleton list to its item and back, a string given
for a date, time, date and time or duration, a JSON number), and gives null otherwise."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from lxml import etree

from bpmn.feel import compile_unary_tests
from bpmn.feel_types import base_kind, type_checker
from bpmn.feel_values import (
    FeelError,
    normalize,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_time,
)

_FROM_TEXT = {
    "date": parse_date,
    "datetime": parse_datetime,
    "time": parse_time,
    "duration": parse_duration,
    "ymduration": parse_duration,
}


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _children(el, name: str) -> list:
    return [c for c in el if _local(c) == name]


def _type_ref_of(el) -> str | None:
    found = _children(el, "typeRef")
    if found and found[0].text:
        return found[0].text.strip()
    return el.get("typeRef")


class TypeRegistry:
    def __init__(self):
        self.checks: dict[str, Callable[[Any], bool]] = {}
        self.collections: dict[str, bool] = {}
        self.function_outputs: dict[str, str] = {}  # function item -> its result type
        self.allowed: dict[str, Callable] = {}  # item definition -> its allowedValues test

    def add_item_definitions(self, definitions: list, prefix: str = "") -> None:
        for el in definitions:
            name = el.get("name")
            if name:
                self.checks[prefix + name] = self._item_check(el, prefix)
                self.collections[prefix + name] = el.get("isCollection") == "true"

    def _item_check(self, el, prefix: str) -> Callable[[Any], bool]:
        components = _children(el, "itemComponent")
        if components:
            fields = {c.get("name"): self._item_check(c, prefix) for c in components}

            def single(v):
                return isinstance(v, dict) and all(
                    k in v and (v[k] is None or check(normalize(v[k])))
                    for k, check in fields.items()
                )
        elif _children(el, "functionItem"):
            output = _children(el, "functionItem")[0].get("outputTypeRef")
            if output:
                self.function_outputs[prefix + (el.get("name") or "")] = prefix_ref(output, prefix)
            single = lambda v: v.__class__.__name__ == "FeelFunction"  # noqa: E731
        else:
            type_ref = _type_ref_of(el)
            single = (
                (lambda v: True) if not type_ref else self.checker(prefix_ref(type_ref, prefix))
            )
            allowed = _allowed(el)
            if allowed is not None:  # checked when a value is coerced, not by `instance of`
                self.allowed[prefix + (el.get("name") or "")] = allowed
        if el.get("isCollection") == "true":
            return lambda v: (
                isinstance(v, list) and all(x is None or single(normalize(x)) for x in v)
            )
        return single

    def checker(self, type_ref: str) -> Callable[[Any], bool]:
        if type_ref in self.checks:
            return self.checks[type_ref]
        # A lazily-resolved name: item definitions may refer to ones defined later.
        return lambda v: (
            self.checks[type_ref](v)
            if type_ref in self.checks
            else type_checker(type_ref, self.checks)(v)
        )

    def conform(self, value: Any, type_ref: str | None) -> Any:
        value = normalize(value)
        if not type_ref or value is None or type_ref in ("Any", "any"):
            return value
        if not self.knows(type_ref):
            return value  # a type this engine cannot check is not a reason to drop a value
        check = self.checker(type_ref)
        allowed = self.allowed.get(type_ref)
        if allowed is not None and check(value) and not allowed(value, {}):
            return None
        if check(value):
            return value
        kind_name = base_kind(type_ref)
        if isinstance(value, str) and kind_name in _FROM_TEXT:
            try:
                converted = _FROM_TEXT[kind_name](value)
            except FeelError:
                return None
            return converted if check(converted) else None
        if isinstance(value, list) and len(value) == 1 and check(normalize(value[0])):
            return normalize(value[0])
        if self._is_collection(type_ref) and check([value]):
            return [value]
        if (
            kind_name == "datetime"
            and isinstance(value, dt.date)
            and not isinstance(value, dt.datetime)
        ):
            return dt.datetime.combine(value, dt.time())
        return None

    def knows(self, type_ref: str) -> bool:
        head = type_ref.partition("<")[0].strip()
        return (
            type_ref in self.checks
            or base_kind(type_ref) is not None
            or head in ("list", "context", "range", "function", "Null")
        )

    def _is_collection(self, type_ref: str) -> bool:
        return self.collections.get(type_ref, False) or type_ref.startswith("list<")


def prefix_ref(type_ref: str, prefix: str) -> str:
    if not prefix or base_kind(type_ref) or type_ref in ("Any", "Null") or "<" in type_ref:
        return type_ref
    return prefix + type_ref


def _allowed(el):
    values = _children(el, "allowedValues")
    if not values:
        return None
    text_el = _children(values[0], "text")
    text = (text_el[0].text if text_el else values[0].text) or ""
    try:
        return compile_unary_tests(text.strip())
    except FeelError:
        return None
