"""Service-task operators: Python functions that apps register under a dotted name.

A BPMN service task names its operator (spiff `serviceTaskOperator id="notify.send"`);
the engine evaluates the parameters in the sandbox and calls the operator with them.
Unknown operators are rejected when a bundle is deployed.
"""

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bpmn import messages


class UnknownOperator(LookupError):
    pass


@dataclass(frozen=True)
class ServiceCall:
    """What an operator may know about the call besides its parameters."""

    data: dict[str, Any]
    instance_id: int | None = None  # the ticket's id when run by the platform
    task_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operator:
    name: str
    fn: Callable[[dict[str, Any], ServiceCall], Any]
    description: str = ""
    params: tuple[str, ...] = ()


_REGISTRY: dict[str, Operator] = {}
_CURRENT_INSTANCE: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "flowdesk_service_instance", default=None
)
_CURRENT_TASK: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "flowdesk_service_task", default=None
)


def register(name: str, description: str = "", params: tuple[str, ...] = ()):
    """Decorator: `@register("crm.lookup_customer", params=("phone",))`."""

    def wrap(fn):
        _REGISTRY[name] = Operator(name, fn, description, tuple(params))
        return fn

    return wrap


def get(name: str) -> Operator:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        failure = UnknownOperator(f"unknown service operator {name!r} (known: {known})")
        raise messages.coded(failure, "unknown_operator", operator=name) from None


def names() -> list[str]:
    return sorted(_REGISTRY)


@contextmanager
def running_for(instance_id: int | None) -> Iterator[None]:
    """Tell operators which ticket they run for while the engine steps."""
    token = _CURRENT_INSTANCE.set(instance_id)
    try:
        yield
    finally:
        _CURRENT_INSTANCE.reset(token)


@contextmanager
def running_task(task_id: str) -> Iterator[None]:
    """The engine task a service call runs for: the same id when an incident is retried, a
    new one on each pass of a loop (operators derive idempotency keys from it)."""
    token = _CURRENT_TASK.set(task_id)
    try:
        yield
    finally:
        _CURRENT_TASK.reset(token)


def call(name: str, params: dict[str, Any], data: dict[str, Any]) -> Any:
    operator = get(name)
    return operator.fn(
        params,
        ServiceCall(data=data, instance_id=_CURRENT_INSTANCE.get(), task_id=_CURRENT_TASK.get()),
    )
