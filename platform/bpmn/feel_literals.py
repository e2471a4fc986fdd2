"""The literal-building half of the FEEL parser: ranges, lists, contexts, parenthesised
expressions, `@"..."` literals and type names. Mixed into feel_parser.Parser."""

from bpmn.feel_lexer import Token, unescape
from bpmn.feel_nodes import Compiled, apply, const
from bpmn.feel_scope import context_node, list_node
from bpmn.feel_types import TYPE_NAMES
from bpmn.feel_values import (
    NULL_END,
    EqualsRange,
    FeelError,
    NotEqualsRange,
    Range,
    parse_temporal,
)


class LiteralParsing:
    """Needs the TokenReader helpers and the Parser's `_expression` / `_additive`."""

    def _type_text(self) -> str:
        """The text of a type after `instance of` or a parameter's `:`."""
        start = self._peek().pos
        rest = self.text[start:]
        name = next((t for t in TYPE_NAMES if rest.startswith(t) and t != "context"), None)
        end = start + len(name) if name else None
        if end is None:
            token = self._take()
            if token.kind != "name":
                self._fail("expected a type", token)
            end = token.pos + len(token.value)
        depth = 0
        while True:
            while self._peek().kind != "end" and self._peek().pos < end:
                self.i += 1
            if self._at_op("<") and self._peek().pos == end or depth and self._peek().kind != "end":
                token = self._take()
                depth += {"<": 1, ">": -1}.get(token.value, 0) if token.kind == "op" else 0
                end = token.pos + len(token.value)
                if depth == 0:
                    break
                continue
            break
        if self._at_op("->"):
            self.i += 1
            end = self._peek().pos + len(self._type_text())
        return self.text[start:end].strip()

    def _at_literal(self, token: Token) -> Compiled:
        try:
            return const(parse_temporal(unescape(token.value)))
        except FeelError as exc:
            self._fail(str(exc), token)

    def _open_range(self, op: str) -> Compiled:
        bound = self._additive()
        if op in ("=", "!="):
            cls = EqualsRange if op == "=" else NotEqualsRange
            return apply(lambda at: cls(at, at, True, True), bound)
        if op in ("<", "<="):
            return apply(lambda hi: Range(None, hi, False, op == "<="), bound)
        return apply(lambda lo: Range(lo, None, op == ">=", False), bound)

    def _parenthesised(self) -> Compiled:
        if self._at_op("=", "!="):  # `(=10)`, `(!=10)`: ranges of one point (not `x == 1`)
            inner = self._open_range(self._take().value)
            self._expect_op(")")
            return inner
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
        return list_node(items)

    def _context(self) -> Compiled:
        entries = []
        scope: set = set()
        self.bound.append(scope)
        while not self._at_op("}"):
            key = self._context_key()
            self._expect_op(":")
            scope.add(key)  # before its value: a function entry may call itself
            entries.append((key, self._expression()))
            if not self._at_op("}"):
                self._expect_op(",")
        self.i += 1
        self.bound.pop()
        keys = [k for k, _ in entries]
        if len(set(keys)) != len(keys):
            self._fail("a context has two entries with the same name")
        return context_node(entries)

    def _context_key(self) -> str:
        """A string, or a name that may hold `+ - * / .` (`{foo+bar: 1}`): the text up to `:`."""
        if self._peek().kind != "name":
            return self._name_words()
        ahead = 0
        while self._peek(ahead).kind in ("name", "number") or self._at_op(
            "+", "-", "*", "/", ".", ahead=ahead
        ):
            ahead += 1
        if not self._at_op(":", ahead=ahead) or ahead == 1:
            return self._name_words()
        start, end = self._peek().pos, self._peek(ahead).pos
        self.i += ahead
        return " ".join(self.text[start:end].split())

    def _interval(self, low: Compiled, low_closed: bool) -> Compiled:
        self._expect_op("..")
        self.in_range_end, outer = True, self.in_range_end
        high = self._expression()
        self.in_range_end = outer
        end = self._take()
        if end.kind != "op" or end.value not in ("]", ")", "["):
            self._fail("expected ']', ')' or '[' to close the range", end)
        high_closed = end.value == "]"

        def make(lo, hi):
            lo = NULL_END if lo is None else lo  # `(null..10)` is not `(< 10)`
            hi = NULL_END if hi is None else hi
            return Range(lo, hi, low_closed, high_closed)

        return apply(make, low, high)
