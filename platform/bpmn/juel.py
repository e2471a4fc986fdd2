"""Camunda's `${…}` / `#{…}` expressions (JUEL), translated once at deploy time into the
sandboxed evaluator's syntax (bpmn.sandbox.evaluate_expression).

The subset is what people write in Camunda Modeler: variables and dotted paths
(`customer.tier` reads the key "tier" of the dict `customer`), indexes (`items[0]`),
literals (numbers, 'strings', true, false, null), comparisons (`== != < > <= >=` and
`eq ne lt gt le ge`), `!`/`not`, `&&`/`and`, `||`/`or`, `empty`, `+ - * / %`/`div`/`mod`
and `a ? b : c`. Method and function calls (`${bean.check()}`) have no Python meaning here
and are refused with a JuelError, which the deploy turns into an error naming the element.
Every operation is parenthesised, so JUEL's precedence is kept (`a < b < c` is never a
Python chained comparison).
"""

import keyword
import re

_KEYWORDS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
}
_LITERALS = {"true": "True", "false": "False", "null": "None"}
_TOKEN = re.compile(
    r"""\s*(?:
    (?P<number>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%<>!?:.\[\](),{}])
    )""",
    re.VERBOSE,
)


class JuelError(ValueError):
    """An expression outside the supported JUEL subset; the message says what and where."""


def is_expression(text: str | None) -> bool:
    return bool(text) and ("${" in text or "#{" in text)


def _tokens(source: str) -> list[tuple[str, str, int]]:
    tokens, pos, end = [], 0, len(source.rstrip())
    while pos < end:
        match = _TOKEN.match(source, pos)
        if match is None or match.end() == pos:
            raise JuelError(f"unexpected character {source[pos:].strip()[:1]!r} at {pos + 1}")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "name" and value in _KEYWORDS:
            kind, value = "op", _KEYWORDS[value]
        elif kind == "name" and value in ("empty", "instanceof"):
            kind = "op"
        tokens.append((kind, value, match.start(kind)))
        pos = match.end()
    tokens.append(("end", "", end))
    return tokens


class _Parser:
    """Recursive descent over the JUEL grammar, emitting Python source."""

    def __init__(self, source: str):
        self.source = source
        self.tokens = _tokens(source)
        self.i = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self, *ops: str) -> str | None:
        kind, value, _ = self.peek()
        if kind == "op" and value in ops:
            self.i += 1
            return value
        return None

    def expect(self, op: str) -> None:
        if self.take(op) is None:
            kind, value, pos = self.peek()
            found = repr(value) if kind != "end" else "the end"
            raise JuelError(f"expected {op!r} at {pos + 1}, found {found}")

    def parse(self) -> str:
        result = self.ternary()
        kind, value, pos = self.peek()
        if kind != "end":
            raise JuelError(f"unexpected {value!r} at {pos + 1}")
        return result

    def ternary(self) -> str:
        condition = self.binary(0)
        if self.take("?"):
            then = self.ternary()
            self.expect(":")
            otherwise = self.ternary()
            return f"({then} if {condition} else {otherwise})"
        return condition

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%"))
    _PYTHON = {"||": "or", "&&": "and"}

    def binary(self, level: int) -> str:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while (op := self.take(*self._LEVELS[level])) is not None:
            right = self.binary(level + 1)
            left = f"({left} {self._PYTHON.get(op, op)} {right})"
        return left

    def unary(self) -> str:
        if self.take("!"):
            return f"(not {self.unary()})"
        if self.take("-"):
            return f"(-{self.unary()})"
        if self.take("empty"):
            operand = self.unary()
            return f"({operand} in (None, '', [], {{}}))"
        return self.postfix()

    def postfix(self) -> str:
        start = self.peek()[2]
        result = self.primary()
        while True:
            if self.take("."):
                kind, value, pos = self.peek()
                if kind != "name":
                    raise JuelError(f"expected a property name after '.' at {pos + 1}")
                self.i += 1
                result = f"{result}[{value!r}]"
            elif self.take("["):
                result = f"{result}[{self.ternary()}]"
                self.expect("]")
            elif self.peek()[:2] == ("op", "("):
                call = self.source[start : self.peek()[2]].strip()
                raise JuelError(
                    f"method and function calls such as {call}(…) are not supported; "
                    "compute the value in a script or service task and refer to the variable"
                )
            else:
                return result

    def primary(self) -> str:
        kind, value, pos = self.peek()
        self.i += 1
        if kind == "number":
            return value
        if kind == "string":
            return repr(_unquote(value))
        if kind == "name":
            if value in _LITERALS:
                return _LITERALS[value]
            if keyword.iskeyword(value) or "$" in value:
                raise JuelError(f"the name {value!r} cannot be used as a variable")
            return value
        if kind == "op" and value == "(":
            inner = self.ternary()
            self.expect(")")
            return inner
        if kind == "end":
            raise JuelError("the expression is incomplete")
        raise JuelError(f"unexpected {value!r} at {pos + 1}")


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def translate_expression(source: str) -> str:
    """The body of one `${…}` (without the braces) as a sandbox expression."""
    if not source.strip():
        raise JuelError("the expression is empty")
    return _Parser(source).parse()


def _segments(text: str) -> list[tuple[bool, str]]:
    """Split template text into (is_expression, text) parts."""
    parts, pos = [], 0
    while (start := _find_open(text, pos)) != -1:
        if start > pos:
            parts.append((False, text[pos:start]))
        end = _find_close(text, start + 2)
        parts.append((True, text[start + 2 : end]))
        pos = end + 1
    if pos < len(text):
        parts.append((False, text[pos:]))
    return parts


def _find_open(text: str, pos: int) -> int:
    found = [i for i in (text.find("${", pos), text.find("#{", pos)) if i != -1]
    return min(found) if found else -1


def _find_close(text: str, pos: int) -> int:
    quote = None
    i = pos
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "}":
            return i
        i += 1
    raise JuelError("'${' is not closed with '}'")


def translate(text: str) -> str:
    """Template text with `${…}` parts as one sandbox expression: `${amount > 1000}` gives
    `(amount > 1000)`; `Dear ${name}` gives `('Dear ' + str(name))`; text without
    expressions gives a string literal."""
    parts = _segments(text.strip())
    if len(parts) == 1 and parts[0][0]:
        return translate_expression(parts[0][1])
    pieces = [
        f"str({translate_expression(body)})" if is_expr else repr(body) for is_expr, body in parts
    ]
    if not pieces:
        return "''"
    return pieces[0] if len(pieces) == 1 else "(" + " + ".join(pieces) + ")"
