"""FEEL built-ins over lists, contexts, dates and ranges (DMN 1.5 chapter 10.3.4).

LIBRARY maps a name to (function, parameter forms, variadic, pure); feel_functions.py adds
them to its BUILTINS. Wrong argument kinds give null."""

import datetime as dt
import operator
import re

from bpmn.feel_lists import LIST_FUNCTIONS
from bpmn.feel_values import (
    FeelError,
    Range,
    compare,
    equal,
    kind,
)

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


# ---------------------------------------------------------------- contexts


def _context(entries):
    if not isinstance(entries, list):
        entries = [entries]
    out = {}
    for entry in entries:
        if not isinstance(entry, dict) or "key" not in entry or "value" not in entry:
            return None
        if not isinstance(entry["key"], str) or entry["key"] in out:
            return None
        out[entry["key"]] = entry["value"]
    return out


def _context_put(context, key, value):
    if not isinstance(context, dict):
        return None
    keys = key if isinstance(key, list) else [key]
    if not keys or not all(isinstance(k, str) for k in keys):
        return None
    out = dict(context)
    if len(keys) == 1:
        out[keys[0]] = value
        return out
    inner = out.get(keys[0])
    nested = _context_put(inner if isinstance(inner, dict) else None, keys[1:], value)
    if nested is None:
        return None
    out[keys[0]] = nested
    return out


def _context_merge(contexts):
    contexts = [contexts] if isinstance(contexts, dict) else contexts
    if not isinstance(contexts, list) or not all(isinstance(c, dict) for c in contexts):
        return None
    out: dict = {}
    for context in contexts:
        out.update(context)
    return out


def _get_value(context, key):
    if not isinstance(context, dict) or not isinstance(key, str):
        return None
    return context.get(key)


def _get_entries(context):
    if not isinstance(context, dict):
        return None
    return [{"key": k, "value": v} for k, v in context.items()]


# ---------------------------------------------------------------- dates


def _date_fn(fn):
    def wrapper(value):
        return fn(value) if isinstance(value, dt.date) else None

    return wrapper


def _is(a, b):
    if kind(a) != kind(b):
        return False
    if kind(a) in ("time", "datetime"):
        return a == b and a.tzinfo == b.tzinfo and a.utcoffset() == b.utcoffset()
    return bool(equal(a, b))


def _now():
    return dt.datetime.now(dt.UTC)


def _today():
    return dt.datetime.now(dt.UTC).date()


_ENDPOINT = (
    r'(?:-?\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*"|@"[^"]*"'
    r'|(?:date and time|date|time|duration)\(\s*"[^"]*"\s*\))'
)
_RANGE_TEXT = re.compile(
    rf"[\[(\]]\s*{_ENDPOINT}\s*\.\.\s*{_ENDPOINT}\s*[\])\[]"  # `>=10` is no range literal
)


def _range(text):
    if not isinstance(text, str):
        return None
    from bpmn.feel import evaluate  # the range text is FEEL itself

    if not _RANGE_TEXT.fullmatch(text.strip()):
        return None  # the end points of a range text must be literals
    try:
        value = evaluate(text)
    except FeelError:
        return None
    if not isinstance(value, Range):
        return None
    ends = [v for v in (value.low, value.high) if v is not None]
    bracketed = text.strip()[:1] in "[(]"
    if bracketed and len(ends) < 2 or not ends:
        return None
    kinds = {kind(v) for v in ends}
    allowed = {"number", "string", "date", "datetime", "time", "duration", "ymduration"}
    if len(kinds) != 1 or not kinds <= allowed:
        return None
    if len(ends) == 2 and compare(operator.gt, value.low, value.high) is not False:
        return None
    return value


LIBRARY = {
    # name: (function, parameter forms, variadic, pure)
    **LIST_FUNCTIONS,
    "context": (_context, ("entries",), False, True),
    "context put": (_context_put, ("context, key, value", "context, keys, value"), False, True),
    "context merge": (_context_merge, ("contexts",), False, True),
    "get value": (_get_value, ("m, key",), False, True),
    "get entries": (_get_entries, ("m",), False, True),
    "day of year": (_date_fn(lambda d: d.timetuple().tm_yday), ("date",), False, True),
    "day of week": (_date_fn(lambda d: _DAYS[d.weekday()]), ("date",), False, True),
    "month of year": (_date_fn(lambda d: _MONTHS[d.month - 1]), ("date",), False, True),
    "week of year": (_date_fn(lambda d: d.isocalendar()[1]), ("date",), False, True),
    "is": (_is, ("value1, value2",), False, True),
    "now": (_now, ("",), False, False),
    "today": (_today, ("",), False, False),
    "range": (_range, ("from",), False, True),
}
