"""FEEL built-ins over lists (DMN 1.5 10.3.4.4 and 10.3.4.5: list and numeric list
functions). LIST_FUNCTIONS maps a name to (function, parameter forms, variadic, pure);
feel_library.py adds them to the library. Wrong argument kinds give null; a single value
given for a list is a list of one."""

import functools
import operator
from decimal import Decimal

from bpmn.feel_arith import add
from bpmn.feel_values import DECIMAL, FeelFunction, compare, equal, kind, normalize
from bpmn.limits import checked_int


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
    index = checked_int(position)
    size = len(items) + (1 if insert else 0)
    if abs(index) > (size if index > 0 else len(items)):
        return None
    return index - 1 if index > 0 else len(items) + index


def _sublist(items, start, length=None):
    index = _position(items, start)
    if index is None or length is not None and (kind(length) != "number" or length < 0):
        return None
    end = None if length is None else index + checked_int(length)
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


LIST_FUNCTIONS = {
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
}
