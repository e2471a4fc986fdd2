"""Timer expressions as the engine reads them.

SpiffWorkflow evaluates a timer expression when the event is reached, then parses the
value with str methods: 5 or {"a": 1} raised AttributeError (other text a bare "Invalid
duration" Exception) out of do_engine_steps, which no caller turns into an incident: a 500
at start, and a timer sweep failing on that ticket at every pass. `TimerCheckingEngine`
checks the value right after evaluation and raises the engine's own task error instead, so
run_steps makes it the ticket's incident ("timer 'wait' expression 'delay' gave 5 ...").
The failed event is marked; `retry` evaluates it again (after the data was fixed).
"""

import datetime as dt
import json

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.task import TaskState

from bpmn import messages, spiff_adapter
from bpmn.sandbox import SafeScriptEngine

TIMER_KINDS = {
    DurationTimerEventDefinition: ("duration", "'PT4H'"),
    TimeDateEventDefinition: ("date-time", "'2026-12-01T09:00:00+08:00'"),
    CycleTimerEventDefinition: ("repeating interval", "'R3/PT1H'"),
}
ERROR_MARK = "timer_expression_failed"


def timer_definition(task, expression: str) -> TimerEventDefinition | None:
    definition = getattr(task.task_spec, "event_definition", None)
    for candidate in getattr(definition, "event_definitions", None) or [definition]:
        if isinstance(candidate, TimerEventDefinition) and candidate.expression == expression:
            return candidate
    return None


def checked_value(task, timer: TimerEventDefinition, value):
    """`value` as the text SpiffWorkflow parses, or a WorkflowTaskException saying why not
    (the caller's run_steps turns it into the ticket's incident)."""
    kind, example = next(
        (v for cls, v in TIMER_KINDS.items() if isinstance(timer, cls)), ("duration", "'PT4H'")
    )
    if isinstance(timer, TimeDateEventDefinition) and isinstance(value, dt.date):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.isoformat()
    problem = "" if isinstance(value, str) else "not a text"
    if not problem:
        try:
            _parse_text(timer, value)
        except Exception as exc:  # SpiffWorkflow's parsers raise bare Exception
            problem = str(exc) or type(exc).__name__
    if not problem:
        return value
    spiff_adapter.set_internal_flag(task, ERROR_MARK, True)
    shown = json.dumps(value, ensure_ascii=False, default=str)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    name = task.task_spec.bpmn_id or task.task_spec.name
    failure = WorkflowTaskException(
        f"timer {name!r} expression {timer.expression!r} gave {shown} ({problem}), "
        f"expected an ISO 8601 {kind} text such as {example}",
        task=task,
    )
    params = {"timer": name, "expression": timer.expression, "value": shown, "problem": problem}
    raise messages.coded(failure, "timer_value", **params, kind=kind, example=example)


def _parse_text(timer: TimerEventDefinition, text: str) -> None:
    if isinstance(timer, CycleTimerEventDefinition):
        TimerEventDefinition.parse_iso_recurring_interval(text)
    elif isinstance(timer, TimeDateEventDefinition):
        if not isinstance(TimerEventDefinition.parse_time_or_duration(text), dt.datetime):
            raise ValueError("a duration where a date-time was expected")
    else:
        TimerEventDefinition.parse_iso_duration(text)


def stalled_timers(workflow) -> list:
    """Timer events whose expression failed: never registered, so nothing reaches them
    again but a retry."""
    return [
        t
        for t in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK)
        if t.internal_data.get(ERROR_MARK)
    ]


def reevaluate(tasks: list) -> None:
    for task in tasks:
        task.internal_data.pop(ERROR_MARK, None)
        spiff_adapter.reenter_task(task)


class TimerCheckingEngine(SafeScriptEngine):
    """The platform's script engine, plus a check of what a timer expression gave (see
    `checked_value`)."""

    def evaluate(self, task, expression, external_context=None):
        timer = timer_definition(task, expression)
        if timer is None:
            return super().evaluate(task, expression, external_context)
        try:
            value = super().evaluate(task, expression, external_context)
        except Exception:
            spiff_adapter.set_internal_flag(task, ERROR_MARK, True)  # so that retry reaches it
            raise
        return checked_value(task, timer, value)
