"""The engine host: one workflow object, the operations on it, and what they produced.

This module knows nothing of tickets, users or HTTP. `tickets.actions` locks the ticket row,
loads the workflow with `load`, calls one operation, then syncs its worklist from
`human_tasks` and saves `dump`. Every operation returns a `StepResult`: the decisions made
and, when a script, service or decision raised, the incident instead of an exception, so
the caller can save the state up to the failure and show it.
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import (
    MessageEventDefinition as SpiffMessageEventDefinition,
)
from SpiffWorkflow.task import TaskState

from bpmn import messages, serializer, services, spiff_adapter, timers
from bpmn.dmn import capture_decisions
from bpmn.specs import CompiledProcess, form_files, new_script_engine
from bpmn.timers import TimerCheckingEngine


class EngineError(Exception):
    """Base for refusals the caller turns into 4xx answers."""


class TaskNotReady(EngineError):
    """The task is not READY (already completed, cancelled or not reached): HTTP 409."""


class TaskNotFound(EngineError):
    pass


class NotWaiting(EngineError):
    """No task waits for this message."""


@dataclass
class Incident:
    task_id: str
    bpmn_id: str
    task_name: str
    error: str  # in English, for logs and the API
    at: dt.datetime
    # The error as a message code and its values (bpmn.messages), for the host to word in
    # its reader's language; "" when the engine has no code for it.
    code: str = ""
    params: dict = field(default_factory=dict)


@dataclass
class StepResult:
    decisions: list[dict] = field(default_factory=list)
    incident: Incident | None = None
    fired_timers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HumanTaskInfo:
    task_id: str
    bpmn_id: str
    name: str
    kind: str  # "user" or "manual"
    lane: str | None
    candidate_groups: tuple[str, ...]
    candidate_users: tuple[str, ...]
    assignee: str | None
    due: str | None
    form_schema: str | None
    form_ui: str | None
    instructions: str | None
    properties: dict
    # The task's own data when READY: a multi-instance element variable or Camunda input
    # parameters live here, not in the process data (assignee and due date read them).
    task_data: dict = field(default_factory=dict, compare=False, repr=False)


# Timer values are checked as they are evaluated (bpmn.timers): a bad one is an incident.
_SCRIPT_ENGINE = TimerCheckingEngine(new_script_engine().environment)


def start(compiled: CompiledProcess, data: dict | None = None, instance_id=None):
    """A new workflow with `data` as its start data, run up to its first wait."""
    workflow = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=_SCRIPT_ENGINE)
    if data:
        serializer.check_data_keys(data)
        workflow.get_next_task(state=TaskState.READY).data.update(data)
    return workflow, run_steps(workflow, instance_id)


def load(compiled: CompiledProcess, state: str) -> BpmnWorkflow:
    return serializer.loads(state, compiled.spec, compiled.subprocess_specs, _SCRIPT_ENGINE)


def dump(workflow: BpmnWorkflow) -> str:
    return serializer.dumps(workflow)


def run_steps(workflow: BpmnWorkflow, instance_id=None, first=None) -> StepResult:
    """Run `first` (e.g. completing a task), then every automatic step up to the next wait;
    decisions made are collected and a failure becomes the result's incident."""
    result = StepResult()
    with capture_decisions() as decided, services.running_for(instance_id):
        try:
            if first is not None:
                first()
            workflow.do_engine_steps()
        except (SpiffWorkflowException, ValueError, LookupError, TypeError) as exc:
            result.incident = _incident(workflow, exc)
    result.decisions = list(decided)
    return result


def _incident(workflow: BpmnWorkflow, exc: Exception) -> Incident:
    failed = workflow.get_tasks(state=TaskState.ERROR)
    task = failed[0] if failed else getattr(exc, "task", None)
    spec = task.task_spec if task is not None else None
    message = str(exc).strip()
    cause = getattr(exc, "exception", None) or exc.__cause__
    if cause is not None and str(cause) not in message:
        message = f"{message} {type(cause).__name__}: {cause}"
    notes = getattr(exc, "__notes__", None)
    if notes:
        message = f"{message} ({'; '.join(notes)})"
    code, params = messages.code_of(exc)
    return Incident(
        task_id=str(task.id) if task is not None else "",
        bpmn_id=getattr(spec, "bpmn_id", "") or "",
        task_name=getattr(spec, "bpmn_name", "") or getattr(spec, "bpmn_id", "") or "",
        error=message[:2000],
        at=dt.datetime.now(dt.UTC),
        code=code,
        params=params,
    )


def _task(workflow: BpmnWorkflow, task_id: str):
    try:
        task = workflow.get_task_from_id(UUID(str(task_id)))
    except Exception:  # a malformed id, or SpiffWorkflow's TaskNotFoundException
        task = None
    if task is None:
        raise TaskNotFound(f"task {task_id} is not part of this workflow")
    return task


def complete_task(workflow: BpmnWorkflow, task_id: str, data: dict, instance_id=None) -> StepResult:
    """Finish a READY user or manual task with `data`, then run to the next wait.
    SpiffWorkflow's task.run() has no state guard: the check is here."""
    task = _task(workflow, task_id)
    if not task.task_spec.manual:
        raise TaskNotReady(f"task {task.task_spec.bpmn_id} is not a human task")
    if task.state != TaskState.READY:
        raise TaskNotReady(
            f"task {task.task_spec.bpmn_id} is {TaskState.get_name(task.state)}, not READY"
        )
    serializer.check_data_keys(data)
    task.data.update(data)
    return run_steps(workflow, instance_id, first=task.run)


def retry(workflow: BpmnWorkflow, instance_id=None) -> StepResult:
    """Put the tasks that failed back to READY and run again (after the cause was fixed)."""
    failed = workflow.get_tasks(state=TaskState.ERROR)
    stalled = timers.stalled_timers(workflow)
    # With nothing failed in the engine (the incident came from a platform sweep), the
    # steps run again all the same: the caller then recomputes the timers from the state.
    for task in failed:
        spiff_adapter.put_back_to_ready(task)
    return run_steps(workflow, instance_id, first=lambda: timers.reevaluate(stalled))


def correlate_message(
    workflow: BpmnWorkflow,
    name: str,
    payload: Any = None,
    correlations: dict | None = None,
    instance_id=None,
) -> StepResult:
    """Deliver message `name` with `payload` to the waiting catch event or receive task."""
    event = message_event(workflow, name, payload, correlations)
    try:
        workflow.send_event(event)
    except SpiffWorkflowException as exc:
        raise NotWaiting(str(exc)) from exc
    return run_steps(workflow, instance_id)


def message_event(
    workflow: BpmnWorkflow, name: str, payload: Any = None, correlations: dict | None = None
) -> BpmnEvent:
    """The event that delivers message `name` to this workflow (raises NotWaiting)."""
    definition = _message_definition(workflow, name)
    if definition is None:
        raise NotWaiting(f"this process is not waiting for message {name!r}")
    return BpmnEvent(definition, payload or {}, correlations or {})


def _message_definition(workflow: BpmnWorkflow, name: str):
    for task in workflow.event_manager.tasks.values():
        definition = task.task_spec.event_definition
        if isinstance(definition, MessageEventDefinition) and definition.name == name:
            cls = type(definition)
            if issubclass(cls, SpiffMessageEventDefinition):
                return SpiffMessageEventDefinition(name, definition.correlation_properties)
            return cls(name, definition.correlation_properties)
    return None


def waiting_messages(workflow: BpmnWorkflow) -> list[str]:
    return sorted(
        {
            task.task_spec.event_definition.name
            for task in workflow.event_manager.tasks.values()
            if isinstance(task.task_spec.event_definition, MessageEventDefinition)
        }
    )


def _timer_tasks(workflow: BpmnWorkflow):
    for task in list(workflow.event_manager.tasks.values()):
        if isinstance(task.task_spec.event_definition, TimerEventDefinition):
            yield task


def _fire_time(task) -> dt.datetime | None:
    value = task.task_spec.event_definition.details(task).value
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def next_timer_at(workflow: BpmnWorkflow) -> dt.datetime | None:
    times = [t for t in (_fire_time(task) for task in _timer_tasks(workflow)) if t is not None]
    return min(times) if times else None


def fire_due_timers(workflow: BpmnWorkflow, now: dt.datetime, instance_id=None) -> StepResult:
    """Fire every timer due at `now` (the caller's clock, so tests can move time)."""
    fired = []
    for task in _timer_tasks(workflow):
        moment = _fire_time(task)
        if moment is not None and moment <= now:
            spiff_adapter.mark_timer_fired(task)
            fired.append(task.task_spec.bpmn_id or task.task_spec.name)
    if fired:
        workflow.refresh_timers()
    result = run_steps(workflow, instance_id)
    result.fired_timers = fired
    return result


def send_back(workflow: BpmnWorkflow, bpmn_id: str, instance_id=None) -> StepResult:
    """Reset the workflow to the latest completed run of user task `bpmn_id`; the tasks
    after it are discarded (the caller cancels their worklist rows)."""
    done = [
        t
        for t in workflow.get_tasks(state=TaskState.COMPLETED)
        if t.task_spec.bpmn_id == bpmn_id and t.task_spec.manual
    ]
    if not done:
        raise TaskNotReady(
            f"task {bpmn_id} has not been completed, so the ticket cannot go back to it"
        )
    target = max(done, key=lambda t: t.last_state_change)
    discarded = workflow.reset_from_task_id(target.id)
    # SpiffWorkflow leaves discarded catch events (e.g. an SLA boundary timer) registered.
    for task in discarded:
        workflow.event_manager.remove_task(task)
    return run_steps(workflow, instance_id)


def update_data(workflow: BpmnWorkflow, changes: dict, instance_id=None) -> StepResult:
    """Set `changes` in the process data from now on: the latest completed task (what the
    ticket shows) and every task still waiting or ready. A timer whose expression reads a
    changed name computes its fire time again, so a wait or reminder follows the new value
    (a moved appointment, say)."""
    touched = {id(t): t for t in workflow.get_tasks(state=_WAITING)}
    if workflow.last_task is not None:
        touched[id(workflow.last_task)] = workflow.last_task
    for task in touched.values():
        task.data.update(changes)
    for task in _timer_tasks(workflow):
        expression = str(getattr(task.task_spec.event_definition, "expression", "") or "")
        if any(name in expression for name in changes):
            spiff_adapter.reevaluate_timer(task)
    return run_steps(workflow, instance_id)


def cancel(workflow: BpmnWorkflow) -> None:
    workflow.cancel()


def is_completed(workflow: BpmnWorkflow) -> bool:
    return workflow.is_completed()


def current_data(workflow: BpmnWorkflow) -> dict:
    """The process data as a reader sees it now: the latest completed task's data."""
    task = workflow.last_task or workflow.task_tree
    data = dict(task.data)
    if workflow.data_objects:
        data["data_objects"] = dict(workflow.data_objects)
    return data


_WAITING = TaskState.READY | TaskState.STARTED | TaskState.WAITING


def node_states(workflow: BpmnWorkflow) -> dict[str, str]:
    """BPMN id -> "done" for each node the workflow has completed, "active" for each it
    stands in now (a step waiting for a person, a timer, a message), for diagrams."""
    states: dict[str, str] = {}
    for task in workflow.get_tasks(state=TaskState.COMPLETED | _WAITING):
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.state & _WAITING:
            states[bpmn_id] = "active"
        else:
            states.setdefault(bpmn_id, "done")
    return states


def human_tasks(workflow: BpmnWorkflow) -> list[HumanTaskInfo]:
    return [_describe(task) for task in workflow.get_tasks(state=TaskState.READY, manual=True)]


def _describe(task) -> HumanTaskInfo:
    return dataclasses.replace(describe_spec(task.task_spec, str(task.id)), task_data=task.data)


# --- the process definition as other apps read it (never SpiffWorkflow spec objects)


def _task_specs(compiled: CompiledProcess):
    for spec in [compiled.spec, *compiled.subprocess_specs.values()]:
        yield from spec.task_specs.values()


def node(compiled: CompiledProcess, bpmn_id: str) -> HumanTaskInfo | None:
    """The declared properties of one BPMN node (forms, lanes, candidates, operations)."""
    spec = compiled.task_spec(bpmn_id)
    return describe_spec(spec) if spec is not None else None


def human_nodes(compiled: CompiledProcess) -> list[HumanTaskInfo]:
    """Every user/manual task node of the process and the processes it calls."""
    return [describe_spec(s) for s in _task_specs(compiled) if getattr(s, "manual", False)]


def start_node(compiled: CompiledProcess) -> HumanTaskInfo | None:
    """The executable process's start event (its form is the ticket's intake form)."""
    for spec in compiled.spec.task_specs.values():
        if isinstance(spec, StartEvent):
            return describe_spec(spec)
    return None


def describe_spec(spec, task_id: str = "") -> HumanTaskInfo:
    """What the worklist needs to know of a user/manual task spec."""
    ext = getattr(spec, "extensions", {}) or {}
    props = ext.get("properties", {}) or {}
    forms = form_files(spec)
    schema = (
        props.get("formJsonSchemaFilename") or ext.get("formKey") or (forms[0] if forms else None)
    )
    return HumanTaskInfo(
        task_id=task_id,
        bpmn_id=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id,
        kind="user" if type(spec).__name__ == "UserTask" else "manual",
        lane=getattr(spec, "lane", None),
        candidate_groups=tuple(
            ext.get("candidateGroups", ()) or _split(props.get("candidateGroups"))
        ),
        candidate_users=tuple(ext.get("candidateUsers", ()) or _split(props.get("candidateUsers"))),
        assignee=ext.get("assignee") or props.get("assignee"),
        due=ext.get("dueDate") or props.get("dueDate"),
        form_schema=schema,
        form_ui=props.get("formUiSchemaFilename"),
        instructions=ext.get("instructionsForEndUser"),
        properties=dict(props),
    )


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def evaluate(expression: str, data: dict) -> Any:
    """Evaluate an expression from the model (assignee, due date) against process data."""
    return _SCRIPT_ENGINE.environment.evaluate(expression, data)


def waiting_catch_events(workflow: BpmnWorkflow) -> list[str]:
    return [
        t.task_spec.bpmn_id
        for t in workflow.get_tasks(state=TaskState.WAITING)
        if isinstance(t.task_spec, CatchingEvent)
    ]
