"""Compile DMN boxed expressions to FEEL closures: literal expressions, decision tables,
contexts, invocations, relations, lists, function definitions and the DMN 1.5 conditional,
filter, for, some and every. Each compiles to a `Compiled` evaluated with the decision's
context; an element this engine does not know raises DmnError naming it."""

from collections.abc import Callable

from lxml import etree

from bpmn.dmn_cells import compile_value
from bpmn.dmn_table import Table
from bpmn.dmn_xml import DecisionSpec, DmnError, read_table, text_of
from bpmn.feel_nodes import Compiled, Scope, const
from bpmn.feel_scope import filter_node, for_node, function_node, invoke, quantified_node
from bpmn.feel_values import FeelFunction

EXPRESSIONS = frozenset(
    "literalExpression decisionTable context invocation relation list functionDefinition "
    "conditional filter for some every".split()
)


def local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def expression_child(el) -> etree._Element | None:
    """The boxed expression held by a decision, BKM, entry or binding."""
    return next((c for c in el if local(c) in EXPRESSIONS), None)


class BoxedCompiler:
    def __init__(self, known: frozenset, filename: str, conform: Callable | None = None):
        self.known = known
        self.filename = filename
        self.conform = conform or (lambda value, type_ref: value)

    def compile(self, el: etree._Element | None, where: str) -> Compiled:
        if el is None:
            return const(None)
        method = getattr(self, f"_{local(el)}", None)
        if method is None:
            raise DmnError(f"{where}: <{local(el)}> is not a supported boxed expression")
        return method(el, where)

    def compile_function(self, el, where: str) -> Compiled:
        """A BKM's encapsulatedLogic: a functionDefinition under another element name."""
        return self._functionDefinition(el, where)

    def _child(self, el, name: str, where: str) -> Compiled:
        holder = next((c for c in el if local(c) == name), None)
        if holder is None:
            raise DmnError(f"{where}: <{local(el)}> has no <{name}>")
        return self.compile(expression_child(holder), f"{where} {name}")

    def _literalExpression(self, el, where):  # noqa: N802 - DMN element names
        if el.get("expressionLanguage", "").lower().endswith(("java", "pmml")):
            raise DmnError(f"{where}: expression language {el.get('expressionLanguage')}")
        return compile_value(text_of(el) or "", self.known, where)

    def _decisionTable(self, el, where):  # noqa: N802
        spec = DecisionSpec(id=where, name=where, variable=el.get("outputLabel") or "")
        read_table(el, spec, self.filename)
        table = Table(spec, self.known, self.filename, where)
        return Compiled(lambda ctx, q: table.evaluate(ctx)[0], frozenset())

    def _context(self, el, where):
        entries = []
        result = None
        for index, entry in enumerate((c for c in el if local(c) == "contextEntry"), start=1):
            variable = next((c for c in entry if local(c) == "variable"), None)
            value = self.compile(expression_child(entry), f"{where} entry {index}")
            if variable is None:
                result = value.fn
            else:
                entries.append((variable.get("name"), variable.get("typeRef"), value.fn))
        conform = self.conform

        def fn(ctx, q):
            values: dict = {}
            scope = Scope(values, ctx)
            for name, type_ref, f in entries:
                values[name] = conform(f(scope, q), type_ref)
            return result(scope, q) if result is not None else values

        return Compiled(fn, frozenset())

    def _list(self, el, where):
        items = [
            self.compile(c, f"{where} item {i}")
            for i, c in enumerate(el, 1)
            if local(c) in EXPRESSIONS
        ]
        fns = [i.fn for i in items]
        return Compiled(lambda ctx, q: [f(ctx, q) for f in fns], frozenset())

    def _relation(self, el, where):
        columns = [c.get("name") for c in el if local(c) == "column"]
        rows = []
        for number, row in enumerate((c for c in el if local(c) == "row"), start=1):
            cells = [
                self.compile(c, f"{where} row {number}") for c in row if local(c) in EXPRESSIONS
            ]
            if len(cells) != len(columns):
                raise DmnError(
                    f"{where} row {number}: {len(cells)} cells for {len(columns)} columns"
                )
            rows.append([c.fn for c in cells])

        def fn(ctx, q):
            return [{n: f(ctx, q) for n, f in zip(columns, row, strict=True)} for row in rows]

        return Compiled(fn, frozenset())

    def _invocation(self, el, where):
        target = self.compile(expression_child(el), f"{where} function")
        bindings = []
        for binding in (c for c in el if local(c) == "binding"):
            param = next((c for c in binding if local(c) == "parameter"), None)
            if param is None:
                raise DmnError(f"{where}: a <binding> without <parameter>")
            value = self.compile(expression_child(binding), f"{where} {param.get('name')}")
            bindings.append((param.get("name"), value.fn))
        t = target.fn

        def fn(ctx, q):
            return invoke(t(ctx, q), [], {name: f(ctx, q) for name, f in bindings})

        return Compiled(fn, frozenset())

    def _functionDefinition(self, el, where):  # noqa: N802
        kind = (el.get("kind") or "FEEL").upper()
        if kind != "FEEL":
            raise DmnError(f"{where}: {kind} functions are not supported")
        params = [(p.get("name"), p.get("typeRef")) for p in el if local(p) == "formalParameter"]
        body = self.compile(expression_child(el), f"{where} body")
        conform = self.conform
        result_type = _body_type(el)
        if not any(t for _, t in params) and not result_type:
            return function_node([n for n, _ in params], body)
        names = tuple(n for n, _ in params)
        b = body.fn

        def fn(ctx, q):
            def run(args):
                values = {n: conform(a, t) for (n, t), a in zip(params, args, strict=False)}
                if any(
                    values[n] is None and a is not None for n, a in zip(names, args, strict=False)
                ):
                    return None  # an argument not of its parameter's type
                return conform(b(Scope(values, ctx), q), result_type)

            return FeelFunction("anonymous", names, run)

        return Compiled(fn, frozenset())

    def _conditional(self, el, where):
        cond, then, other = (self._child(el, n, where).fn for n in ("if", "then", "else"))

        def fn(ctx, q):
            test = cond(ctx, q)
            if test is True:
                return then(ctx, q)
            return other(ctx, q) if test is False or test is None else None

        return Compiled(fn)

    def _filter(self, el, where):
        match = self._child(el, "match", where)
        return filter_node(self._child(el, "in", where), match, strict=True)

    def _iterator(self, el, where, body_name):
        name = el.get("iteratorVariable") or "item"
        return [(name, self._child(el, "in", where))], self._child(el, body_name, where)

    def _for(self, el, where):
        return for_node(*self._iterator(el, where, "return"))

    def _some(self, el, where):
        variables, test = self._iterator(el, where, "satisfies")
        return quantified_node(False, variables, test, strict=True)

    def _every(self, el, where):
        variables, test = self._iterator(el, where, "satisfies")
        return quantified_node(True, variables, test, strict=True)


def _body_type(el) -> str | None:
    """The declared result type of a function definition (its body's typeRef)."""
    body = expression_child(el)
    return body.get("typeRef") if body is not None else None
