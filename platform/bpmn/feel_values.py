"""FEEL values and operators, shared by the FEEL compiler (feel.py) and the DMN engine.

Numbers are decimal.Decimal (FEEL numbers are decimal128, so 0.1 + 0.2 = 0.3), null is None,
and an operation on values of the wrong types yields null instead of raising: FEEL is total,
and a rule whose cell compares a string with a number simply does not match.
"""

import datetime as dt
import json
import math
import operator
import re
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, DecimalException
from decimal import Context as DecimalContext
from typing import Any

DECIMAL = DecimalContext(prec=34, rounding=ROUND_HALF_EVEN)


class FeelError(ValueError):
    """A FEEL text is malformed or uses something this engine does not support."""


def normalize(value: Any) -> Any:
    """Python data -> FEEL value: int and float become Decimal (bool stays bool), tuples and
    lists become lists of FEEL values. Dicts are left alone and normalized on access."""
    cls = value.__class__
    if cls is Decimal or cls is str or cls is bool or value is None:
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


# ---------------------------------------------------------------- kinds and comparison

_KINDS = {
    Decimal: "number",
    str: "string",
    bool: "boolean",
    dt.date: "date",
    dt.datetime: "datetime",
    dt.time: "time",
    dt.timedelta: "duration",
    list: "list",
    dict: "context",
}


def kind(value: Any) -> str | None:
    found = _KINDS.get(value.__class__)
    if found is None:
        for cls in (dt.datetime, dt.date, dt.time, dt.timedelta, list, dict):
            if isinstance(value, cls):
                return _KINDS[cls]
    return found


def equal(a: Any, b: Any) -> bool:
    """FEEL `=`: null equals only null, true never equals 1, lists and contexts deeply."""
    if a is None or b is None:
        return a is b
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return False
    if ka == "list":
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if ka == "context":
        return a.keys() == b.keys() and all(equal(normalize(a[k]), normalize(b[k])) for k in a)
    try:
        return bool(a == b)
    except TypeError:
        return False


def compare(op: Any, a: Any, b: Any) -> bool | None:
    """FEEL `<`, `<=`, `>`, `>=`: null unless both sides are ordered values of one kind."""
    if a is None or b is None:
        return None
    ka = kind(a)
    if ka != kind(b) or ka in (None, "boolean", "list", "context"):
        return None
    try:
        return op(a, b)
    except (TypeError, DecimalException):  # naive vs aware datetimes, NaN
        return None


COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True, slots=True)
class Range:
    """A FEEL interval such as [1..10) or ]date("2026-01-01")..date("2026-02-01")]."""

    low: Any
    high: Any
    low_closed: bool
    high_closed: bool

    def contains(self, value: Any) -> bool:
        low_op = operator.le if self.low_closed else operator.lt
        high_op = operator.le if self.high_closed else operator.lt
        return compare(low_op, self.low, value) is True and (
            compare(high_op, value, self.high) is True
        )


# ---------------------------------------------------------------- arithmetic

_TEMPORAL = ("date", "datetime", "time")


def add(a: Any, b: Any) -> Any:
    ka, kb = kind(a), kind(b)
    if ka == kb == "number":
        return _decimal_op(DECIMAL.add, a, b)
    if ka == kb == "string":
        return a + b
    if (
        (ka in _TEMPORAL or ka == "duration")
        and kb == "duration"
        or ka == "duration"
        and kb in _TEMPORAL
    ):
        return _temporal_op(operator.add, a, b)
    return None


def subtract(a: Any, b: Any) -> Any:
    ka, kb = kind(a), kind(b)
    if ka == kb == "number":
        return _decimal_op(DECIMAL.subtract, a, b)
    if (ka in _TEMPORAL or ka == "duration") and kb == "duration" or ka == kb and ka in _TEMPORAL:
        return _temporal_op(operator.sub, a, b)
    return None


def multiply(a: Any, b: Any) -> Any:
    ka, kb = kind(a), kind(b)
    if ka == kb == "number":
        return _decimal_op(DECIMAL.multiply, a, b)
    if ka == "duration" and kb == "number":
        return _temporal_op(operator.mul, a, float(b))
    if ka == "number" and kb == "duration":
        return _temporal_op(operator.mul, b, float(a))
    return None


def divide(a: Any, b: Any) -> Any:
    ka, kb = kind(a), kind(b)
    if ka == kb == "number":
        return _decimal_op(DECIMAL.divide, a, b)
    if ka == "duration" and kb == "number" and b:
        return _temporal_op(operator.truediv, a, float(b))
    if ka == kb == "duration" and b:
        return _decimal_op(DECIMAL.divide, _seconds(a), _seconds(b))
    return None


def power(a: Any, b: Any) -> Any:
    if kind(a) == kind(b) == "number" and abs(b) <= 10_000:
        return _decimal_op(DECIMAL.power, a, b)
    return None


def negate(a: Any) -> Any:
    if kind(a) == "number":
        return DECIMAL.minus(a)
    return -a if kind(a) == "duration" else None


def _decimal_op(fn, a: Decimal, b: Decimal) -> Decimal | None:
    try:
        return fn(a, b)
    except (DecimalException, OverflowError):  # division by zero, overflow: FEEL null
        return None


def _temporal_op(fn, a, b):
    if kind(a) == "time" or kind(b) == "time":
        return _time_op(fn, a, b)
    try:
        result = fn(a, b)
    except (TypeError, OverflowError, ValueError):
        return None
    return normalize(result)


def _time_op(fn, a, b):
    # Python has no time arithmetic: do it on a fixed day and drop the date again.
    day = dt.date(2000, 1, 1)
    a2 = dt.datetime.combine(day, a) if isinstance(a, dt.time) else a
    b2 = dt.datetime.combine(day, b) if isinstance(b, dt.time) else b
    try:
        result = fn(a2, b2)
    except (TypeError, OverflowError):
        return None
    return result.timetz() if isinstance(result, dt.datetime) else result


def _seconds(delta: dt.timedelta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / 1_000_000


# ---------------------------------------------------------------- temporal values

_DURATION = re.compile(
    r"(?P<sign>-)?P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)


def parse_duration(text: str) -> dt.timedelta:
    """ISO 8601 days-and-time duration (P1D, PT4H30M, -PT15M) -> timedelta."""
    match = _DURATION.fullmatch(text.strip())
    if not match or text.strip().lstrip("-") in {"P", "PT"} or text.strip().endswith("T"):
        if re.fullmatch(r"-?P(\d+Y)?(\d+M)?", text.strip()):
            raise FeelError(f"years-and-months durations are not supported: {text!r}")
        raise FeelError(f"not an ISO 8601 duration: {text!r}")
    parts = {k: float(v) for k, v in match.groupdict().items() if v and k != "sign"}
    delta = dt.timedelta(
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
        seconds=parts.get("s", 0),
    )
    return -delta if match.group("sign") else delta


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise FeelError(f"not a date: {text!r}") from exc


def parse_time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError as exc:
        raise FeelError(f"not a time: {text!r}") from exc


def parse_datetime(text: str) -> dt.datetime:
    """ISO date-time, optionally with a zone id suffix as FEEL writes it: ...T10:00@Asia/Shanghai."""
    text, _, zone = text.strip().partition("@")
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise FeelError(f"not a date and time: {text!r}") from exc
    if zone:
        try:
            value = value.replace(tzinfo=zoneinfo.ZoneInfo(zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise FeelError(f"unknown time zone {zone!r}") from exc
    return value


def parse_temporal(text: str) -> Any:
    """A FEEL @"..." literal: its shape says whether it is a duration, date-time, time or date."""
    stripped = text.strip()
    if stripped.lstrip("-").startswith("P"):
        return parse_duration(stripped)
    if "T" in stripped:
        return parse_datetime(stripped)
    if ":" in stripped:
        return parse_time(stripped)
    return parse_date(stripped)


_DATE_PROPERTIES = {
    "year": lambda v: v.year,
    "month": lambda v: v.month,
    "day": lambda v: v.day,
    "weekday": lambda v: v.isoweekday(),
    "hour": lambda v: v.hour,
    "minute": lambda v: v.minute,
    "second": lambda v: v.second,
}
_DURATION_PROPERTIES = {
    "days": lambda v: v.days,
    "hours": lambda v: v.seconds // 3600,
    "minutes": lambda v: v.seconds // 60 % 60,
    "seconds": lambda v: v.seconds % 60,
}


def path(value: Any, key: str) -> Any:
    """FEEL `a.b`: a context entry, a list mapped, or a date/time/duration component. Never a
    Python attribute, so paths cannot reach object internals."""
    if isinstance(value, dict):
        return normalize(value.get(key))
    if isinstance(value, list):
        return [path(item, key) for item in value]
    props = _DURATION_PROPERTIES if kind(value) == "duration" else _DATE_PROPERTIES
    getter = props.get(key) if kind(value) in ("date", "datetime", "time", "duration") else None
    if getter is None:
        return None
    try:
        return normalize(getter(value))
    except AttributeError:  # e.g. hour of a plain date
        return None


# ---------------------------------------------------------------- JSON


def to_json(value: Any) -> str:
    """FEEL value -> JSON text. Decimals are written exactly (integral ones as integers,
    others in plain decimal notation), dates, times and durations as ISO 8601 strings."""
    if value is None or value.__class__ is bool:
        return json.dumps(value)
    if isinstance(value, Decimal):
        return _number_text(value)
    if isinstance(value, int | float):
        return _number_text(normalize(value)) if value == value else "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = (
            f"{json.dumps(str(k), ensure_ascii=False)}: {to_json(v)}" for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(to_json(item) for item in value) + "]"
    if isinstance(value, dt.date | dt.time):
        return json.dumps(value.isoformat())
    if isinstance(value, dt.timedelta):
        return json.dumps(format_duration(value))
    return json.dumps(str(value), ensure_ascii=False)


def _number_text(number: Decimal | None) -> str:
    if number is None or not number.is_finite():
        return "null"
    if number == number.to_integral_value():
        return str(int(number))
    return format(number, "f")


def format_duration(delta: dt.timedelta) -> str:
    """timedelta -> ISO 8601 (P1DT2H30M), the inverse of parse_duration."""
    sign = "-" if delta < dt.timedelta(0) else ""
    delta = abs(delta)
    hours, rest = divmod(delta.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    seconds_text = _number_text(Decimal(seconds) + Decimal(delta.microseconds) / 1_000_000)
    time = "".join(
        f"{amount}{unit}"
        for amount, unit in ((hours, "H"), (minutes, "M"), (seconds_text, "S"))
        if amount not in (0, "0")
    )
    days = f"{delta.days}D" if delta.days else ""
    if not days and not time:
        return "PT0S"
    return f"{sign}P{days}{'T' + time if time else ''}"
