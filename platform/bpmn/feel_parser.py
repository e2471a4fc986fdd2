"""Tokenizer and recursive-descent parser for the FEEL subset, producing closures.

Every node is built as a `Compiled` closure; nodes whose operands are all constants are
folded at compile time, so `>= date("2026-01-01")` costs one comparison when evaluated.
Anything outside the subset raises FeelError, which is how the DMN engine recognises
SpiffArena's Python cells (`len(x)`, `'Large'`, `in [...]`) and hands them to the sandbox.
"""

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from bpmn.feel_functions import BUILTINS, MULTI_WORD_FUNCTIONS, call_builtin
from bpmn.feel_nodes import (
    BINARY,
    COMPARE_OPS,
    Compiled,
    UnaryTestSpec,
    apply,
    between,
    build_test,
    const,
    if_node,
    logic,
    name_node,
    spec_names,
)
from bpmn.feel_values import (
    FeelError,
    Range,
    negate,
    parse_temporal,
    path,
)

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>\d+(?:\.\d+)?|\.\d+)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>\.\.|<=|>=|!=|\*\*|[-+*/<>=(),\[\]{}:.@?])
      | (?P<name>[^\W\d]\w*)""",
    re.VERBOSE,
)
_SIMPLE_NAME = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/"}
_FEEL_KEYWORDS = frozenset(
    "and or not if then else in between true false null instance of for some every "
    "satisfies return function".split()
)
# Adjacent plain names merge into one (`Applicant Age`), but never across these, so that a
# Python cell such as `x is None` stays invalid FEEL and goes to the Python fallback.
_NO_MERGE = _FEEL_KEYWORDS | {"is", "lambda", "None", "True", "False"}


class Token(NamedTuple):
    kind: str  # number, string, op, name, end
    value: str
    pos: int


def tokenize(text: str, long_names: tuple[str, ...]) -> list[Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        name = _long_name_at(text, pos, long_names)
        if name:
            tokens.append(Token("name", name, pos))
            pos += len(name)
            continue
        match = _TOKEN.match(text, pos)
        if match is None:
            raise FeelError(f"unexpected {text[pos]!r} at position {pos + 1} in {text!r}")
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _long_name_at(text: str, pos: int, long_names: tuple[str, ...]) -> str | None:
    """A known name with spaces or symbols (longest first) starting at pos, if any."""
    if not (text[pos].isalpha() or text[pos] == "_"):
        return None
    for name in long_names:
        if not text.startswith(name, pos):
            continue
        end = pos + len(name)
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            continue
        if name in BUILTINS and not text[end:].lstrip().startswith("("):
            continue  # "date and time" is a function name only when called
        return name
    return None


def _unescape(literal: str) -> str:
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
        elif code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        else:
            raise FeelError(f"unknown escape \\{code} in {literal}")
    return "".join(out)


class Parser:
    """One text, one parse. Precedence, lowest first: if, or, and, comparison/between/in,
    + -, * /, **, unary minus, path, primary."""

    def __init__(self, text: str, known_names: Iterable[str] = ()):
        self.text = text
        self.known = frozenset(known_names)
        long_names = {n for n in self.known if not _SIMPLE_NAME.fullmatch(n)}
        long_names.update(MULTI_WORD_FUNCTIONS)
        self.tokens = tokenize(text, tuple(sorted(long_names, key=len, reverse=True)))
        self.i = 0

    # -- entry points

    def parse_expression(self) -> Compiled:
        if self._peek().kind == "end":
            raise FeelError("empty expression")
        node = self._expression()
        self._expect_end()
        return node

    def parse_unary_tests(self) -> UnaryTestSpec | None:
        first = self._peek()
        if first.kind == "end" or (first.value == "-" and self.tokens[1].kind == "end"):
            return None  # `-` or an empty cell: anything matches
        spec = self._positive_tests()
        self._expect_end()
        return spec

    # -- token helpers

    def _peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def _take(self) -> Token:
        token = self._peek()
        self.i += 1
        return token

    def _at_op(self, *ops: str, ahead: int = 0) -> bool:
        token = self._peek(ahead)
        return token.kind == "op" and token.value in ops

    def _at_word(self, word: str) -> bool:
        token = self._peek()
        return token.kind == "name" and token.value == word

    def _expect_op(self, op: str) -> None:
        if not self._at_op(op):
            self._fail(f"expected {op!r}")
        self.i += 1

    def _expect_word(self, word: str) -> None:
        if not self._at_word(word):
            self._fail(f"expected {word!r}")
        self.i += 1

    def _expect_end(self) -> None:
        if self._peek().kind != "end":
            self._fail("unexpected text")

    def _fail(self, message: str, token: Token | None = None):
        token = token or self._peek()
        found = repr(token.value) if token.kind != "end" else "end of text"
        raise FeelError(f"{message} at position {token.pos + 1} ({found}) in {self.text!r}")

    # -- unary tests

    def _positive_tests(self) -> UnaryTestSpec:
        tests = [self._positive_test()]
        while self._at_op(","):
            self.i += 1
            tests.append(self._positive_test())
        return tests[0] if len(tests) == 1 else UnaryTestSpec("any", children=tests)

    def _positive_test(self) -> UnaryTestSpec:
        token = self._peek()
        if token.kind == "op" and token.value in ("<", "<=", ">", ">=", "=", "!="):
            self.i += 1
            return UnaryTestSpec(token.value, self._additive())
        if self._at_word("not") and self._at_op("(", ahead=1):
            self.i += 2
            inner = self._positive_tests()
            self._expect_op(")")
            children = inner.children if inner.kind == "any" else [inner]
            return UnaryTestSpec("not", children=children)
        return UnaryTestSpec("expr", self._expression())

    # -- expressions

    def _expression(self) -> Compiled:
        if self._at_word("if"):
            self.i += 1
            cond = self._expression()
            self._expect_word("then")
            then = self._expression()
            self._expect_word("else")
            return if_node(cond, then, self._expression())
        return self._disjunction()

    def _disjunction(self) -> Compiled:
        node = self._conjunction()
        while self._at_word("or"):
            self.i += 1
            node = logic(False, node, self._conjunction())
        return node

    def _conjunction(self) -> Compiled:
        node = self._comparison()
        while self._at_word("and"):
            self.i += 1
            node = logic(True, node, self._comparison())
        return node

    def _comparison(self) -> Compiled:
        left = self._additive()
        token = self._peek()
        if token.kind == "op" and token.value in COMPARE_OPS:
            self.i += 1
            return apply(COMPARE_OPS[token.value], left, self._additive())
        if self._at_word("between"):
            self.i += 1
            low = self._additive()
            self._expect_word("and")
            return apply(between, left, low, self._additive())
        if self._at_word("in"):
            self.i += 1
            return self._in(left)
        return left

    def _in(self, left: Compiled) -> Compiled:
        start = self.i
        try:
            spec = self._positive_test()
        except FeelError:
            opening = self.tokens[start]
            if (opening.kind, opening.value) != ("op", "("):
                raise
            self.i = start + 1  # `x in (1, 2, 3)`: a parenthesised list of tests
            spec = self._positive_tests()
            self._expect_op(")")
        test = build_test(spec)
        f = left.fn
        names = left.names | spec_names(spec)
        return Compiled(lambda ctx, q: test(f(ctx, q), ctx), names, left.uses_input)

    def _additive(self) -> Compiled:
        node = self._multiplicative()
        while self._at_op("+", "-"):
            op = BINARY[self._take().value]
            node = apply(op, node, self._multiplicative())
        return node

    def _multiplicative(self) -> Compiled:
        node = self._power()
        while self._at_op("*", "/"):
            op = BINARY[self._take().value]
            node = apply(op, node, self._power())
        return node

    def _power(self) -> Compiled:
        node = self._unary()
        while self._at_op("**"):
            self.i += 1
            node = apply(BINARY["**"], node, self._unary())
        return node

    def _unary(self) -> Compiled:
        if self._at_op("-"):
            self.i += 1
            return apply(negate, self._unary())
        return self._path(self._primary())

    def _path(self, node: Compiled) -> Compiled:
        while self._at_op(".") and self._peek(1).kind == "name":
            self.i += 1
            key = self._take().value
            if key.startswith("__"):
                self._fail("names starting with __ are not allowed")
            node = apply(lambda value, key=key: path(value, key), node)
        return node

    def _primary(self) -> Compiled:
        token = self._take()
        if token.kind == "number":
            return const(Decimal(token.value))
        if token.kind == "string":
            return const(_unescape(token.value))
        if token.kind == "name":
            return self._name_or_call(token)
        if token.kind == "op":
            if token.value == "?":
                return Compiled(lambda ctx, q: q, uses_input=True)
            if token.value == "(":
                return self._parenthesised()
            if token.value == "[":
                return self._bracketed()
            if token.value == "]":
                return self._interval(self._additive(), low_closed=False)
            if token.value == "@" and self._peek().kind == "string":
                return const(parse_temporal(_unescape(self._take().value)))
        self._fail("unexpected", token)

    def _name_or_call(self, token: Token) -> Compiled:
        word = token.value
        if word in ("true", "false"):
            return const(word == "true")
        if word == "null":
            return const(None)
        if word in _FEEL_KEYWORDS and not (word == "not" and self._at_op("(")):
            self._fail("unexpected keyword", token)
        if self._at_op("("):
            return self._call(word, token)
        while (
            word not in _NO_MERGE
            and self._peek().kind == "name"
            and self._peek().value not in _NO_MERGE
        ):
            word = f"{word} {self._take().value}"  # a name with spaces, e.g. Applicant Age
        if word.startswith("__"):
            self._fail("names starting with __ are not allowed", token)
        if word in ("True", "False", "None") and word not in self.known:
            self._fail("Python literal (FEEL writes true, false, null)", token)
        return name_node(word)

    def _call(self, name: str, token: Token) -> Compiled:
        builtin = BUILTINS.get(name)
        if builtin is None:
            self._fail(f"unknown function {name!r}", token)
        self._expect_op("(")
        args = []
        if not self._at_op(")"):
            args.append(self._expression())
            while self._at_op(","):
                self.i += 1
                args.append(self._expression())
        self._expect_op(")")
        if not builtin.min_args <= len(args) <= builtin.max_args:
            self._fail(f"{name}() takes {builtin.min_args}..{builtin.max_args} arguments", token)
        if builtin.pure and all(arg.is_const for arg in args):
            return const(call_builtin(name, [arg.const for arg in args]))  # errors: bad literal

        def at_runtime(*values):
            try:
                return call_builtin(name, list(values))
            except FeelError:  # date("not a date") from data is null, as in FEEL
                return None

        return apply(at_runtime, *args, pure=False) if args else Compiled(lambda c, q: at_runtime())

    def _parenthesised(self) -> Compiled:
        inner = self._expression()
        if self._at_op(".."):
            return self._interval(inner, low_closed=False)
        self._expect_op(")")
        return inner

    def _bracketed(self) -> Compiled:
        if self._at_op("]"):
            self.i += 1
            return const([])
        first = self._expression()
        if self._at_op(".."):
            return self._interval(first, low_closed=True)
        items = [first]
        while self._at_op(","):
            self.i += 1
            items.append(self._expression())
        self._expect_op("]")
        return apply(lambda *values: list(values), *items)

    def _interval(self, low: Compiled, low_closed: bool) -> Compiled:
        self._expect_op("..")
        high = self._additive()
        end = self._take()
        if end.kind != "op" or end.value not in ("]", ")", "["):
            self._fail("expected ']', ')' or '[' to close the range", end)
        high_closed = end.value == "]"
        return apply(lambda lo, hi: Range(lo, hi, low_closed, high_closed), low, high)
