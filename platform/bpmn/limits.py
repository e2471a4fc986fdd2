"""How much a model's expression or script may cost, and the operations that respect it.

The host configures the limits once (`configure`, called by the Django app with its
settings; this package reads no settings itself). Scripts run in sandbox processes that the
platform stops by wall-clock and CPU time and caps in memory (script_pool.py); expressions
run in this process, so every operation that could make a value huge checks the size it is
about to build *before* building it, and the expression evaluator checks a deadline as it
walks the expression. The same checked operations are used inside scripts so the common
bombs fail at once with a clear message; the process limits are the backstop.
"""

import math
import re
import string
import threading
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

MAX_SEQUENCE_LENGTH = 1_000_000  # characters of a text, items of a list built by an operation
MAX_EXPRESSION_LENGTH = 100_000  # the same, in an expression (in-process: sorting a million
# strings alone takes most of a second), as simpleeval's own MAX_STRING_LENGTH
MAX_INT_DIGITS = 4_300  # Python's own limit for int <-> str conversions
MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10)) + 1


@dataclass(frozen=True)
class Limits:
    script_timeout_s: float = 5.0
    script_memory_mb: int = 256
    expression_timeout_ms: int = 200


_current = Limits()


def configure(
    script_timeout_s: float | None = None,
    script_memory_mb: int | None = None,
    expression_timeout_ms: int | None = None,
) -> Limits:
    """Set the limits (the ones not given keep their value); returns the previous ones so a
    caller (a test) can put them back with `restore`."""
    global _current
    previous = _current
    changes = {
        key: value
        for key, value in {
            "script_timeout_s": script_timeout_s,
            "script_memory_mb": script_memory_mb,
            "expression_timeout_ms": expression_timeout_ms,
        }.items()
        if value is not None
    }
    for key, value in changes.items():
        if value <= 0:
            raise ValueError(f"{key} must be positive, not {value}")
    _current = replace(_current, **changes)
    return previous


def restore(limits: Limits) -> None:
    global _current
    _current = limits


def current() -> Limits:
    return _current


class LimitExceeded(ValueError):
    """An operation would exceed a limit. The message says which, in words."""


def _n(value: int) -> str:
    return f"{value:,}"


def check_length(length: int, what: str = "a text or list") -> None:
    limit = getattr(active(), "max_length", MAX_SEQUENCE_LENGTH)
    if length > limit:
        raise LimitExceeded(
            f"{what} would be {_n(length)} long, over the size limit of "
            f"{_n(limit)} characters or items"
        )


def _sized(value: Any) -> bool:
    return isinstance(value, str | bytes | bytearray | list | tuple)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        digits = int(bits / math.log2(10))
        raise LimitExceeded(
            f"a number of about {_n(digits)} digits would exceed the limit of "
            f"{_n(MAX_INT_DIGITS)} digits"
        )


def check_integral(value: Any) -> None:
    """Turning a Decimal into an int takes time quadratic in its digits (int() of
    Decimal('1e999999') runs for most of a minute): refuse the ones no int may hold."""
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() >= MAX_INT_DIGITS:
        _check_bits(int((value.adjusted() + 1) * math.log2(10)) + 1)


def checked_int(value: Any = 0, *args: Any) -> int:
    check_integral(value)
    return int(value, *args)


def checked_round(value: Any, *args: Any) -> Any:
    if not args or args[0] is None:
        check_integral(value)
    return round(value, *args)


def to_integral(fn):
    """math.floor / math.ceil with the same check."""

    def checked(value):
        check_integral(value)
        return fn(value)

    return checked


# ---------------------------------------------------------------- operators


def checked_mul(a: Any, b: Any) -> Any:
    for seq, n in ((a, b), (b, a)):
        if _sized(seq) and _is_int(n):
            check_length(len(seq) * n, "a repeated text or list")
    if _is_int(a) and _is_int(b) and a and b:
        _check_bits(a.bit_length() + b.bit_length())
    return a * b


def checked_add(a: Any, b: Any) -> Any:
    if _sized(a) and _sized(b):
        check_length(len(a) + len(b), "a joined text or list")
    return a + b


def checked_pow(a: Any, b: Any) -> Any:
    if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1:
        _check_bits(a.bit_length() * b)
    elif isinstance(b, int | float) and abs(b) > 10 * MAX_INT_BITS and abs(a) > 1:
        raise LimitExceeded(f"an exponent of {b} is too large")
    return a**b


def checked_lshift(a: Any, b: Any) -> Any:
    if _is_int(a) and _is_int(b) and a:
        _check_bits(a.bit_length() + b)
    return a << b


_PERCENT_WIDTHS = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d+|\*)?(?:\.(\d+|\*))?")


def checked_mod(a: Any, b: Any) -> Any:
    """`text % values`: the widths and precisions in the text are bounded; `*` takes one."""
    if isinstance(a, str | bytes):
        text = a if isinstance(a, str) else a.decode("latin-1")
        for width, precision in _PERCENT_WIDTHS.findall(text):
            for part in (width, precision):
                if part == "*":  # the size is one of the values: none may be too large
                    for value in b if isinstance(b, tuple) else (b,):
                        if _is_int(value):
                            check_length(abs(value), "a formatted text")
                elif part:
                    check_length(int(part) if len(part) < 12 else 10**12, "a formatted text")
        for value in b if isinstance(b, tuple) else (b,):
            check_integral(value)  # %d of a Decimal converts it to an int
    return a % b


def checked_format(value: Any, spec: str) -> str:
    """format(value, spec) as f-strings do, with the width and precision bounded."""
    check_format_spec(spec)
    return format(value, spec)


_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[a-zA-Z%]?")


def check_format_spec(spec: str) -> None:
    match = _SPEC.fullmatch(spec)
    if match is None:
        return  # format() itself refuses it
    for part in match.groups():
        if part:
            check_length(int(part) if len(part) < 12 else 10**12, "a formatted text")


def check_format_string(text: str) -> None:
    """The replacement fields of a str.format template (nested specs included)."""
    for _literal, _field, spec, _conversion in string.Formatter().parse(text):
        if spec:
            check_format_spec(spec) if "{" not in spec else check_format_string(spec)


# ---------------------------------------------------------------- methods that grow texts


def _width(args, kwargs, name="width") -> int:
    value = args[0] if args else kwargs.get(name, 0)
    return value if _is_int(value) else 0


def _check_pad(owner, args, kwargs):
    check_length(_width(args, kwargs), "a padded text")


def _check_expandtabs(owner, args, kwargs):
    size = _width(args, kwargs, "tabsize") if (args or kwargs) else 8
    check_length(len(owner) + owner.count("\t" if isinstance(owner, str) else b"\t") * size)


def _check_replace(owner, args, kwargs):
    if len(args) < 2:
        return
    old, new = args[0], args[1]
    count = args[2] if len(args) > 2 else kwargs.get("count", -1)
    if not isinstance(old, str | bytes) or not isinstance(new, str | bytes):
        return
    if len(new) <= len(old):
        return
    hits = len(owner) + 1 if not old else owner.count(old)
    if _is_int(count) and count >= 0:
        hits = min(hits, count)
    check_length(len(owner) + hits * (len(new) - len(old)), "a replaced text")


def _check_translate(owner, args, kwargs):
    table = args[0] if args else kwargs.get("table")
    if isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        check_length(len(owner) * max(longest, 1), "a translated text")


_TEXT_METHODS = {
    "ljust": _check_pad,
    "rjust": _check_pad,
    "center": _check_pad,
    "zfill": _check_pad,
    "expandtabs": _check_expandtabs,
    "replace": _check_replace,
    "translate": _check_translate,
}


class _Bounded:
    """A method of a text or list whose result size is checked before the call."""

    __slots__ = ("owner", "name", "method")

    def __init__(self, owner, name, method):
        self.owner, self.name, self.method = owner, name, method

    def __call__(self, *args, **kwargs):
        owner, name = self.owner, self.name
        if name == "join":
            items = list(args[0]) if args else []
            check_length(len(items), "a joined list")
            total = sum(len(i) for i in items if isinstance(i, str | bytes))
            check_length(total + len(owner) * max(len(items) - 1, 0), "a joined text")
            return self.method(items)
        if name in ("append", "insert"):
            check_length(len(owner) + 1, "a list")
        elif name == "extend" and args and hasattr(args[0], "__len__"):
            check_length(len(owner) + len(args[0]), "a list")
        elif name in ("format", "format_map") and isinstance(owner, str):
            check_format_string(owner)
        else:
            _TEXT_METHODS[name](owner, args, kwargs)
        return self.method(*args, **kwargs)


_LIST_METHODS = frozenset({"append", "insert", "extend"})


def bounded_attribute(owner: Any, name: str, value: Any) -> Any:
    """`owner.name` as a model sees it: growing methods of texts and lists come back
    wrapped in a size check; anything else is returned as is."""
    if isinstance(owner, str | bytes | bytearray):
        if name in _TEXT_METHODS or name in ("join", "format", "format_map"):
            return _Bounded(owner, name, value)
    elif isinstance(owner, list) and name in _LIST_METHODS:
        return _Bounded(owner, name, value)
    return value


# ---------------------------------------------------------------- deadlines


class Deadline:
    """An expression's wall-clock budget, checked by the evaluator every few steps and by
    long-running helpers (regular expression iteration) through `active()`. A script's
    budget (script_runner._Budget) offers the same `at`, `check()` and `overrun()`."""

    __slots__ = ("at", "ms", "steps")
    max_length = MAX_EXPRESSION_LENGTH

    def __init__(self, ms: int):
        self.ms = ms
        self.at = time.monotonic() + ms / 1000
        self.steps = 0

    def overrun(self) -> Exception:
        return LimitExceeded(f"it ran longer than the time limit of {_n(self.ms)} ms")

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise self.overrun()


_active = threading.local()


def active():
    """The deadline of the expression or script this thread is evaluating, if any."""
    return getattr(_active, "clock", None)


def activate(clock):
    """Make `clock` the active deadline; returns the previous one to put back."""
    previous = getattr(_active, "clock", None)
    _active.clock = clock
    return previous
