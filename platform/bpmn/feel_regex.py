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
    pattern = _SUBTRACTION.sub(r"(?:(?![\2])[\1])", pattern)
    for name, chars in _BLOCKS.items():
        pattern = pattern.replace(f"\\p{{{name}}}", f"[{chars}]")
        pattern = pattern.replace(f"\\P{{{name}}}", f"[^{chars}]")
    if "s" not in flags:
        pattern = _dot_excludes_line_ends(pattern)
    return pattern


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
