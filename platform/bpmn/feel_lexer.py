"""FEEL tokens. Names may hold spaces and symbols (`Applicant Age`, `Date-Time`) only when
the model declares them: the lexer reads a declared name as one token, longest first."""

import re
from typing import NamedTuple

from bpmn.feel_values import FeelError

_TOKEN = re.compile(
    r"""(?P<space>\s+|//[^\n]*|/\*.*?\*/)
      | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>\.\.|<=|>=|!=|\*\*|->|[-+*/<>=(),\[\]{}:.@?])
      | (?P<name>(?:[^\W\d]|[\U00010000-\U0010FFFF])(?:\w|[\U00010000-\U0010FFFF])*(?:'\w*)*)""",
    re.VERBOSE | re.DOTALL,
)
SIMPLE_NAME = re.compile(r"[^\W\d]\w*")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/"}
KEYWORDS = frozenset(
    "and or not if then else in between true false null instance of for some every "
    "satisfies return function".split()
)
# Adjacent plain names merge into one (`Applicant Age`), but never across these, so that a
# Python cell such as `x is None` stays invalid FEEL and goes to the Python fallback.
NO_MERGE = KEYWORDS | {"is", "lambda", "None", "True", "False"}


class Token(NamedTuple):
    kind: str  # number, string, op, name, end
    value: str
    pos: int


def tokenize(text: str, long_names: tuple[str, ...], functions: frozenset) -> list[Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        found = _long_name_at(text, pos, long_names, functions)
        if found:
            tokens.append(Token("name", found[0], pos))
            pos = found[1]
            continue
        match = _TOKEN.match(text, pos)
        if match is None:
            raise FeelError(f"unexpected {text[pos]!r} at position {pos + 1} in {text!r}")
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _long_name_at(text: str, pos: int, long_names: tuple[str, ...], functions):
    """A known name with spaces or symbols (longest first) starting at pos, if any."""
    if not (text[pos].isalpha() or text[pos] == "_"):
        return None
    if pos and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
        return None
    for name in long_names:
        if text.startswith(name, pos):
            end = pos + len(name)
        elif " " in name and text.startswith(name.split(" ", 1)[0], pos):
            # `date and\n time(...)`: the words of a name may be split by any white space
            match = re.compile(r"\s+".join(map(re.escape, name.split(" ")))).match(text, pos)
            if match is None:
                continue
            end = match.end()
        else:
            continue
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            continue
        if name in functions and not text[end:].lstrip().startswith("("):
            continue  # "date and time" is a function name only when called
        return name, end
    return None


def unescape(literal: str) -> str:
    body = literal[1:-1]
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        code = body[i + 1]
        if code == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif code == "U" and re.fullmatch(r"[0-9a-fA-F]{6}", body[i + 2 : i + 8]):
            out.append(chr(int(body[i + 2 : i + 8], 16)))
            i += 8
        elif code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        else:  # `"\\d{3}"` in a pattern: the backslash stays
            out.append(char)
            i += 1
    return _join_surrogates("".join(out))


def _join_surrogates(text: str) -> str:
    """`"\\ud83d\\udc0e"` (a surrogate pair written as two escapes) is one character."""
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16")
