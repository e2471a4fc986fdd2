"""FEEL values and operators, shared by the FEEL compiler (feel.py) and the DMN engine.

Numbers are decimal.Decimal in a 34-digit context (FEEL numbers are decimal128, so
0.1 + 0.2 = 0.3), null is None, and an operation on values of the wrong kinds yields null
instead of raising: FEEL is total, and a rule whose cell compares a string with a number
simply does not match. Temporal values live in feel_temporal.py.
"""

import datetime as dt
import json
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, DecimalException
from decimal import Context as DecimalContext
from typing import Any

from bpmn.feel_temporal import (
    FeelError,
    YearsMonths,
    duration_text,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_temporal,
    parse_time,
    temporal_text,
)

__all__ = [
    "DECIMAL",
    "FeelError",
    "FeelFunction",
    "Range",
    "YearsMonths",
    "parse_date",
    "parse_datetime",
    "parse_duration",
    "parse_temporal",
    "parse_time",
]

DECIMAL = DecimalContext(prec=34, rounding=ROUND_HALF_EVEN, Emax=6144, Emin=-6143)


# Values already in FEEL form (the hot path of every name lookup).
_FEEL_CLASSES = frozenset(
    {Decimal, str, bool, type(None), dict, dt.date, dt.datetime, dt.time, dt.timedelta}
)


def normalize(value: Any) -> Any:
    """Python data -> FEEL value: int and float become Decimal (bool stays bool), tuples and
    lists become lists of FEEL values. Dicts are left alone and normalized on access."""
    cls = value.__class__
    if cls in _FEEL_CLASSES:
        return value
    if cls is int:
        return Decimal(value)
    if cls is float:
        # repr() is the shortest text that round-trips, so 0.1 becomes Decimal("0.1").
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return [normalize(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(int(value))
    return value


@dataclass(eq=False)
class FeelFunction:
    """A function value: a FEEL function literal, a BKM, a decision service or a built-in.
    `call(args, named)` takes positional values or named ones ({param: value})."""

    name: str
    params: tuple
    body: Callable[[list], Any]  # called with the values in parameter order
    variadic: bool = False

    def call(self, args: list, named: dict | None = None) -> Any:
        if named is not None:
            unknown = set(named) - set(self.params)
            if unknown:
                return None
            args = [named.get(p) for p in self.params]
        elif not self.variadic and len(args) != len(self.params):
            return None  # FEEL: a call with the wrong number of arguments is null
        return self.body(args)


# ---------------------------------------------------------------- kinds and comparison

_KINDS = {
    Decimal: "number",
    str: "string",
    bool: "boolean",
    dt.date: "date",
    dt.datetime: "datetime",
    dt.time: "time",
    dt.timedelta: "duration",
    YearsMonths: "ymduration",
    list: "list",
    dict: "context",
}


def kind(value: Any) -> str | None:
    found = _KINDS.get(value.__class__)
    if found is None:
        if isinstance(value, Range):
            return "range"
        if isinstance(value, FeelFunction):
            return "function"
        for cls in (dt.datetime, dt.date, dt.time, dt.timedelta, list, dict):
            if isinstance(value, cls):
                return _KINDS[cls]
    return found


def equal(a: Any, b: Any) -> bool | None:
    """FEEL `=`: null equals only null, true never equals 1, lists and contexts deeply.
    Values of different kinds are not equal (FEEL 1.5 says null; false keeps cells simple)."""
    if a is None or b is None:
        return a is b
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return None
    if ka == "list":
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if ka == "context":
        return a.keys() == b.keys() and all(equal(normalize(a[k]), normalize(b[k])) for k in a)
    if ka in ("datetime", "time") and (a.tzinfo is None) != (b.tzinfo is None):
        return None
    if ka == "time":
        return _time_key(a) == _time_key(b)
    if ka == "range":
        return _range_equal(a, b)
    try:
        return bool(a == b)
    except (TypeError, DecimalException):
        return False


def _range_equal(a, b) -> bool:
    if type(a) is not type(b) or a.low_closed != b.low_closed or a.high_closed != b.high_closed:
        return False
    return all(
        x is y if x is None or y is None else equal(x, y) is True
        for x, y in ((a.low, b.low), (a.high, b.high))
    )


def _time_key(value: dt.time):
    offset = value.utcoffset()
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    if offset is not None:
        seconds -= int(offset.total_seconds())
    return (seconds % 86400, value.microsecond, value.tzinfo is None)


def compare(op: Any, a: Any, b: Any) -> bool | None:
    """FEEL `<`, `<=`, `>`, `>=`: null unless both sides are ordered values of one kind."""
    if a is None or b is None:
        return None
    ka = kind(a)
    if ka != kind(b) or ka in (None, "boolean", "list", "context", "range", "function"):
        return None
    if ka == "time":
        if (a.tzinfo is None) != (b.tzinfo is None):
            return None
        return op(_time_key(a), _time_key(b))
    if ka == "datetime" and (a.tzinfo is None) != (b.tzinfo is None):
        return None
    try:
        return op(a, b)
    except (TypeError, DecimalException):  # naive vs aware datetimes, NaN
        return None


COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True, slots=True)
class Range:
    """A FEEL range such as [1..10), ]date("2026-01-01")..date("2026-02-01")] or `< 10`
    (an open end is None with its `*_closed` False)."""

    low: Any
    high: Any
    low_closed: bool
    high_closed: bool

    def contains(self, value: Any) -> bool | None:
        if value is None:
            return None
        if self.low is not None:
            low_ok = compare(operator.le if self.low_closed else operator.lt, self.low, value)
            if low_ok is not True:
                return low_ok
        if self.high is not None:
            return compare(operator.le if self.high_closed else operator.lt, value, self.high)
        return True


class EqualsRange(Range):
    """`(=10)`: the range holding only its end point; equal only to another `=` range."""

    def contains(self, value: Any) -> bool | None:
        return equal(value, self.low)


class NotEqualsRange(Range):
    """`(!=10)`: everything but its end point."""

    def contains(self, value: Any) -> bool | None:
        same = equal(value, self.low)
        return None if same is None else not same


class _NullEnd:
    """The end point of `(null..10)`: unknown, unlike the missing end of `(< 10)`."""

    def __repr__(self) -> str:
        return "null"


NULL_END = _NullEnd()


# ---------------------------------------------------------------- properties


def _offset(value):
    offset = value.utcoffset() if value.tzinfo is not None else None
    return offset


def _timezone(value):
    tz = value.tzinfo
    return getattr(tz, "key", None)


_DATE_PROPERTIES = {
    "year": lambda v: v.year,
    "month": lambda v: v.month,
    "day": lambda v: v.day,
    "weekday": lambda v: v.isoweekday(),
}
_TIME_PROPERTIES = {
    "hour": lambda v: v.hour,
    "minute": lambda v: v.minute,
    "second": lambda v: v.second,
    "time offset": _offset,
    "timezone": _timezone,
}
_PROPERTIES = {
    "date": _DATE_PROPERTIES,
    "datetime": {**_DATE_PROPERTIES, **_TIME_PROPERTIES},
    "time": _TIME_PROPERTIES,
    "duration": {
        "days": lambda v: (-1 if v < dt.timedelta(0) else 1) * abs(v).days,
        "hours": lambda v: (-1 if v < dt.timedelta(0) else 1) * (abs(v).seconds // 3600),
        "minutes": lambda v: (-1 if v < dt.timedelta(0) else 1) * (abs(v).seconds // 60 % 60),
        "seconds": lambda v: (-1 if v < dt.timedelta(0) else 1) * (abs(v).seconds % 60),
    },
    "ymduration": {
        "years": lambda v: int(v.months / 12),
        "months": lambda v: (-1 if v.months < 0 else 1) * (abs(v.months) % 12),
    },
    "range": {
        "start": lambda v: v.low,
        "end": lambda v: v.high,
        "start included": lambda v: v.low_closed,
        "end included": lambda v: v.high_closed,
    },
}


def path(value: Any, key: str) -> Any:
    """FEEL `a.b`: a context entry, a list mapped, or a property of a date, time, duration or
    range. Never a Python attribute, so paths cannot reach object internals."""
    if isinstance(value, dict):
        return normalize(value.get(key))
    if isinstance(value, list):
        return [path(item, key) for item in value]
    getter = _PROPERTIES.get(kind(value), {}).get(key)
    if getter is None:
        return None
    if kind(value) == "range":
        found = getter(value)
        return None if found is NULL_END else found
    if kind(value) == "time" and key == "time offset" and isinstance(value.tzinfo, dt.timezone):
        return value.tzinfo.utcoffset(None)
    try:
        return normalize(getter(value))
    except (AttributeError, TypeError):
        return None


# ---------------------------------------------------------------- text and JSON


def number_text(number: Decimal) -> str:
    if not number.is_finite():
        return "null"
    if number == number.to_integral_value():
        return str(int(number))
    return format(number, "f")


def feel_string(value: Any) -> str | None:
    """FEEL `string(value)`: the FEEL text of a value (strings unquoted at top level)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return _literal(value)


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if value.__class__ is bool:
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(normalize(item)) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{k}: {_literal(normalize(v))}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, Range):
        if isinstance(value, EqualsRange | NotEqualsRange):
            return f"{'=' if isinstance(value, EqualsRange) else '!='}{_literal(value.low)}"
        low = "" if value.low is None else _literal(value.low)
        high = "" if value.high is None else _literal(value.high)
        return f"{'[' if value.low_closed else '('}{low}..{high}{']' if value.high_closed else ')'}"
    if isinstance(value, FeelFunction):
        return f"function {value.name}"
    text = temporal_text(value)
    return text if text is not None else str(normalize(value))


def to_json(value: Any) -> str:
    """FEEL value -> JSON text. Decimals are written exactly (integral ones as integers,
    others in plain decimal notation), dates, times and durations as ISO 8601 strings."""
    if value is None or value.__class__ is bool:
        return json.dumps(value)
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, int | float):
        return number_text(normalize(value)) if math.isfinite(value) else "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = (
            f"{json.dumps(str(k), ensure_ascii=False)}: {to_json(v)}" for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(to_json(item) for item in value) + "]"
    return json.dumps(feel_string(value), ensure_ascii=False)


def format_duration(delta) -> str:
    """timedelta or YearsMonths -> ISO 8601 (P1DT2H30M, P1Y2M), the inverse of parse_duration."""
    return duration_text(delta)
