"""SpiffArena-format scenario files (`test_<bpmn stem>.json`) run through our engine.

Format (see shared/corpus/README.md): per case, `tasks` gives the data each user or
service task submits on each visit (and the top-level start event's form, as the ticket is
raised with it) (key `taskId` or `ProcessId:taskId`), `mocks` replaces
functions that scripts call, and `expected_output_json` must equal the final data. The
models run through the same parser, sandbox, DMN engine and operators as the platform;
service tasks take their result from the scenario instead of calling the operator.
"""

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState
from SpiffWorkflow.util.deep_merge import DeepMerge

from bpmn import datastores, http_service, runtime  # noqa: F401 - registers http/* so connector tasks validate
from bpmn.parser import BPMN_NS, BundleError
from bpmn.sandbox import Constant, SafeEnvironment, SafeScriptEngine
from bpmn.specs import compile_bundle

MAX_STEPS = 10_000


@dataclass
class CaseResult:
    file: Path
    case: str
    passed: bool
    message: str = ""


def find_scenario_files(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        if path.is_file() and path.name.startswith("test_") and path.suffix == ".json":
            found.append(path)
        elif path.is_dir():
            found += sorted(p for p in path.rglob("test_*.json") if p.is_file())
    return found


def _model_files(bpmn_path: Path, shared_dmn: Path | None) -> dict[str, str]:
    """Everything a model folder offers: other BPMN (called processes), DMN and forms,
    then the shared decision tables (the project's dmn/)."""
    files = {}
    paths = sorted(bpmn_path.parent.rglob("*"))
    if shared_dmn is not None:
        paths += sorted(shared_dmn.glob("*.dmn"))
    for path in paths:
        if path.is_file() and path != bpmn_path and path.suffix in (".bpmn", ".dmn", ".json"):
            if not path.name.startswith("test_"):
                files.setdefault(path.name, path.read_text(encoding="utf-8"))
    return files


def process_library(roots: list[Path]) -> dict[str, tuple[str, str]]:
    """Every executable-or-not process id found in the .bpmn files under the roots, mapped
    to (filename, xml): SpiffArena resolves call activities across all model folders of its
    process-model root, so a model may call a process that lives in a sibling folder."""
    from bpmn.xmlsafe import UnsafeXmlError, parse_xml

    library: dict[str, tuple[str, str]] = {}
    for root in roots:
        files = [root] if root.is_file() else sorted(root.rglob("*.bpmn"))
        for path in files:
            if path.suffix != ".bpmn" or not path.is_file():
                continue
            text = path.read_text(encoding="utf-8")
            try:
                tree = parse_xml(text, path.name)
            except UnsafeXmlError:
                continue  # reported when that model itself runs
            for process in tree.iter(f"{{{BPMN_NS}}}process"):
                if process.get("id"):
                    library.setdefault(process.get("id"), (path.name, text))
    return library


_CALLED = re.compile(r'calledElement="([^"]+)"')


def _called_by(text: str, files: dict[str, str], library: dict) -> dict[str, tuple[str, str]]:
    """The library processes the model's call activities reach (transitively), so that an
    unrelated broken model elsewhere under the roots cannot fail this one."""
    found: dict[str, tuple[str, str]] = {}
    texts = [text, *(t for name, t in files.items() if name.endswith(".bpmn"))]
    while texts:
        for key in _CALLED.findall(texts.pop()):
            if key in library and key not in found:
                found[key] = library[key]
                texts.append(library[key][1])
    return found


def _bpmn_for(scenario: Path) -> Path:
    """X.bpmn beside test_X.json (SpiffArena), or one folder up (processes/tests/)."""
    name = scenario.name.removeprefix("test_").removesuffix(".json") + ".bpmn"
    beside = scenario.with_name(name)
    return beside if beside.is_file() else scenario.parent.parent / name


def run_file(
    scenario: Path,
    shared_dmn: Path | None = None,
    library: dict[str, tuple[str, str]] | None = None,
) -> list[CaseResult]:
    """Run every case of one scenario file. `library` (see `process_library`) offers the
    processes of other model folders to call activities."""
    bpmn_path = _bpmn_for(scenario)
    try:
        cases = json.loads(scenario.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [CaseResult(scenario, "*", False, f"invalid JSON: {exc}")]
    if not bpmn_path.is_file():
        return [CaseResult(scenario, "*", False, f"{bpmn_path.name} not found beside it")]
    files = _model_files(bpmn_path, shared_dmn)
    try:
        compiled = compile_bundle(
            bpmn_path.name,
            bpmn_path.read_text(encoding="utf-8"),
            files,
            called=_called_by(bpmn_path.read_text(encoding="utf-8"), files, library or {}),
        )
    except BundleError as exc:
        return [CaseResult(scenario, "*", False, f"does not parse: {exc}")]
    return run_cases(scenario, cases, compiled)


def run_cases(source: Path | str, cases: dict, compiled) -> list[CaseResult]:
    """Run scenario cases (a parsed scenario file) against a compiled bundle; `source`
    names where the cases came from in the results."""
    source = Path(source)
    return [
        _run_case(source, name, case, compiled)
        if isinstance(case, dict)
        else CaseResult(
            source, name, False, "a case must be an object with tasks and expected data"
        )
        for name, case in cases.items()
    ]


def _run_case(scenario: Path, name: str, case: dict, compiled) -> CaseResult:
    mocks = {fn: _constant(value) for fn, value in case.get("mocks", {}).items()}
    engine = SafeScriptEngine(SafeEnvironment(services=None, script_names=mocks))
    workflow = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=engine)
    stores = datastores.MemoryStorage()  # each case starts with empty data stores
    try:
        with datastores.running_in("", stores, files=compiled.files):
            _drive(workflow, case.get("tasks", {}))
    except Exception as exc:  # a failing model is a failed case, reported with its reason
        return CaseResult(scenario, name, False, f"{type(exc).__name__}: {exc}")
    if not workflow.is_completed():
        waiting = [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.WAITING)]
        return CaseResult(scenario, name, False, f"did not complete (waiting at {waiting})")
    final = dict(workflow.last_task.data)
    if workflow.data_objects:
        final["data_objects"] = dict(workflow.data_objects)
    expected = case.get("expected_output_json", {})
    if final != expected:
        return CaseResult(scenario, name, False, _diff(expected, final))
    return CaseResult(scenario, name, True)


def _constant(value):
    return Constant(value)  # not a lambda: scripts run in a sandbox process it must reach


def _diff(expected: dict, actual: dict) -> str:
    keys = sorted(set(expected) | set(actual))
    diffs = [
        f"{k}: expected {expected.get(k, '<absent>')!r}, got {actual.get(k, '<absent>')!r}"
        for k in keys
        if expected.get(k, object()) != actual.get(k, object())
    ]
    return "final data differs: " + "; ".join(diffs[:5])


def _drive(workflow: BpmnWorkflow, task_data: dict) -> None:
    visits: dict[str, int] = defaultdict(int)
    for _ in range(MAX_STEPS):
        workflow.refresh_timers()
        task = workflow.get_next_task(state=TaskState.READY)
        if task is None:
            if _deliver_message(workflow, task_data, visits):
                continue
            return
        spec = task.task_spec
        if isinstance(spec, StartEvent):
            start = _entries_for(task, task_data)  # the start form, as a ticket is raised
            task.data = DeepMerge.merge(task.data, start[0]) if start else task.data
        elif spec.manual or isinstance(spec, ServiceTask):
            entries = _entries_for(task, task_data)
            if entries is None and (
                isinstance(spec, ServiceTask) or type(spec).__name__ == "UserTask"
            ):
                raise AssertionError(f"no scenario data for task {spec.bpmn_id}")
            if entries is not None:
                index = visits[spec.bpmn_id]
                visits[spec.bpmn_id] += 1
                if index >= len(entries):
                    raise AssertionError(
                        f"task {spec.bpmn_id} visited {index + 1} times; data for {len(entries)}"
                    )
                task.data = DeepMerge.merge(task.data, entries[index])
            if isinstance(spec, ServiceTask):
                task.complete()
                continue
        task.run()
    raise AssertionError(f"more than {MAX_STEPS} steps: a loop that never ends?")


def _deliver_message(workflow: BpmnWorkflow, task_data: dict, visits: dict) -> bool:
    """A message catch event the scenario gives data for (keyed by its id, like a task's)
    receives that data as the message's payload, as if an outside system had sent it."""
    for waiting in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(waiting.task_spec, "event_definition", None)
        entries = _entries_for(waiting, task_data)
        if not isinstance(definition, MessageEventDefinition) or not entries:
            continue
        index = visits[waiting.task_spec.bpmn_id]
        if index >= len(entries):
            continue
        visits[waiting.task_spec.bpmn_id] += 1
        workflow.send_event(runtime.message_event(workflow, definition.name, entries[index]))
        return True
    return False


def _entries_for(task, task_data: dict) -> list | None:
    spec = task.task_spec
    for key in (spec.bpmn_id, f"{task.workflow.spec.name}:{spec.bpmn_id}"):
        if key in task_data:
            return task_data[key].get("data", [])
    return None
