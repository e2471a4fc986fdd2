"""Regular expressions for models, on RE2 (linear time: no catastrophic backtracking).

`(a+)+$` against 'aaaa…b' takes seconds on Python's `re` and microseconds here. The
functions mirror `re` (match, search, fullmatch, sub, findall, split) with the IGNORECASE,
MULTILINE and DOTALL flags; what RE2 cannot do (backreferences, look-around) is refused
with a message naming the pattern. Results that would be huge (a `sub` that multiplies a
text) are refused before they are built.
"""

from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import re2

from bpmn.limits import Deadline, LimitExceeded, activate, active, check_length, current

IGNORECASE = 2  # the values of re's flags, so `re.IGNORECASE` written for `re` works
MULTILINE = 8
DOTALL = 16
_INLINE = ((IGNORECASE, "i"), (MULTILINE, "m"), (DOTALL, "s"))
MAX_PATTERN_LENGTH = 10_000
_MAX_PROGRAM_MEMORY = 8 << 20


class RegexError(ValueError):
    pass


@lru_cache(maxsize=512)
def _compile(pattern: str, flags: int):
    if not isinstance(pattern, str):
        raise RegexError("a regular expression pattern must be a text")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise LimitExceeded(
            f"a regular expression of {len(pattern):,} characters is over the limit of "
            f"{MAX_PATTERN_LENGTH:,}"
        )
    if flags & ~(IGNORECASE | MULTILINE | DOTALL):
        raise RegexError("only the IGNORECASE, MULTILINE and DOTALL flags are supported")
    inline = "".join(letter for bit, letter in _INLINE if flags & bit)
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _MAX_PROGRAM_MEMORY
    try:
        return re2.compile(f"(?{inline}){pattern}" if inline else pattern, options)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise RegexError(
            f"regular expression {pattern!r} is not supported ({detail}); backreferences "
            "and look-around are not available"
        ) from None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise RegexError(f"a regular expression searches a text, not {type(value).__name__}")
    return value


def match(pattern, text, flags=0):
    return _compile(pattern, flags).match(_text(text))


def search(pattern, text, flags=0):
    return _compile(pattern, flags).search(_text(text))


def fullmatch(pattern, text, flags=0):
    return _compile(pattern, flags).fullmatch(_text(text))


def findall(pattern, text, flags=0):
    regexp = _compile(pattern, flags)
    empty = ""
    items = []
    for found in _each(regexp, _text(text)):
        if not regexp.groups:
            items.append(found.group())
        elif regexp.groups == 1:
            items.append(found.groups(default=empty)[0])
        else:
            items.append(found.groups(default=empty))
    return items


def split(pattern, text, maxsplit=0, flags=0):
    regexp = _compile(pattern, flags)
    text = _text(text)
    pieces, end = [], 0
    for found in _each(regexp, text, maxsplit):
        pieces.append(text[end : found.start()])
        pieces.extend(found[group] for group in range(1, regexp.groups + 1))
        end = found.end()
    pieces.append(text[end:])
    return pieces


def sub(pattern, repl, text, count=0, flags=0):
    regexp = _compile(pattern, flags)
    text = _text(text)
    if not isinstance(repl, str):
        raise RegexError("the replacement of re.sub must be a text")
    pieces, end, size = [], 0, 0
    for found in _each(regexp, text, count):
        kept, added = text[end : found.start()], found.expand(repl)
        size += len(kept) + len(added)
        check_length(size + len(text) - found.end(), "a replaced text")
        pieces += (kept, added)
        end = found.end()
    pieces.append(text[end:])
    return "".join(pieces)


def _each(regexp, text: str, limit: int = 0):
    """The matches, at most `limit` (0: all), with the size and deadline checked as they
    come: RE2 finds each match in linear time, but a text can hold a million of them."""
    clock = active()
    for number, found in enumerate(regexp.finditer(text), 1):
        if limit and number > limit:
            return
        if number % 256 == 0:
            check_length(number, "the matches of a regular expression")
            if clock is not None:
                clock.check()
        yield found


def namespace() -> SimpleNamespace:
    """What models see as `re`."""
    return SimpleNamespace(
        match=match,
        search=search,
        fullmatch=fullmatch,
        sub=sub,
        findall=findall,
        split=split,
        IGNORECASE=IGNORECASE,
        I=IGNORECASE,
        MULTILINE=MULTILINE,
        M=MULTILINE,
        DOTALL=DOTALL,
        S=DOTALL,
    )


def feel_matches(text: Any, pattern: Any, flags: Any = "") -> bool | None:
    """FEEL `matches(input, pattern, flags?)` (XML Schema flags i, m, s)."""
    if not all(isinstance(v, str) for v in (text, pattern, flags)):
        return None
    return _compile(pattern, _feel_flags(flags)).search(text) is not None


def feel_replace(text: Any, pattern: Any, replacement: Any, flags: Any = "") -> str | None:
    """FEEL `replace(input, pattern, replacement, flags?)`: `$1` names a group."""
    if not all(isinstance(v, str) for v in (text, pattern, replacement, flags)):
        return None
    python_repl = re2_replacement(replacement)
    # FEEL has no evaluator deadline of its own: give this call the expression time limit.
    previous = activate(active() or Deadline(current().expression_timeout_ms))
    try:
        return sub(pattern, python_repl, text, 0, _feel_flags(flags))
    finally:
        activate(previous)


def re2_replacement(replacement: str) -> str:
    out, i = [], 0
    while i < len(replacement):
        char = replacement[i]
        if char == "$" and i + 1 < len(replacement) and replacement[i + 1].isdigit():
            out.append("\\" + replacement[i + 1])
            i += 2
            continue
        out.append("\\\\" if char == "\\" else char)
        i += 1
    return "".join(out)


def _feel_flags(flags: str) -> int:
    value = 0
    for letter in flags:
        bit = {"i": IGNORECASE, "m": MULTILINE, "s": DOTALL}.get(letter)
        if bit is None:
            raise RegexError(f"regular expression flag {letter!r} is not supported")
        value |= bit
    return value
