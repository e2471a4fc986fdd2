"""What went wrong, as a code and parameters a host can put in its reader's language.

The engine has no translations (and no Django): it writes its messages in English for logs
and the API, and attaches to the exception the code of the message and the values it names
(`coded`). The host reads them back with `code_of` and words them itself; a message without
a code is shown as the engine wrote it. CODES lists every code with its parameters.
"""

from typing import Any

CODES: dict[str, tuple[str, ...]] = {
    # expressions (gateway conditions, DMN input expressions, timers, service parameters)
    "expression_unknown_name": ("expression", "name"),
    "expression_stopped": ("expression", "reason"),
    "expression_failed": ("expression", "reason"),
    # scripts (script tasks, pre- and post-scripts)
    "script_time_limit": ("seconds",),
    "script_memory_limit": ("megabytes",),
    "script_failed": ("reason",),
    # service tasks
    "unknown_operator": ("operator",),
    "service_failed": ("operator", "reason"),
    # timers: kind is "duration", "date-time" or "repeating interval"
    "timer_value": ("timer", "expression", "value", "problem", "kind", "example"),
    # decisions
    "decision_unpublished": ("decision",),
    # the host's sweeps (timers, SLA marks): which one, and when it tries again
    "sweep_failed": ("sweep", "reason", "attempts", "retry_at"),
}


def coded(exc: BaseException, code: str, **params: Any) -> BaseException:
    """Mark `exc` with the code of its message and the values the message names."""
    expected = CODES.get(code)
    if expected is None or set(params) != set(expected):
        raise ValueError(f"message code {code!r} takes {expected}, not {sorted(params)}")
    exc.message_code = code
    exc.message_params = params
    return exc


def code_of(exc: BaseException | None) -> tuple[str, dict[str, Any]]:
    """The code and parameters of `exc` or of the exception it wraps; ("", {}) if none."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "message_code", None):
            return exc.message_code, dict(exc.message_params)
        exc = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    return "", {}
