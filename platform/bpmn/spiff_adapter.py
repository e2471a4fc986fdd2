"""Every use of SpiffWorkflow's private API, in one place.

The rest of flowdesk uses only SpiffWorkflow's public names; where the library offers no
public way to do what the host needs, the private call lives here, with the reason and the
version it was read against. When SpiffWorkflow is upgraded, re-read the source named in
each comment (and run tests/bpmn/test_serializer_migrations.py, whose guard fails when a
private name is used anywhere else in platform/).
"""

from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.task import Task, TaskState

# The SpiffWorkflow release every function below was checked against.
CHECKED_AGAINST = "3.2.0"


def put_back_to_ready(task: Task) -> None:
    """Make a task that failed (ERROR) READY again, so that retrying runs it once more.

    Why private: the public `Task.state` setter raises on a backward move (ERROR is 128,
    READY 16), and the public `Task.reset_branch` replaces the task's data with its
    parent's and clears its internal data, so the retry would not run with what the task
    held when it failed. `Task._set_state` (SpiffWorkflow/task.py, 3.2.0) only sets `_state`
    and `last_state_change` and logs; the next `do_engine_steps()` runs the task again.
    """
    task._set_state(TaskState.READY)


def mark_timer_fired(task: Task) -> None:
    """Record that the timer event this task waits for has fired.

    Why private: timers fire by the host's clock (the sweep passes `now`, tests move it),
    while `TimerEventDefinition.has_fired` (SpiffWorkflow/bpmn/specs/event_definitions/
    timer.py, 3.2.0) compares with the machine's clock unless `internal_data["event_fired"]`
    is already set. `Task._set_internal_data` is what SpiffWorkflow itself uses to set it;
    `BpmnWorkflow.refresh_timers()` then lets the event catch.
    """
    task._set_internal_data(event_fired=True)


def reevaluate_timer(task: Task) -> None:
    """Compute a waiting timer's fire time again from its expression over the task's
    (changed) data.

    Why private: SpiffWorkflow (3.2.0, bpmn/specs/event_definitions/timer.py) keeps the
    evaluated time in `internal_data["event_value"]` and never reads the expression again
    once it is there; `TaskSpec._update` is what `BpmnWorkflow.refresh_timers()` calls to
    evaluate it (and to catch the event if the new time has already passed)."""
    task.internal_data.pop("event_value", None)
    task.internal_data.pop("event_fired", None)
    task.task_spec._update(task)


def spiff_extensions(node) -> dict:
    """The `spiffworkflow:` extension elements of a BPMN task node, as SpiffArena reads them.

    Why private: `SpiffTaskParser._parse_extensions` (SpiffWorkflow/spiff/parser/
    task_spec.py, 3.2.0) is a static method with no public wrapper; the public
    `parse_extensions()` is an instance method of the task parser, and flowdesk's parsers
    override it to add Camunda attributes on top of this result.
    """
    return SpiffTaskParser._parse_extensions(node)


def set_internal_flag(task: Task, name: str, value) -> None:
    """Keep a flag of the host's on a task (e.g. "this timer's expression failed").

    Why private: `Task.internal_data` is public to read, but SpiffWorkflow writes it only
    through `Task._set_internal_data` (SpiffWorkflow/task.py, 3.2.0), which also keeps the
    serializer's view consistent; the flag must survive a save and load.
    """
    task._set_internal_data(**{name: value})


def reenter_task(task: Task) -> None:
    """Run a waiting task's spec update again (a timer re-reads its expression).

    Why private: `TaskSpec._update` (SpiffWorkflow/specs/base.py, 3.2.0) is how the
    workflow itself brings a WAITING/FUTURE task forward; there is no public call that
    re-evaluates one task without resetting its branch and data.
    """
    task.task_spec._update(task)
