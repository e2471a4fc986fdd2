"""SpiffArena's script helpers (`get_current_user()`, `get_env()`, ...) for models made there.

Their values come from the host: before it runs the engine for a ticket it sets a
`HostContext` (who acts, who started the ticket, who completed which task, the ticket id,
the site URL) with `host_context(...)`; the script environment turns it into functions.
Every function is an instance of a small class, not a closure: scripts run in a sandbox
process and what they call must travel there by pickle. Scenario `mocks` override them.

The host may pass a function that builds the context instead of the context: it is called
once, and only when a script or expression names one of the helpers, so engine calls that
use none cost the host no queries.
"""

import contextvars
import datetime as _dt
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


class HelperRefused(PermissionError):
    """A helper that flowdesk deliberately does not offer (secrets)."""


@dataclass(frozen=True)
class HostContext:
    """What the host knows about the engine call. Users are plain dicts (SpiffArena's
    shape: id, username, email, display_name, groups)."""

    user: dict | None = None  # who acts now (completes the task, starts the ticket)
    initiator: dict | None = None  # who started the ticket
    instance_id: int | None = None
    process_key: str = ""  # the process model identifier
    env: str = "local"
    frontend_url: str = ""
    completed_by: Mapping[str, dict] = field(default_factory=dict)  # task bpmn id -> user
    group_members: Mapping[str, list[str]] = field(default_factory=dict)
    timezone: str = "Asia/Shanghai"


class _Lazy:
    def __init__(self, source: HostContext | Callable[[], HostContext]):
        self.source = source
        self.value: HostContext | None = source if isinstance(source, HostContext) else None
        self.helpers: dict[str, Any] | None = None

    def get(self) -> HostContext:
        if self.value is None:
            self.value = self.source()
        return self.value


_NO_HOST = _Lazy(HostContext())  # scenarios and plain engine runs: nobody, no ticket
_CONTEXT: contextvars.ContextVar[_Lazy | None] = contextvars.ContextVar(
    "flowdesk_host_context", default=None
)


@contextmanager
def host_context(context: HostContext | Callable[[], HostContext]) -> Iterator[None]:
    token = _CONTEXT.set(_Lazy(context))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current() -> HostContext:
    return (_CONTEXT.get() or _NO_HOST).get()


class _Returns:
    """get_current_user() and friends: a value the host fixed before the call."""

    def __init__(self, value: Any):
        self.value = value

    def __call__(self):
        return self.value


class _LastUserCompleting:
    def __init__(self, completed_by: Mapping[str, dict]):
        self.completed_by = dict(completed_by)

    def __call__(self, *args):
        # SpiffArena: get_last_user_completing_task(process_model_identifier, task_bpmn_id)
        if not args:
            raise TypeError("get_last_user_completing_task needs the task's BPMN id")
        return self.completed_by.get(args[-1])


class _TaskUrl:
    def __init__(self, base: str, instance_id: int | None):
        self.base, self.instance_id = base.rstrip("/"), instance_id

    def __call__(self, bpmn_identifier: str, *args):
        return f"{self.base}/tickets/{self.instance_id}/#task-{bpmn_identifier}"


class _GroupMembers:
    def __init__(self, members: Mapping[str, list[str]]):
        self.members = {k: list(v) for k, v in members.items()}

    def __call__(self, group: str):
        return list(self.members.get(group, []))


class _LocalTime:
    def __init__(self, default_zone: str):
        self.default_zone = default_zone

    def __call__(self, datetime: _dt.datetime, timezone: str | None = None):
        from zoneinfo import ZoneInfo

        aware = datetime if datetime.tzinfo else datetime.replace(tzinfo=_dt.UTC)
        return aware.astimezone(ZoneInfo(timezone or self.default_zone))


class _TaskDataValue:
    def __init__(self, data: Mapping[str, Any]):
        self.data = data

    def __call__(self, name: str, default: Any = None):
        return self.data.get(name, default)


class _DataSizes:
    def __init__(self, data: Mapping[str, Any]):
        self.data = data  # the same object the script job carries: pickled once

    def __call__(self):
        size = len(json.dumps(dict(self.data), default=str))
        return {"cumulative_task_data_size": size, "python_env_size": size}


def _refuse_secret(*args, **kwargs):
    raise HelperRefused(
        "get_secret is not available: pass credentials to a service operator configured "
        "on the server, never through process data"
    )


def _toplevel_info(context: HostContext) -> dict:
    return {
        "process_instance_id": context.instance_id,
        "process_model_identifier": context.process_key,
    }


def context_helpers(context: HostContext) -> dict[str, Any]:
    """The helpers that depend only on the host context (cached per context by callers)."""
    return {
        "get_current_user": _Returns(context.user),
        "get_process_initiator_user": _Returns(context.initiator),
        "get_last_user_completing_task": _LastUserCompleting(context.completed_by),
        "get_toplevel_process_info": _Returns(_toplevel_info(context)),
        "get_process_instance_id": _Returns(context.instance_id),
        "get_env": _Returns(context.env),
        "get_frontend_url": _Returns(context.frontend_url),
        "get_url_for_task_with_bpmn_identifier": _TaskUrl(
            context.frontend_url, context.instance_id
        ),
        "get_group_members": _GroupMembers(context.group_members),
        "get_localtime": _LocalTime(context.timezone),
        "get_secret": _refuse_secret,
    }


def helpers_for(source: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The helpers that `source` (a script or expression) names, for task data `data`."""
    if "get_" not in source:
        return {}
    wanted = [name for name in HELPER_FUNCTION_NAMES if name in source]
    if not wanted:
        return {}
    lazy = _CONTEXT.get() or _NO_HOST
    if lazy.helpers is None:
        lazy.helpers = context_helpers(lazy.get())
    found = {
        **lazy.helpers,
        "get_task_data_value": _TaskDataValue(data),
        "get_data_sizes": _DataSizes(data),
    }
    return {name: found[name] for name in wanted}


HELPER_FUNCTION_NAMES = frozenset(
    [*context_helpers(HostContext()), "get_task_data_value", "get_data_sizes"]
)
