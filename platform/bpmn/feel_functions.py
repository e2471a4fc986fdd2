"""The FEEL built-in functions (DMN 1.5 chapter 10.3.4): conversion, boolean, string and
numeric functions here, list, context, date and range functions in feel_library.py.

A function given arguments of the wrong kinds returns null, as FEEL does. A call to a name
that is neither built in nor declared by the model is not FEEL (the DMN engine then tries
the text as a sandboxed Python expression instead)."""

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    DecimalException,
)
from typing import Any

from bpmn import safe_re
from bpmn.feel_calendar import combine, make_date
from bpmn.feel_library import LIBRARY
from bpmn.feel_regex import translate
from bpmn.feel_temporal import months_between
from bpmn.feel_values import (
    DECIMAL,
    FeelError,
    FeelFunction,
    feel_string,
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
    signatures: tuple  # parameter names of each form: (("from",), ("year", "month", "day"))
    variadic: bool = False
    pure: bool = True  # may be evaluated once at compile time when its arguments are constants
    # What an argument passed by this name must be (`context put(key: ...)` takes one key;
    # the list form is named `keys`): a call breaking it is null.
    named_checks: tuple = ()

    @property
    def min_args(self) -> int:
        return 1 if self.variadic else min(len(s) - _optional(s) for s in self.signatures)

    @property
    def max_args(self) -> int:
        return 10_000 if self.variadic else max(len(s) for s in self.signatures)

    def order(self, named: dict[str, int]) -> list | None:
        """Argument positions for a call with named arguments, None if no form fits."""
        for params in self.signatures:
            names = [p.rstrip("?") for p in params]
            if set(named) <= set(names):
                return [named.get(name) for name in names]
        return None


def _optional(params: tuple) -> int:
    return sum(1 for p in params if p.endswith("?"))


def B(fn, *signatures: str, variadic: bool = False, pure: bool = True) -> Builtin:  # noqa: N802
    """B(fn, "string, start position, length?") - each text one form of parameters."""
    forms = tuple(tuple(p.strip() for p in s.split(",")) if s else () for s in signatures)
    return Builtin(fn, forms or ((),), variadic, pure)


# ---------------------------------------------------------------- conversion


def _date(*args):
    if len(args) == 3:
        if not all(kind(a) == "number" for a in args):
            return None
        return make_date(_int(args[0]), _int(args[1]), _int(args[2]))
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
            day = day.date() if isinstance(day, dt.datetime) else day
            return combine(day, time)
        return None
    value = args[0]
    if isinstance(value, str):
        return parse_datetime(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return combine(value, dt.time())
    return None


def _time(*args):
    if len(args) >= 3:
        if not all(kind(a) == "number" for a in args[:3]):
            return None
        offset = args[3] if len(args) == 4 else None
        if offset is not None and not isinstance(offset, dt.timedelta):
            return None
        seconds = args[2]
        whole = _int(seconds)
        micro = int((seconds - whole) * 1_000_000)
        tz = dt.timezone(offset) if offset is not None else None
        return dt.time(_int(args[0]), _int(args[1]), whole, micro, tzinfo=tz)
    value = args[0]
    if isinstance(value, str):
        return parse_time(value)
    if isinstance(value, dt.datetime):
        return value.timetz()
    if isinstance(value, dt.date):
        return dt.time(0, 0, 0, tzinfo=dt.UTC)
    return value if isinstance(value, dt.time) else None


def _duration(text):
    return parse_duration(text) if isinstance(text, str) else None


def _ym_duration(start, end):
    if not all(isinstance(v, dt.date) for v in (start, end)):
        return None
    return months_between(start, end)


def _number(text, grouping=None, decimal=None):
    if not isinstance(text, str):
        return None
    if grouping not in (None, " ", ",", ".") or decimal not in (None, ".", ","):
        return None
    if grouping is not None and grouping == decimal:
        return None
    if grouping:
        text = text.replace(grouping, "")
    if decimal:
        text = text.replace(decimal, ".")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text.strip()):
        return None
    return DECIMAL.create_decimal(text.strip())


def _not(value):
    return (not value) if isinstance(value, bool) else None


# ---------------------------------------------------------------- numeric


def _numeric(fn):
    def wrapper(*args):
        return fn(*args) if all(kind(a) == "number" for a in args) else None

    return wrapper


def _rounded(rounding):
    def rounded(value, scale=Decimal(0)):
        if scale is None or not -6111 <= scale <= 6176:
            return None
        if -value.as_tuple().exponent <= scale:
            return value  # already no more digits than asked for
        quantum = Decimal(1).scaleb(-_int(scale))
        return value.quantize(quantum, rounding=rounding, context=DECIMAL)

    return _numeric(rounded)


def _modulo(dividend, divisor):
    if not divisor:
        return None
    return DECIMAL.subtract(
        dividend,
        DECIMAL.multiply(divisor, DECIMAL.divide(dividend, divisor).to_integral_value(ROUND_FLOOR)),
    )


def _integral(value) -> bool:
    return value == value.to_integral_value()


def _sqrt(value):
    return DECIMAL.sqrt(value) if value >= 0 else None


def _log(value):
    return DECIMAL.ln(value) if value > 0 else None


# ---------------------------------------------------------------- strings


def singleton(value):
    """FEEL reads a one-item list where a single value is expected."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _text_fn(fn):
    def wrapper(*args):
        args = [singleton(a) for a in args]
        return fn(*args) if all(isinstance(a, str) for a in args) else None

    return wrapper


def _substring(text, start, length=None):
    if not isinstance(text, str) or kind(start) != "number":
        return None
    if length is not None and kind(length) != "number":
        return None
    chars = list(text)  # code points, as FEEL counts them
    index = _int(start)
    if index == 0 or abs(index) > len(chars) + (1 if index > 0 else 0):
        return None if index == 0 else ""
    begin = index - 1 if index > 0 else len(chars) + index
    end = None if length is None else begin + _int(length)
    return "".join(chars[max(begin, 0) : end])


def _substring_before(text, match):
    index = text.find(match)
    return text[:index] if index >= 0 and match else ""


def _substring_after(text, match):
    index = text.find(match)
    return text[index + len(match) :] if index >= 0 else ""


def _string(value):
    return feel_string(value)


# -- regular expressions (XPath syntax: `$1` groups, flags s, m, i, x, q)


_FLAG_BITS = {"s": safe_re.DOTALL, "m": safe_re.MULTILINE, "i": safe_re.IGNORECASE, "x": 0, "q": 0}


def _regex(pattern, flags) -> tuple[str, int] | None:
    """An XML Schema pattern as an RE2 pattern with its flag bits (None: FEEL null).
    Matching runs on RE2 (bpmn.safe_re): linear time, sizes and the deadline checked."""
    if not isinstance(pattern, str) or flags is not None and not isinstance(flags, str):
        return None
    options = 0
    for flag in flags or "":
        if flag not in _FLAG_BITS:
            return None
        options |= _FLAG_BITS[flag]
    if "q" in (flags or ""):
        return re.escape(pattern), options
    pattern = translate(pattern, flags or "")
    return None if pattern is None else (pattern, options)


def _matches(text, pattern, flags=None):
    regex = _regex(pattern, flags)
    if regex is None or not isinstance(text, str):
        return None
    try:
        return safe_re.search(regex[0], text, regex[1]) is not None
    except safe_re.RegexError:
        return None


def _replace(text, pattern, replacement, flags=None):
    regex = _regex(pattern, flags)
    if regex is None or not isinstance(text, str) or not isinstance(replacement, str):
        return None
    template = re.sub(r"\\", r"\\\\", replacement)
    template = re.sub(r"\$(\d)", r"\\g<\1>", template)
    try:
        return safe_re.sub(regex[0], template, text, 0, regex[1])
    except (safe_re.RegexError, IndexError):
        return None


def _split(text, delimiter):
    regex = _regex(delimiter, None)
    if regex is None or not isinstance(text, str):
        return None
    try:
        return safe_re.split(regex[0], text, 0, regex[1])
    except safe_re.RegexError:
        return None


BUILTINS: dict[str, Builtin] = {
    "date": B(_date, "from", "year, month, day"),
    "date and time": B(_date_and_time, "from", "date, time"),
    "time": B(_time, "from", "hour, minute, second, offset?"),
    "duration": B(_duration, "from"),
    "years and months duration": B(_ym_duration, "from, to"),
    "string": B(_string, "from"),
    "number": B(_number, "from, grouping separator?, decimal separator?"),
    "not": B(_not, "negand"),
    "abs": B(lambda v: abs(v) if kind(v) in ("number", "duration", "ymduration") else None, "n"),
    "floor": B(_rounded(ROUND_FLOOR), "n, scale?"),
    "ceiling": B(_rounded(ROUND_CEILING), "n, scale?"),
    "decimal": B(_rounded(ROUND_HALF_EVEN), "n, scale"),
    "round up": B(_rounded(ROUND_UP), "n, scale?"),
    "round down": B(_rounded(ROUND_DOWN), "n, scale?"),
    "round half up": B(_rounded(ROUND_HALF_UP), "n, scale?"),
    "round half down": B(_rounded(ROUND_HALF_DOWN), "n, scale?"),
    "modulo": B(_numeric(_modulo), "dividend, divisor"),
    "sqrt": B(_numeric(_sqrt), "number"),
    "log": B(_numeric(_log), "number"),
    "exp": B(_numeric(lambda v: DECIMAL.exp(v)), "number"),
    "odd": B(_numeric(lambda v: _integral(v) and int(v) % 2 == 1), "number"),
    "even": B(_numeric(lambda v: _integral(v) and int(v) % 2 == 0), "number"),
    "contains": B(_text_fn(lambda s, sub: sub in s), "string, match"),
    "starts with": B(_text_fn(lambda s, p: s.startswith(p)), "string, match"),
    "ends with": B(_text_fn(lambda s, p: s.endswith(p)), "string, match"),
    "upper case": B(_text_fn(str.upper), "string"),
    "lower case": B(_text_fn(str.lower), "string"),
    "string length": B(_text_fn(lambda s: Decimal(len(s))), "string"),
    "substring": B(_substring, "string, start position, length?"),
    "substring before": B(_text_fn(_substring_before), "string, match"),
    "substring after": B(_text_fn(_substring_after), "string, match"),
    "matches": B(_matches, "input, pattern, flags?"),
    "replace": B(_replace, "input, pattern, replacement, flags?"),
    "split": B(_split, "string, delimiter"),
    **{
        name: B(fn, *forms, variadic=var, pure=pure)
        for name, (fn, forms, var, pure) in LIBRARY.items()
    },
}

# Function names with spaces: the tokenizer reads these as one name when "(" follows.
BUILTINS["context put"] = dataclasses.replace(
    BUILTINS["context put"], named_checks=(("key", lambda v: isinstance(v, str)),)
)

MULTI_WORD_FUNCTIONS = tuple(sorted((n for n in BUILTINS if " " in n), key=len, reverse=True))


def call_builtin(name: str, args: list) -> Any:
    """Run a built-in on FEEL values; bad arguments give null, like FEEL does."""
    try:
        return normalize(BUILTINS[name].fn(*args))
    except LimitExceeded as exc:  # a size limit is an error to report, not a FEEL null
        raise ExpressionError(f"FEEL {name}() was stopped: {exc}") from None
    except (FeelError, TypeError, ValueError, OverflowError, DecimalException, AttributeError):
        return None


def builtin_value(name: str) -> FeelFunction | None:
    """A built-in used as a value (`sort(xs, precedes)` style higher-order calls)."""
    builtin = BUILTINS.get(name)
    if builtin is None:
        return None
    params = tuple(p.rstrip("?") for p in max(builtin.signatures, key=len))

    def run(args):
        while len(args) > builtin.min_args and args and args[-1] is None:
            args = args[:-1]
        return call_builtin(name, list(args))

    return FeelFunction(name, params, run, variadic=builtin.variadic)
