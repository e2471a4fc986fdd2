"""SpiffWorkflow glue for the DMN engine: the `dmnEngine` of a BusinessRuleTask, and the
record of every decision a task evaluates (for the ticket's audit trail)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy

_CAPTURES: ContextVar[tuple[list, ...]] = ContextVar("dmn_captures", default=())


@contextmanager
def capture_decisions() -> Iterator[list[dict]]:
    """Collect a record of every decision a business rule task evaluates inside the block
    (for the ticket's audit trail). Nested blocks each receive the records made while they
    are open, so an inner capture does not hide decisions from an outer one."""
    records: list[dict] = []
    token = _CAPTURES.set((*_CAPTURES.get(), records))
    try:
        yield records
    finally:
        _CAPTURES.reset(token)


class DecisionTaskEngine:
    """SpiffWorkflow's BusinessRuleTask calls `dmnEngine.result(task)` and deep-merges the
    returned dict into the task data. The decision is resolved on every call, so a task
    runs whichever version `resolve` says is current."""

    def __init__(self, decision_id: str, resolve: Callable[[str], tuple]):
        self.decision_id = decision_id
        self.resolve = resolve

    def result(self, task) -> dict:
        decision, version = self.resolve(self.decision_id)
        result = decision.evaluate(task.data)
        captures = _CAPTURES.get()
        if captures:
            record = {
                "decision_id": result.decision_id,
                "version": version,
                "inputs": deepcopy(result.inputs),
                "outputs": deepcopy(result.task_data),  # task data is merged in and mutated
                "matched_rules": list(result.matched_rules),
            }
            for records in captures:
                records.append(record)
        return result.task_data
