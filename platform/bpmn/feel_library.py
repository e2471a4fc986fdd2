"""FEEL built-ins over lists, contexts, dates and ranges (DMN 1.5 chapter 10.3.4).

LIBRARY maps a name to (function, parameter forms, variadic, pure); feel_functions.py adds
them to its BUILTINS. Wrong argument kinds give null."""

import datetime as dt
import functools
import operator
import re
from decimal import Decimal

from bpmn.feel_values import (
    DECIMAL,
    FeelError,
    FeelFunction,
    Range,
    add,
    compare,
    equal,
    kind,
    normalize,
)

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def _items(args) -> list | None:
    """min/max/sum/... take either one list or several arguments."""
    if len(args) == 1 and isinstance(args[0], list):
        return [normalize(a) for a in args[0]]
    return list(args)


def _extreme(op):
    def pick(*args):
        items = _items(args)
        if not items or any(item is None for item in items):
            return None
        best = items[0]
        for item in items[1:]:
            better = compare(op, item, best)
            if better is None:
                return None
            if better:
                best = item
        return best

    return pick


def _numbers(args) -> list | None:
    items = _items(args)
    if items is None or any(kind(i) != "number" for i in items):
        return None
    return items


def _sum(*args):
    items = _items(args)
    if not items:
        return None
    total = items[0]
    for item in items[1:]:
        total = add(total, item)
    return total if kind(total) in ("number", "duration", "ymduration") else None


def _mean(*args):
    items = _numbers(args)
    if not items:
        return None
    return DECIMAL.divide(functools.reduce(DECIMAL.add, items), Decimal(len(items)))


def _product(*args):
    items = _numbers(args)
    return functools.reduce(DECIMAL.multiply, items) if items else None


def _median(*args):
    items = _numbers(args)
    if not items:
        return None
    items = sorted(items)
    middle = len(items) // 2
    if len(items) % 2:
        return items[middle]
    return DECIMAL.divide(DECIMAL.add(items[middle - 1], items[middle]), Decimal(2))


def _stddev(*args):
    items = _numbers(args)
    if not items or len(items) < 2:
        return None
    mean = DECIMAL.divide(functools.reduce(DECIMAL.add, items), Decimal(len(items)))
    squares = [DECIMAL.power(DECIMAL.subtract(i, mean), 2) for i in items]
    variance = DECIMAL.divide(functools.reduce(DECIMAL.add, squares), Decimal(len(items) - 1))
    return DECIMAL.sqrt(variance)


def _mode(*args):
    items = _numbers(args)
    if items is None:
        return None
    counts: dict = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    if not counts:
        return []
    top = max(counts.values())
    return sorted(k for k, v in counts.items() if v == top)


def _all(*args):
    items = _items(args)
    if items is None or any(not isinstance(i, bool) and i is not None for i in items):
        return None
    if any(i is False for i in items):
        return False
    return None if any(i is None for i in items) else True


def _any(*args):
    items = _items(args)
    if items is None or any(not isinstance(i, bool) and i is not None for i in items):
        return None
    if any(i is True for i in items):
        return True
    return None if any(i is None for i in items) else False


def _list(fn):
    """A list function; a single value given for the list is a list of one."""

    def wrapper(items, *rest):
        if items is None:
            return None
        return fn(items if isinstance(items, list) else [items], *rest)

    return wrapper


def _position(items: list, position, insert: bool = False) -> int | None:
    if kind(position) != "number" or position == 0:
        return None
    index = int(position)
    size = len(items) + (1 if insert else 0)
    if abs(index) > (size if index > 0 else len(items)):
        return None
    return index - 1 if index > 0 else len(items) + index


def _sublist(items, start, length=None):
    index = _position(items, start)
    if index is None or length is not None and (kind(length) != "number" or length < 0):
        return None
    end = None if length is None else index + int(length)
    if end is not None and end > len(items):
        return None
    return items[index:end]


def _insert_before(items, position, new_item):
    index = _position(items, position)
    return None if index is None else items[:index] + [new_item] + items[index:]


def _remove(items, position):
    index = _position(items, position)
    return None if index is None else items[:index] + items[index + 1 :]


def _list_replace(items, position, new_item):
    if isinstance(position, FeelFunction):
        if len(position.params) != 2:
            return None
        out = []
        for item in items:
            match = position.call([item, new_item])
            if not isinstance(match, bool):
                return None  # the match function must answer true or false
            out.append(new_item if match else item)
        return out
    index = _position(items, position)
    return None if index is None else items[:index] + [new_item] + items[index + 1 :]


def _distinct(items):
    out: list = []
    for item in items:
        if not any(equal(item, seen) for seen in out):
            out.append(item)
    return out


def _flatten(items):
    out = []
    for item in items:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _concatenate(*lists):
    if not all(isinstance(x, list) for x in lists):
        return None
    return [item for x in lists for item in x]


def _union(*lists):
    joined = _concatenate(*lists)
    return None if joined is None else _distinct(joined)


def _sort(items, precedes=None):
    if precedes is None:

        def before(a, b):
            return compare(operator.lt, a, b)
    elif isinstance(precedes, FeelFunction):

        def before(a, b):
            return precedes.call([a, b])
    else:
        return None

    def order(a, b):
        if before(a, b) is True:
            return -1
        return 1 if before(b, a) is True else 0

    return sorted(items, key=functools.cmp_to_key(order))


def _string_join(items, delimiter=None):
    items = [items] if isinstance(items, str) else items
    if not isinstance(items, list) or delimiter is not None and not isinstance(delimiter, str):
        return None
    present = [i for i in items if i is not None]
    if not all(isinstance(i, str) for i in present):
        return None
    return (delimiter or "").join(present)


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
    rf"[\[(\]]\s*{_ENDPOINT}\s*\.\.\s*{_ENDPOINT}\s*[\])\[]|(?:<=?|>=?|=|!=)\s*{_ENDPOINT}"
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
    "min": (_extreme(operator.lt), ("list",), True, True),
    "max": (_extreme(operator.gt), ("list",), True, True),
    "sum": (_sum, ("list",), True, True),
    "mean": (_mean, ("list",), True, True),
    "product": (_product, ("list",), True, True),
    "median": (_median, ("list",), True, True),
    "stddev": (_stddev, ("list",), True, True),
    "mode": (_mode, ("list",), True, True),
    "all": (_all, ("list",), True, True),
    "any": (_any, ("list",), True, True),
    "count": (_list(lambda items: Decimal(len(items))), ("list",), False, True),
    "list contains": (
        _list(lambda xs, x: any(equal(i, x) for i in xs)),
        ("list, element",),
        False,
        True,
    ),
    "sublist": (_list(_sublist), ("list, start position, length?",), False, True),
    "append": (_list(lambda xs, *new: xs + list(new)), ("list, item",), True, True),
    "concatenate": (_concatenate, ("list",), True, True),
    "insert before": (_list(_insert_before), ("list, position, newItem",), False, True),
    "remove": (_list(_remove), ("list, position",), False, True),
    "reverse": (_list(lambda xs: xs[::-1]), ("list",), False, True),
    "index of": (
        _list(lambda xs, m: [Decimal(i + 1) for i, x in enumerate(xs) if equal(x, m)]),
        ("list, match",),
        False,
        True,
    ),
    "union": (_union, ("list",), True, True),
    "distinct values": (_list(_distinct), ("list",), False, True),
    "flatten": (_list(_flatten), ("list",), False, True),
    "sort": (_list(_sort), ("list, precedes?",), False, True),
    "list replace": (
        _list(_list_replace),
        ("list, position, newItem", "list, match, newItem"),
        False,
        True,
    ),
    "string join": (_string_join, ("list, delimiter?",), False, True),
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
