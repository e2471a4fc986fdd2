"""Recursive-descent parser for FEEL (DMN 1.5 chapter 10), producing closures.

Every node is built as a `Compiled` closure; nodes whose operands are all constants are
folded at compile time, so `>= date("2026-01-01")` costs one comparison when evaluated.
Anything that is not FEEL raises FeelError, which is how the DMN engine recognises
SpiffArena's Python cells (`len(x)`, `'Large'`, `x is None`) and hands them to the sandbox.
"""

from decimal import DecimalException

from bpmn.feel_arith import negate
from bpmn.feel_functions import BUILTINS, builtin_value, call_builtin
from bpmn.feel_lexer import KEYWORDS, NO_MERGE, Token, unescape
from bpmn.feel_literals import LiteralParsing
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
from bpmn.feel_reader import TokenReader
from bpmn.feel_scope import (
    Span,
    call_node,
    filter_node,
    for_node,
    function_node,
    instance_node,
    quantified_node,
)
from bpmn.feel_values import (
    DECIMAL,
    FeelError,
    path,
)

_FUNCTIONS = frozenset(BUILTINS)


class Parser(LiteralParsing, TokenReader):
    """One text, one parse. Precedence, lowest first: if/for/some/every/function, or, and,
    comparison/between/in/instance of, + -, * /, **, unary minus, postfix (path, filter,
    call), primary."""

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
            start = self.i
            self.i += 2
            inner = self._positive_tests()
            self._expect_op(")")
            if self._peek().kind == "end" or self._at_op(","):
                children = inner.children if inner.kind == "any" else [inner]
                return UnaryTestSpec("not", children=children)
            self.i = start  # `not(x) and y`: an expression after all
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
        if self._at_word("for") and self._peek(1).kind == "name":
            self.i += 1
            variables = self._iteration_contexts()
            self._expect_word("return")
            body = self._expression()
            self.bound.pop()
            return for_node(variables, body)
        if (self._at_word("some") or self._at_word("every")) and self._peek(1).kind == "name":
            every = self._take().value == "every"
            variables = self._iteration_contexts()
            self._expect_word("satisfies")
            body = self._expression()
            self.bound.pop()
            return quantified_node(every, variables, body)
        if self._at_word("function") and self._at_op("(", ahead=1):
            return self._function_literal()
        return self._disjunction()

    def _iteration_contexts(self) -> list:
        variables = []
        scope: set = {"partial"}
        self.bound.append(scope)
        while True:
            name = self._name_words()
            scope.add(name)
            self._expect_word("in")
            domain = self._expression()
            if self._at_op(".."):
                self.i += 1
                high = self._expression()
                domain = apply(lambda lo, hi: Span(lo, hi, True, True), domain, high)
            variables.append((name, domain))
            if not self._at_op(","):
                return variables
            self.i += 1

    def _function_literal(self) -> Compiled:
        self.i += 2
        params = []
        types = []
        while not self._at_op(")"):
            params.append(self._name_words())
            types.append(None)
            if self._at_op(":"):
                self.i += 1
                types[-1] = self._type_text()
            if not self._at_op(")"):
                self._expect_op(",")
        self.i += 1
        if self._at_word("external"):
            self._fail("external functions (Java, PMML) are not supported")
        self.bound.append(set(params))
        body = self._expression()
        self.bound.pop()
        return function_node(params, body, types)

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
        while True:
            token = self._peek()
            if token.kind == "op" and token.value in COMPARE_OPS:
                self.i += 1
                left = apply(COMPARE_OPS[token.value], left, self._additive())
            elif self._at_word("between"):
                self.i += 1
                low = self._additive()
                self._expect_word("and")
                left = apply(between, left, low, self._additive())
            elif self._at_word("in"):
                self.i += 1
                left = self._in(left)
            elif self._at_word("instance") and self._at_word("of", ahead=1):
                self.i += 2
                left = instance_node(left, self._type_text())
            else:
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
        return Compiled(lambda ctx, q: _tested(test, f(ctx, q), ctx), names, left.uses_input)

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
        return self._postfix(self._primary())

    def _postfix(self, node: Compiled) -> Compiled:
        while True:
            if self._at_op(".") and self._peek(1).kind == "name":
                self.i += 1
                key = self._name_words()
                if key.startswith("__"):
                    self._fail("names starting with __ are not allowed")
                node = apply(lambda value, key=key: path(value, key), node)
            elif self._at_op("[") and not self.in_range_end:
                self.i += 1
                condition = self._expression()
                self._expect_op("]")
                node = filter_node(node, condition)
            elif self._at_op("("):
                args, keys = self._arguments()
                node = call_node(node, args, keys)
            else:
                return node

    def _primary(self) -> Compiled:
        token = self._take()
        if token.kind == "number":
            try:
                return const(DECIMAL.create_decimal(token.value))
            except DecimalException:
                self._fail("number out of range", token)
        if token.kind == "string":
            return const(unescape(token.value))
        if token.kind == "name":
            return self._name_or_call(token)
        if token.kind == "op":
            if token.value == "?":
                return Compiled(lambda ctx, q: q, uses_input=True)
            if token.value == "(":
                return self._parenthesised()
            if token.value == "[":
                return self._bracketed()
            if token.value == "{":
                return self._context()
            if token.value == "]":
                return self._interval(self._expression(), low_closed=False)
            if token.value in ("<", "<=", ">", ">="):
                return self._open_range(token.value)
            if token.value == "@" and self._peek().kind == "string":
                return self._at_literal(self._take())
        self._fail("unexpected", token)

    def _name_or_call(self, token: Token) -> Compiled:
        word = token.value
        if word in ("true", "false"):
            return const(word == "true")
        if word == "null":
            return const(None)
        if word in KEYWORDS and not (word == "not" and self._at_op("(")):
            self._fail("unexpected keyword", token)
        while (
            word not in NO_MERGE
            and self._peek().kind == "name"
            and self._peek().value not in NO_MERGE
        ):
            word = f"{word} {self._take().value}"  # a name with spaces, e.g. Applicant Age
        if word.startswith("__"):
            self._fail("names starting with __ are not allowed", token)
        if word in ("True", "False", "None") and word not in self.known:
            self._fail("Python literal (FEEL writes true, false, null)", token)
        if self._at_op("(") and not self._declared(word):
            if word in BUILTINS:
                return self._builtin_call(word, token)
            self._fail(f"unknown function {word!r}", token)
        return name_node(word, builtin_value(word))

    def _arguments(self) -> tuple[list[Compiled], list[str] | None]:
        self._expect_op("(")
        args: list[Compiled] = []
        keys: list[str] | None = None
        while not self._at_op(")"):
            if self._is_named_argument():
                keys = keys if keys is not None else []
                keys.append(self._name_words())
                self._expect_op(":")
            elif keys is not None:
                self._fail("positional argument after a named one")
            args.append(self._expression())
            if not self._at_op(")"):
                self._expect_op(",")
        self.i += 1
        return args, keys

    def _is_named_argument(self) -> bool:
        ahead = 0
        while self._peek(ahead).kind == "name":
            ahead += 1
        return ahead > 0 and self._at_op(":", ahead=ahead)

    def _builtin_call(self, name: str, token: Token) -> Compiled:
        builtin = BUILTINS[name]
        args, keys = self._arguments()
        if keys is not None:
            ordered = builtin.order(dict(zip(keys, range(len(keys)), strict=True)))
            if ordered is None:
                self._fail(f"{name}() has no parameters named {', '.join(keys)}", token)
            args = [args[i] if i is not None else const(None) for i in ordered]
            args = _checked(builtin, keys, ordered, args)
            while args and ordered[len(args) - 1] is None:
                args.pop()
            while len(args) < builtin.min_args:
                args.append(const(None))  # a parameter not named is null
        if not builtin.min_args <= len(args) <= builtin.max_args:
            self._fail(f"{name}() takes {builtin.min_args}..{builtin.max_args} arguments", token)
        if builtin.pure and all(arg.is_const for arg in args):
            return const(call_builtin(name, [arg.const for arg in args]))

        def at_runtime(*values):
            return call_builtin(name, list(values))

        if not args:
            return Compiled(lambda c, q: at_runtime())
        return apply(at_runtime, *args, pure=False)


def _checked(builtin, keys: list[str], ordered: list, args: list[Compiled]) -> list[Compiled]:
    """Apply a built-in's checks on arguments given by name: a failing one becomes an
    argument the function rejects, so the call is null."""
    checks = dict(builtin.named_checks)
    for position, index in enumerate(ordered):
        if index is not None and keys[index] in checks:
            check = checks[keys[index]]
            args[position] = apply(
                lambda v, check=check: v if check(v) else _REJECTED, args[position]
            )
    return args


_REJECTED = object()  # no built-in accepts it: its call gives null


def _tested(test, value, ctx):
    if value is None:
        return test(value, ctx) or None
    return test(value, ctx)
