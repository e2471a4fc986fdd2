"""FEEL types: `x instance of T` and the typeRefs of DMN item definitions.

`type_checker("list<number>")` returns a predicate on FEEL values. Names it does not know are
looked up in `named` (item definitions), else the check is false."""

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from bpmn.feel_values import kind

Check = Callable[[Any], bool]

_KIND_OF_TYPE = {
    "number": "number",
    # Camunda and XML Schema names for numbers
    "integer": "number",
    "int": "number",
    "long": "number",
    "double": "number",
    "decimal": "number",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "time": "time",
    "date and time": "datetime",
    "datetime": "datetime",
    "days and time duration": "duration",
    "daytimeduration": "duration",
    "years and months duration": "ymduration",
    "yearmonthduration": "ymduration",
    "context": "context",
    "list": "list",
    "range": "range",
    "function": "function",
}
TYPE_NAMES = tuple(sorted(_KIND_OF_TYPE, key=len, reverse=True))


def base_kind(type_ref: str) -> str | None:
    """The value kind a simple typeRef names (`feel:date` -> date), else None."""
    text = type_ref.strip()
    text = text.split(":", 1)[1] if text.lower().startswith("feel:") else text
    found = _KIND_OF_TYPE.get(text) or _KIND_OF_TYPE.get(text.lower().replace(" ", ""))
    if found is None and text.lower() in _KIND_OF_TYPE:
        found = _KIND_OF_TYPE[text.lower()]
    return found


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "<":
            depth += 1
        elif char == ">" and not text[i - 1 : i + 1] == "->":
            depth -= 1
        elif char == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def type_checker(type_text: str, named: Mapping[str, Check] | None = None) -> Check:
    text = type_text.strip()
    if text in ("Any", "any"):
        return lambda v: v is not None
    if text == "Null":
        return lambda v: v is None
    if "->" in text and text.startswith("function"):
        return lambda v: kind(v) == "function"
    if text.endswith(">") and "<" in text:
        head, _, inner = text[:-1].partition("<")
        return _generic(head.strip(), inner, named)
    found = base_kind(text)
    if found == "datetime":
        return lambda v: isinstance(v, dt.datetime)
    if found is not None:
        return lambda v: kind(v) == found
    if named and text in named:
        return named[text]
    return lambda v: False


def _generic(head: str, inner: str, named) -> Check:
    if head == "list":
        item = type_checker(inner, named)
        return lambda v: isinstance(v, list) and all(item(x) for x in v)
    if head == "range":
        item = type_checker(inner, named)
        return lambda v: kind(v) == "range" and all(x is None or item(x) for x in (v.low, v.high))
    if head == "context":
        fields = {}
        for part in _split_top(inner, ","):
            key, _, value_type = part.partition(":")
            fields[key.strip().strip('"')] = type_checker(value_type, named)
        return lambda v: (
            isinstance(v, dict)
            and all(k in v and (v[k] is None or check(v[k])) for k, check in fields.items())
        )
    return lambda v: False
