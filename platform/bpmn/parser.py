"""BPMN parsing: SpiffArena files and files from bpmn-js / Camunda Modeler both run.

The parser is SpiffWorkflow's SpiffBpmnParser with three changes:
- XML comes through `xmlsafe.parse_xml` (no DTDs, entities or network);
- every task parser also reads the Camunda attributes (assignee, candidateGroups,
  candidateUsers, formKey, dueDate, camunda:properties) into `task_spec.extensions`;
- business rule tasks get our DMN engine (`dmn.DecisionTaskEngine`), which resolves the
  decision when it runs, so a newly published decision version applies at evaluation time.
Bare ISO 8601 timer values written by Camunda Modeler (`PT4H`) are quoted, because
SpiffWorkflow evaluates timer definitions as expressions.
"""

import re
from collections.abc import Callable

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import BusinessRuleTaskParser
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

from bpmn import camunda, model_checks, services
from bpmn.camunda_results import result_variable_resolver
from bpmn.datastores import DATA_STORE_CLASSES
from bpmn.spiff_adapter import spiff_extensions
from bpmn.xmlsafe import UnsafeXmlError, parse_xml

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_ATTRIBUTES = (
    "assignee",
    "candidateGroups",
    "candidateUsers",
    "formKey",
    "dueDate",
    "priority",
)
_ISO_TIMER = re.compile(
    r"^(R\d*/)?P[0-9YMWDTHS.]+$|^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?$"
)


class BundleError(ValueError):
    """A bundle cannot be deployed; the message names the file, line and element id."""


def _split_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _camunda_extensions(node) -> dict:
    found = {}
    for name in CAMUNDA_ATTRIBUTES:
        value = node.get(f"{{{CAMUNDA_NS}}}{name}")
        if value is not None:
            found[name] = value
    for name in ("candidateGroups", "candidateUsers"):
        if name in found:
            found[name] = _split_list(found[name])
    props = node.findall(f"./{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}properties/")
    if props:
        found.setdefault("properties", {}).update(
            {p.get("name"): p.get("value") for p in props if p.get("name")}
        )
    return found


class _CamundaAware:
    """Mixin for every task parser: Camunda attributes join the spiff extensions."""

    def parse_extensions(self, node=None):
        node = self.node if node is None else node
        extensions = spiff_extensions(node)
        camunda = _camunda_extensions(node)
        if "properties" in camunda:
            extensions.setdefault("properties", {}).update(camunda.pop("properties"))
        extensions.update(camunda)
        return extensions


class FlowdeskBusinessRuleTaskParser(_CamundaAware, BusinessRuleTaskParser):
    def create_task(self):
        from bpmn.dmn import DecisionTaskEngine

        decision_ref = self.get_decision_ref(self.node)
        if not decision_ref:
            raise ValidationException(
                "a business rule task needs a decision (spiffworkflow:calledDecisionId "
                "or camunda:decisionRef)",
                node=self.node,
                file_name=self.filename,
            )
        parser = self.process_parser.parser
        parser.decision_refs.add(decision_ref)
        extensions = self.parse_extensions()
        try:
            resolve = result_variable_resolver(self.node, parser.resolve_decision)
        except ValueError as exc:
            raise ValidationException(str(exc), node=self.node, file_name=self.filename) from exc
        return BusinessRuleTask(
            self.spec,
            self.bpmn_id,
            dmnEngine=DecisionTaskEngine(decision_ref, resolve),
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )

    @staticmethod
    def get_decision_ref(node):
        ref = spiff_extensions(node).get("calledDecisionId")
        return ref or node.get(f"{{{CAMUNDA_NS}}}decisionRef")


def _with_camunda(parser_cls):
    if parser_cls is BusinessRuleTaskParser:
        return FlowdeskBusinessRuleTaskParser
    return type(f"Flowdesk{parser_cls.__name__}", (_CamundaAware, parser_cls), {})


class FlowdeskParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        tag: (_with_camunda(parser_cls), spec_cls)
        for tag, (parser_cls, spec_cls) in SpiffBpmnParser.OVERRIDE_PARSER_CLASSES.items()
    }

    DATA_STORE_CLASSES = DATA_STORE_CLASSES  # SpiffArena's JSON, KKV and JSON file stores

    def __init__(
        self,
        resolve_decision: Callable | None = None,
        operator_exists: Callable[[str], bool] | None = None,
    ):
        super().__init__()
        self.resolve_decision = resolve_decision or _no_decisions
        self.operator_exists = operator_exists or (lambda name: name in services.names())
        self.decision_refs: set[str] = set()
        self.warnings: list[str] = []  # what the deploy reports but does not refuse
        self.generated_files: dict[str, str] = {}  # forms made from camunda:formData

    def add_bpmn_text(self, text: str | bytes, filename: str) -> None:
        try:
            root = parse_xml(text, filename)
        except UnsafeXmlError as exc:
            raise BundleError(str(exc)) from exc
        adaptation = camunda.adapt(root, filename, self.operator_exists)
        problems = model_checks.check_references(root, filename) + adaptation.errors
        if problems:
            raise BundleError("; ".join(dict.fromkeys(problems)))
        self.warnings += adaptation.warnings
        self.generated_files.update(adaptation.files)
        _quote_bare_timers(root)
        try:
            self.add_bpmn_xml(root, filename)
        except ValidationException as exc:
            raise BundleError(describe_validation_error(exc)) from exc
        except (BundleError, UnsafeXmlError):
            raise
        except Exception as exc:  # SpiffWorkflow's parser on a file it did not expect
            raise BundleError(f"{filename}: {plain_message(exc)}") from exc


def _no_decisions(decision_id):
    raise LookupError(f"decision {decision_id!r} is not available")


def _quote_bare_timers(root) -> None:
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            text = (node.text or "").strip()
            if _ISO_TIMER.match(text):
                node.text = repr(text)


def describe_validation_error(exc: ValidationException) -> str:
    where = [exc.file_name or ""]
    if getattr(exc, "line_number", ""):
        where.append(f"line {exc.line_number}")
    if getattr(exc, "id", ""):
        where.append(f"element {exc.id!r}")
    prefix = ", ".join(part for part in where if part)
    message = plain_message(exc.args[0] if exc.args else str(exc))
    return f"{prefix}: {message}" if prefix else message


_ELEMENT_REPR = re.compile(r"<(?:Element|_Element)\s+(?:\{[^}]*\})?([\w:.-]+)[^>]*>")
_OBJECT_REPR = re.compile(r"<([\w.]+) object at 0x[0-9a-fA-F]+>")


def plain_message(message) -> str:
    """An error message without Python object reprs (`<Element {…}task at 0x…>`)."""
    text = message if isinstance(message, str) else f"{type(message).__name__}: {message}"
    if isinstance(message, KeyError):
        text = f"missing {message.args[0]!r}" if message.args else "a missing element"
    elif isinstance(message, Exception) and not isinstance(message, ValueError):
        text = f"{type(message).__name__}: {message}"
    elif isinstance(message, Exception):
        text = str(message)
    text = _ELEMENT_REPR.sub(lambda m: f"the {m.group(1).rsplit(':', 1)[-1]} element", text)
    return _OBJECT_REPR.sub(lambda m: f"a {m.group(1).rsplit('.', 1)[-1]}", text)


def element_line(root, element_id: str) -> int | None:
    found = root.xpath("//*[@id=$id]", id=element_id)
    return found[0].sourceline if found else None
