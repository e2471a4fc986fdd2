"""XPath regular expressions (what FEEL's matches/replace/split take) in Python's syntax.

XPath differs from Python where the TCK looks: `.` never matches \\r or \\n (without the s
flag), the x flag drops white space even after a backslash, classes may subtract
(`[A-Z-[OI]]`), `\\p{IsBasicLatin}` names a Unicode block, and a back-reference inside a
class is an error. `translate` returns None for a pattern XPath rejects."""

import re

_BLOCKS = {"IsBasicLatin": "\\x00-\\x7F", "IsLatin-1Supplement": "\\x80-\\xFF"}
_SUBTRACTION = re.compile(r"\[([^\[\]]+)-\[([^\[\]]+)\]\]")


def translate(pattern: str, flags: str) -> str | None:
    if "x" in flags:
        pattern = _drop_white_space(pattern)
    if re.search(r"\[[^\]]*\\\d", pattern):
        return None  # `[\1]`: no back-references inside a class
    try:
        pattern = _SUBTRACTION.sub(_subtract, pattern)
    except ValueError:
        return None
    for name, chars in _BLOCKS.items():
        pattern = pattern.replace(f"\\p{{{name}}}", f"[{chars}]")
        pattern = pattern.replace(f"\\P{{{name}}}", f"[^{chars}]")
    if "s" not in flags:
        pattern = _dot_excludes_line_ends(pattern)
    return pattern


def _subtract(found: re.Match) -> str:
    """`[A-Z-[OI]]` as one plain class (RE2 has no look-ahead to express it otherwise)."""
    chars = _class_chars(found[1]) - _class_chars(found[2])
    if not chars:
        raise ValueError("a class subtraction that leaves nothing")
    out, ordered = [], sorted(chars)
    start = prev = ordered[0]
    for code in [*ordered[1:], None]:
        if code is not None and code == prev + 1:
            prev = code
            continue
        out.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
        if code is not None:
            start = prev = code
    return "[" + "".join(out) + "]"


def _class_chars(body: str) -> set[int]:
    """The code points of a class body made of plain characters and ranges."""
    if "\\" in body or body.startswith("^"):
        raise ValueError("class subtraction supports plain characters and ranges only")
    chars, i = set(), 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            low, high = ord(body[i]), ord(body[i + 2])
            if high - low > 0xFFFF:
                raise ValueError("class range too large to subtract")
            chars.update(range(low, high + 1))
            i += 3
        else:
            chars.add(ord(body[i]))
            i += 1
    return chars


def _drop_white_space(pattern: str) -> str:
    out, in_class = [], False
    for char in pattern:
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        if char.isspace() and not in_class:
            continue
        out.append(char)
    return "".join(out)


def _dot_excludes_line_ends(pattern: str) -> str:
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
            continue
        if char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "." and not in_class:
            out.append("[^\\n\\r]")
            continue
        out.append(char)
    return "".join(out)
