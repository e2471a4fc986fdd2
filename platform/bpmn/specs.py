"""Compile a bundle (BPMN + DMN + form files) into parsed specs, once per version.

Parsing a BPMN with two DMN tables costs 5-7 ms, so a ProcessVersion is parsed once per
process and the result is cached by its content hash. Validation happens here too, so
that `deploy` refuses a bundle whose references (decisions, forms, service operators,
called processes) do not resolve, naming the element that refers to them.
"""

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from threading import Lock

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from bpmn import model_checks, services
from bpmn.parser import BundleError, FlowdeskParser, describe_validation_error
from bpmn.sandbox import SafeEnvironment, SafeScriptEngine

FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")


@dataclass
class CompiledProcess:
    key: str
    name: str
    spec: object
    subprocess_specs: dict
    decisions: dict = field(default_factory=dict)  # decision id -> bpmn.dmn.Decision
    files: Mapping[str, str] = field(default_factory=dict)  # the bundle's + generated forms
    warnings: list[str] = field(default_factory=list)  # what the deploy reports, not refuses
    generated_files: Mapping[str, str] = field(default_factory=dict)

    def task_spec(self, bpmn_id: str):
        for spec in [self.spec, *self.subprocess_specs.values()]:
            for task_spec in spec.task_specs.values():
                if getattr(task_spec, "bpmn_id", None) == bpmn_id:
                    return task_spec
        return None


def content_hash(bpmn_filename: str, bpmn_text: str, files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name, text in sorted([(bpmn_filename, bpmn_text), *files.items()]):
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def parse_bundle_decisions(files: Mapping[str, str]) -> dict:
    from bpmn.dmn import DmnError, parse_dmn
    from bpmn.xmlsafe import UnsafeXmlError

    decisions = {}
    for name, text in files.items():
        if not name.endswith(".dmn"):
            continue
        try:
            definitions = parse_dmn(text, name)
        except (DmnError, UnsafeXmlError) as exc:
            raise BundleError(str(exc)) from exc
        decisions.update(definitions.decisions)
    return decisions


def decision_ids(filename: str, text: str) -> set[str]:
    """The ids of the decisions a DMN file declares, read without compiling them (a
    bundle asks which files it needs before it compiles those)."""
    from bpmn.dmn_xml import DmnError
    from bpmn.dmn_xml import decision_ids as declared

    try:
        return declared(text, filename)
    except DmnError as exc:
        raise BundleError(str(exc)) from exc


def compile_bundle(
    bpmn_filename: str,
    bpmn_text: str,
    files: Mapping[str, str],
    *,
    called: Mapping[str, tuple[str, str]] | None = None,
    resolve_decision: Callable | None = None,
    decision_exists: Callable[[str], bool] | None = None,
    process_key: str | None = None,
) -> CompiledProcess:
    """Parse and validate. `called` maps process ids to (filename, xml) of other deployed
    processes that call activities may use; `resolve_decision(decisions, id)` picks the
    decision a business rule task evaluates (default: the bundle's own)."""
    decisions = parse_bundle_decisions(files)
    resolver = resolve_decision or _bundle_resolver
    parser = FlowdeskParser(resolve_decision=lambda decision_id: resolver(decisions, decision_id))
    parser.add_bpmn_text(bpmn_text, bpmn_filename)
    for name, text in files.items():
        if name.endswith(".bpmn") and name != bpmn_filename:
            parser.add_bpmn_text(text, name)
    key = process_key or executable_process(parser, bpmn_filename)
    for called_key, (filename, text) in (called or {}).items():
        if called_key not in parser.process_parsers:
            parser.add_bpmn_text(text, filename)
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as exc:
        message = describe_validation_error(exc)
        if not exc.file_name:  # e.g. a called process that is not deployed
            message = f"{bpmn_filename}: {message}"
        raise BundleError(message) from exc
    _check_model(key, spec, subprocess_specs, bpmn_filename)
    compiled = CompiledProcess(
        key=key,
        name=spec.description or key,
        spec=spec,
        subprocess_specs=subprocess_specs,
        decisions=decisions,
        files={**files, **parser.generated_files},
        warnings=list(dict.fromkeys(parser.warnings)),
        generated_files=dict(parser.generated_files),
    )
    _validate_references(compiled, parser, decision_exists or (lambda d: d in decisions))
    return compiled


def _check_model(key: str, spec, subprocess_specs: dict, filename: str) -> None:
    problems = model_checks.check_calls(key, spec, subprocess_specs, filename)
    for each in [spec, *subprocess_specs.values()]:
        problems += model_checks.check_spec(each, filename)
    if problems:
        raise BundleError("; ".join(problems))
    try:  # SpiffWorkflow predicts the whole task tree when a workflow is created
        BpmnWorkflow(spec, subprocess_specs)
    except RecursionError:
        raise BundleError(
            f"{filename}: the process is nested or looped too deeply to start; simplify it"
        ) from None


def executable_process(parser: FlowdeskParser, filename: str) -> str:
    ids = [pid for pid, pp in parser.process_parsers.items() if pp.filename == filename]
    executable = [pid for pid in ids if parser.process_parsers[pid].process_executable]
    if not ids:
        raise BundleError(f"{filename}: no process found in the file")
    if not executable:
        names = ", ".join(repr(pid) for pid in ids)
        raise BundleError(
            f"{filename}: process {names} is not executable; mark it executable "
            '(the "Executable" checkbox in Camunda Modeler, or isExecutable="true" on the '
            "process element) to deploy it"
        )
    return executable[0]


def _all_task_specs(compiled: CompiledProcess):
    for spec in [compiled.spec, *compiled.subprocess_specs.values()]:
        yield from spec.task_specs.values()


def _validate_references(compiled: CompiledProcess, parser, decision_exists) -> None:
    problems = []
    for decision_id in sorted(parser.decision_refs):
        if not decision_exists(decision_id):
            problems.append(
                f"business rule task refers to decision {decision_id!r}, which is not in the bundle"
            )
    for task_spec in _all_task_specs(compiled):
        where = f"{task_spec.bpmn_id}"
        if isinstance(task_spec, ServiceTask) and hasattr(task_spec, "operation_name"):
            try:
                services.get(task_spec.operation_name)
            except services.UnknownOperator as exc:
                problems.append(f"service task {where!r}: {exc}")
        if isinstance(task_spec, UserTask):
            for form_file in form_files(task_spec):
                if form_file not in compiled.files:
                    problems.append(
                        f"user task {where!r} refers to form file {form_file!r}, which is not in the bundle"
                    )
                elif form_file.endswith(".json"):
                    try:
                        json.loads(compiled.files[form_file])
                    except ValueError as exc:
                        problems.append(f"form file {form_file!r}: invalid JSON: {exc}")
    if problems:
        raise BundleError("; ".join(problems))


def form_files(task_spec) -> list[str]:
    ext = getattr(task_spec, "extensions", {}) or {}
    props = ext.get("properties", {}) or {}
    names = [props[p] for p in FORM_PROPERTIES if props.get(p)]
    form_key = ext.get("formKey")
    if form_key and form_key.endswith(".json"):
        names.append(form_key)
    return names


def _bundle_resolver(decisions: dict, decision_id: str):
    try:
        return decisions[decision_id], "bundle"
    except KeyError:
        raise LookupError(f"decision {decision_id!r} is not in the bundle") from None


def new_script_engine() -> SafeScriptEngine:
    return SafeScriptEngine(SafeEnvironment(services=services.call))


class SpecCache:
    """Parsed specs per ProcessVersion, least recently used first out."""

    def __init__(self, size: int = 256):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = Lock()
        self.misses = 0

    def get(self, cache_key, build: Callable[[], CompiledProcess]) -> CompiledProcess:
        with self._lock:
            if cache_key in self._items:
                self._items.move_to_end(cache_key)
                return self._items[cache_key]
        compiled = build()
        with self._lock:
            self.misses += 1
            self._items[cache_key] = compiled
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return compiled

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
