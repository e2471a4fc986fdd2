"""The token-level half of the FEEL parser: reading names, operators and keywords, and
failing with the position of the offending token."""

from collections.abc import Iterable

from bpmn.feel_functions import BUILTINS, MULTI_WORD_FUNCTIONS
from bpmn.feel_lexer import NO_MERGE, SIMPLE_NAME, Token, tokenize, unescape
from bpmn.feel_values import FeelError

_FUNCTIONS = frozenset(BUILTINS)


class TokenReader:
    def __init__(self, text: str, known_names: Iterable[str] = ()):
        self.text = text
        self.known = frozenset(known_names)
        long_names = {n for n in self.known if not SIMPLE_NAME.fullmatch(n)}
        long_names.update(MULTI_WORD_FUNCTIONS)
        order = tuple(sorted(long_names, key=len, reverse=True))
        self.tokens = tokenize(text, order, _FUNCTIONS)
        self.i = 0
        self.bound: list[set] = []  # names bound by enclosing contexts, functions, loops
        self.in_range_end = False  # `[1..10[`: the `[` closes the range, it is no filter

    def _declared(self, name: str) -> bool:
        return name in self.known or any(name in scope for scope in self.bound)

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

    def _at_word(self, word: str, ahead: int = 0) -> bool:
        token = self._peek(ahead)
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

    def _name_words(self) -> str:
        """A name, possibly of several words (`start position`, `time offset`)."""
        token = self._take()
        if token.kind == "string":
            return unescape(token.value)
        if token.kind != "name":
            self._fail("expected a name", token)
        word = token.value
        while self._peek().kind == "name" and self._peek().value not in NO_MERGE:
            word = f"{word} {self._take().value}"
        return word
