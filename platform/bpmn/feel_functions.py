"""The FEEL built-in functions the compiler knows. A call to any other name is not FEEL
(the DMN engine then tries the text as a sandboxed Python expression instead)."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, DecimalException
from typing import Any

from bpmn import safe_re
from bpmn.feel_values import (
    DECIMAL,
    FeelError,
    add,
    compare,
    equal,
    kind,
    normalize,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_time,
)
from bpmn.limits import LimitExceeded
from bpmn.limits import checked_int as _int  # int() of a huge Decimal takes minutes
from bpmn.sandbox import ExpressionError


@dataclass(frozen=True)
class Builtin:
    fn: Callable[..., Any]
    min_args: int
    max_args: int
    pure: bool = True  # may be evaluated once at compile time when its arguments are constants


def _date(*args):
    if len(args) == 3:
        if not all(kind(a) == "number" for a in args):
            return None
        return dt.date(_int(args[0]), _int(args[1]), _int(args[2]))
    value = args[0]
    if isinstance(value, str):
        return parse_date(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _date_and_time(*args):
    if len(args) == 2:
        day, time = args
        if isinstance(day, dt.date) and isinstance(time, dt.time):
            return dt.datetime.combine(day, time)
        return None
    value = args[0]
    if isinstance(value, str):
        if "T" not in value:  # FEEL accepts a bare date here: midnight of that day
            return dt.datetime.combine(parse_date(value), dt.time())
        return parse_datetime(value)
    return value if isinstance(value, dt.datetime) else None


def _time(*args):
    if len(args) >= 3:
        if not all(kind(a) == "number" for a in args[:3]):
            return None
        return dt.time(_int(args[0]), _int(args[1]), _int(args[2]))
    value = args[0]
    if isinstance(value, str):
        return parse_time(value)
    if isinstance(value, dt.datetime):
        return value.timetz()
    return value if isinstance(value, dt.time) else None


def _duration(text):
    return parse_duration(text) if isinstance(text, str) else None


def _string(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind(value) == "number":
        return format(value, "f")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _number(text):
    if not isinstance(text, str):
        return None
    try:
        return Decimal(text.strip())
    except DecimalException:
        return None


def _not(value):
    return (not value) if isinstance(value, bool) else None


def _numbers(args) -> list | None:
    """min/max/sum take either one list or several arguments."""
    items = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
    return items if items else None


def _extreme(args, op):
    items = _numbers(args)
    if items is None or any(item is None for item in items):
        return None
    best = items[0]
    for item in items[1:]:
        better = compare(op, item, best)
        if better is None:
            return None
        if better:
            best = item
    return best


def _sum(*args):
    items = _numbers(args)
    if items is None:
        return None
    total = Decimal(0)
    for item in items:
        total = add(total, item) if kind(item) == "number" else None
        if total is None:
            return None
    return total


def _count(items):
    return Decimal(len(items)) if isinstance(items, list) else None


def _rounded(value, scale, rounding):
    if kind(value) != "number" or kind(scale) != "number":
        return None
    try:
        return value.quantize(Decimal(1).scaleb(-_int(scale)), rounding=rounding, context=DECIMAL)
    except DecimalException:
        return None


def _text_fn(fn):
    def wrapper(*args):
        return fn(*args) if all(isinstance(a, str) for a in args) else None

    return wrapper


def _substring(text, start, length=None):
    if not isinstance(text, str) or kind(start) != "number":
        return None
    index = _int(start)
    begin = index - 1 if index > 0 else len(text) + index  # FEEL positions are 1-based
    end = None if length is None else begin + _int(length)
    return text[max(begin, 0) : end]


def _list_contains(items, element):
    return any(equal(item, element) for item in items) if isinstance(items, list) else None


def _today():
    return dt.datetime.now(dt.UTC).date()


def _now():
    return dt.datetime.now(dt.UTC)


BUILTINS: dict[str, Builtin] = {
    "date": Builtin(_date, 1, 3),
    "date and time": Builtin(_date_and_time, 1, 2),
    "time": Builtin(_time, 1, 4),
    "duration": Builtin(_duration, 1, 1),
    "string": Builtin(_string, 1, 1),
    "number": Builtin(_number, 1, 1),
    "not": Builtin(_not, 1, 1),
    "abs": Builtin(lambda v: abs(v) if kind(v) in ("number", "duration") else None, 1, 1),
    "floor": Builtin(lambda v: _rounded(v, Decimal(0), ROUND_FLOOR), 1, 1),
    "ceiling": Builtin(lambda v: _rounded(v, Decimal(0), ROUND_CEILING), 1, 1),
    "decimal": Builtin(lambda v, s: _rounded(v, s, ROUND_HALF_EVEN), 2, 2),
    "min": Builtin(lambda *a: _extreme(a, lambda x, y: x < y), 1, 255),
    "max": Builtin(lambda *a: _extreme(a, lambda x, y: x > y), 1, 255),
    "sum": Builtin(_sum, 1, 255),
    "count": Builtin(_count, 1, 1),
    "contains": Builtin(_text_fn(lambda s, sub: sub in s), 2, 2),
    "starts with": Builtin(_text_fn(lambda s, p: s.startswith(p)), 2, 2),
    "ends with": Builtin(_text_fn(lambda s, p: s.endswith(p)), 2, 2),
    "upper case": Builtin(_text_fn(str.upper), 1, 1),
    "lower case": Builtin(_text_fn(str.lower), 1, 1),
    "string length": Builtin(_text_fn(lambda s: Decimal(len(s))), 1, 1),
    "substring": Builtin(_substring, 2, 3),
    "list contains": Builtin(_list_contains, 2, 2),
    # Regular expressions on RE2 (linear time); a pattern RE2 cannot run gives null.
    "matches": Builtin(safe_re.feel_matches, 2, 3),
    "replace": Builtin(safe_re.feel_replace, 3, 4),
    "today": Builtin(_today, 0, 0, pure=False),
    "now": Builtin(_now, 0, 0, pure=False),
}

# Function names with spaces: the tokenizer reads these as one name when "(" follows.
MULTI_WORD_FUNCTIONS = tuple(sorted((n for n in BUILTINS if " " in n), key=len, reverse=True))


def call_builtin(name: str, args: list) -> Any:
    """Run a built-in on FEEL values; bad argument types give null, like FEEL does."""
    try:
        return normalize(BUILTINS[name].fn(*args))
    except FeelError:
        raise
    except LimitExceeded as exc:  # a size limit is an error to report, not a FEEL null
        raise ExpressionError(f"FEEL {name}() was stopped: {exc}") from None
    except (TypeError, ValueError, OverflowError, DecimalException):
        return None
