"""Read DMN XML into plain specs, by local name, so that every DMN namespace (1.1 to 1.5,
Camunda, dmn-js, Trisotech) reads the same. Nothing here compiles or evaluates."""

from dataclasses import dataclass, field

from lxml import etree

from bpmn.xmlsafe import UnsafeXmlError, parse_xml

HIT_POLICIES = {
    "U": "UNIQUE",
    "A": "ANY",
    "P": "PRIORITY",
    "F": "FIRST",
    "R": "RULE ORDER",
    "O": "OUTPUT ORDER",
    "C": "COLLECT",
}
# The single-letter notation of an aggregated COLLECT (C+, C<, C>, C#).
_COLLECT_SIGNS = {"+": "SUM", "<": "MIN", ">": "MAX", "#": "COUNT"}
AGGREGATIONS = frozenset(_COLLECT_SIGNS.values())


class DmnError(ValueError):
    """A DMN file cannot be read or compiled, or a decision failed to evaluate. The message
    names the decision id and, for a rule, its 1-based row number."""


@dataclass
class InputSpec:
    label: str
    expression: str
    type_ref: str
    values: str | None  # inputValues: unary tests the input must pass


@dataclass
class OutputSpec:
    name: str
    label: str
    type_ref: str
    values: str | None  # outputValues: the allowed values, in priority order
    default: str | None  # defaultOutputEntry


@dataclass
class RuleSpec:
    row: int  # 1-based, as a modeler shows it
    inputs: list[str]
    outputs: list[str]
    id: str = ""  # kept by modelers across edits: how two versions' rules are paired
    description: str = ""


@dataclass
class DecisionSpec:
    id: str
    name: str
    variable: str
    hit_policy: str = "UNIQUE"
    aggregation: str | None = None
    inputs: list[InputSpec] = field(default_factory=list)
    outputs: list[OutputSpec] = field(default_factory=list)
    rules: list[RuleSpec] = field(default_factory=list)
    required: list[str] = field(default_factory=list)  # ids of required decisions
    literal: str | None = None  # a literal-expression decision instead of a table
    expression: etree._Element | None = None  # any other boxed expression
    type_ref: str | None = None
    error: str | None = None  # why the decision cannot be read (reported when it is used)


@dataclass
class InvocableSpec:
    """A business knowledge model (expression = its functionDefinition) or a decision
    service (outputs, inputs: ids of decisions and input data)."""

    id: str
    name: str
    expression: etree._Element | None = None
    outputs: list[str] = field(default_factory=list)
    input_decisions: list[str] = field(default_factory=list)
    input_data: list[str] = field(default_factory=list)
    type_ref: str | None = None  # its variable's typeRef


@dataclass
class DefinitionsSpec:
    decisions: list[DecisionSpec]
    input_names: list[str]  # inputData names: the context names the model declares
    namespace: str = ""
    inputs: dict = field(default_factory=dict)  # inputData id -> (name, typeRef)
    knowledge: list[InvocableSpec] = field(default_factory=list)
    services: list[InvocableSpec] = field(default_factory=list)
    item_definitions: list = field(default_factory=list)
    imports: list[tuple[str, str]] = field(default_factory=list)  # (namespace, name)
    all_names: set = field(default_factory=set)  # every name the file declares
    python_cells: bool = True  # may texts that are not FEEL run as sandboxed Python?
    dialect: str = "mixed"  # feel, python (Python first) or mixed: see expression_dialect


def _definitions(data: bytes | str, filename: str):
    try:
        root = parse_xml(data, filename)
    except UnsafeXmlError as exc:
        raise DmnError(str(exc)) from exc
    if _local(root) != "definitions":
        raise DmnError(f"{filename}: root element is <{_local(root)}>, not a DMN <definitions>")
    return root


def decision_ids(data: bytes | str, filename: str) -> set[str]:
    """The ids of the decisions the file declares, nothing else read."""
    return {el.get("id", "") for el in _children(_definitions(data, filename), "decision")}


def read_definitions(data: bytes | str, filename: str) -> DefinitionsSpec:
    root = _definitions(data, filename)
    decisions = [
        _read_decision(el, index, filename)
        for index, el in enumerate(_children(root, "decision"), start=1)
    ]
    input_names = [el.get("name", "") for el in _children(root, "inputData") if el.get("name")]
    spec = DefinitionsSpec(decisions, input_names, namespace=root.get("namespace") or "")
    spec.dialect = expression_dialect(root)
    spec.python_cells = spec.dialect != "feel"
    _read_invocables(root, spec)
    spec.item_definitions = _children(root, "itemDefinition")
    spec.imports = [
        (el.get("namespace") or "", el.get("name") or "") for el in _children(root, "import")
    ]
    spec.all_names = {
        el.get("name") for el in root.iter() if isinstance(el.tag, str) and el.get("name")
    }
    spec.all_names |= {
        el.get("iteratorVariable")
        for el in root.iter()
        if isinstance(el.tag, str) and el.get("iteratorVariable")
    }
    return spec


def _read_invocables(root: etree._Element, spec: DefinitionsSpec) -> None:
    """Input data (with their types), business knowledge models and decision services."""
    for el in _children(root, "inputData"):
        variable = _child(el, "variable")
        type_ref = variable.get("typeRef") if variable is not None else None
        spec.inputs[el.get("id") or el.get("name")] = (el.get("name"), type_ref)
    for el in _children(root, "businessKnowledgeModel"):
        spec.knowledge.append(
            InvocableSpec(
                el.get("id") or el.get("name"), el.get("name"), _child(el, "encapsulatedLogic")
            )
        )
    for el in _children(root, "decisionService"):
        spec.services.append(
            InvocableSpec(
                el.get("id") or el.get("name"),
                el.get("name"),
                outputs=_hrefs(el, "outputDecision"),
                input_decisions=_hrefs(el, "inputDecision"),
                input_data=_hrefs(el, "inputData"),
                type_ref=_variable_type(el),
            )
        )


def _variable_type(el: etree._Element) -> str | None:
    variable = _child(el, "variable")
    return variable.get("typeRef") if variable is not None else None


_FEEL_ONLY_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20211108/MODEL/",  # DMN 1.4
    "https://www.omg.org/spec/DMN/20230324/MODEL/",  # DMN 1.5
)


_FEEL_EXPORTERS = ("camunda modeler", "dmn-js")


def expression_dialect(root: etree._Element) -> str:
    """Which language the file's texts are written in, from the file itself:
    - "python": SpiffArena. Its files say so with `expressionLanguage="python"` on the
      definitions or on any expression (even when saved by Camunda Modeler, as some are);
      texts are read as Python first (through the sandbox), FEEL only if not Python.
    - "feel": a file that names FEEL as its language, one exported by Camunda Modeler or
      dmn-js (their exporter attribute) without a Python marker, and every DMN 1.4/1.5
      file. A text that is not FEEL is an error, never Python, even if it parses as Python.
    - "mixed": an unmarked DMN 1.1-1.3 file (SpiffArena's modeler writes no exporter):
      FEEL first, then sandboxed Python for texts that are not FEEL."""
    language = (root.get("expressionLanguage") or "").lower()
    if "python" in language:
        return "python"
    if "feel" in language:
        return "feel"
    marked = root.xpath("//@*[local-name()='expressionLanguage']")
    if any("python" in str(value).lower() for value in marked):
        return "python"
    exporter = (root.get("exporter") or "").lower()
    if any(name in exporter for name in _FEEL_EXPORTERS):
        return "feel"
    if etree.QName(root).namespace in _FEEL_ONLY_NAMESPACES:
        return "feel"
    return "mixed"


def _hrefs(el: etree._Element, name: str) -> list[str]:
    return [c.get("href", "").rpartition("#")[2] for c in _children(el, name) if c.get("href")]


def _read_decision(el: etree._Element, index: int, filename: str) -> DecisionSpec:
    name = el.get("name") or ""
    decision_id = el.get("id") or name or f"decision_{index}"
    variable = _child(el, "variable")
    spec = DecisionSpec(
        id=decision_id,
        name=name or decision_id,
        variable=(variable.get("name") if variable is not None else None) or name or decision_id,
        required=_required_decisions(el),
    )
    spec.type_ref = variable.get("typeRef") if variable is not None else None
    table = _child(el, "decisionTable")
    literal = _child(el, "literalExpression")
    try:
        if table is not None:
            read_table(table, spec, filename)
        elif literal is not None:
            spec.literal = _text(literal) or ""
        else:
            spec.expression = next((c for c in el if _local(c) in _BOXED), None)
            if spec.expression is None:
                spec.error = f"{filename}: decision {spec.name!r} has no decision logic"
    except DmnError as exc:
        spec.error = str(exc)
    return spec


_BOXED = frozenset(
    "context invocation relation list functionDefinition conditional filter for some every".split()
)


def _required_decisions(el: etree._Element) -> list[str]:
    ids = []
    for requirement in _children(el, "informationRequirement"):
        required = _child(requirement, "requiredDecision")
        if required is not None and required.get("href"):
            # "#id" in this file; "namespace#id" in an imported model
            namespace, _, decision_id = required.get("href").rpartition("#")
            ids.append(f"{namespace}#{decision_id}" if namespace else decision_id)
    return ids


def read_table(table: etree._Element, spec: DecisionSpec, filename: str) -> None:
    spec.hit_policy, spec.aggregation = _hit_policy(table, spec.id, filename)
    for column in _children(table, "input"):
        expression = _child(column, "inputExpression")
        spec.inputs.append(
            InputSpec(
                label=column.get("label") or "",
                expression=(_text(expression) if expression is not None else None) or "",
                type_ref=(expression.get("typeRef") if expression is not None else None) or "",
                values=_text(_child(column, "inputValues")),
            )
        )
    for column in _children(table, "output"):
        spec.outputs.append(
            OutputSpec(
                name=column.get("name") or "",
                label=column.get("label") or "",
                type_ref=column.get("typeRef") or "",
                values=_text(_child(column, "outputValues")),
                default=_text(_child(column, "defaultOutputEntry")),
            )
        )
    for row, rule in enumerate(_children(table, "rule"), start=1):
        spec.rules.append(
            RuleSpec(
                row=row,
                inputs=[_text(e) or "" for e in _children(rule, "inputEntry")],
                outputs=[_text(e) or "" for e in _children(rule, "outputEntry")],
                id=rule.get("id") or "",
                description=_text(_child(rule, "description")) or "",
            )
        )


def _hit_policy(table: etree._Element, decision_id: str, filename: str):
    raw = (table.get("hitPolicy") or "UNIQUE").strip().upper().replace("_", " ")
    aggregation = (table.get("aggregation") or "").strip().upper() or None
    if len(raw) == 2 and raw[0] == "C" and raw[1] in _COLLECT_SIGNS:
        raw, aggregation = "C", _COLLECT_SIGNS[raw[1]]
    policy = HIT_POLICIES.get(raw, raw)
    if policy not in HIT_POLICIES.values():
        raise DmnError(f"{filename}: decision {decision_id!r}: unknown hit policy {raw!r}")
    if aggregation is not None and (policy != "COLLECT" or aggregation not in AGGREGATIONS):
        raise DmnError(
            f"{filename}: decision {decision_id!r}: aggregation {aggregation!r} needs hit policy "
            "COLLECT and one of SUM, MIN, MAX, COUNT"
        )
    return policy, aggregation


# ---------------------------------------------------------------- element helpers


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in el if _local(child) == name]


def _child(el: etree._Element, name: str) -> etree._Element | None:
    for child in el:
        if _local(child) == name:
            return child
    return None


def text_of(el: etree._Element | None) -> str | None:
    return _text(el)


def _text(el: etree._Element | None) -> str | None:
    """The <text> of an entry (Camunda 7 sometimes writes the text directly), stripped."""
    if el is None:
        return None
    text_el = _child(el, "text")
    value = text_el.text if text_el is not None else el.text
    return value.strip() if value is not None else None
