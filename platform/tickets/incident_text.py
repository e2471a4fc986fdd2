"""An incident as a person reads it, in their language.

The engine (and the sweeps) store an incident's English `error` plus its message code and
values (bpmn.messages); here each code gets its sentence. An incident without a code (one
stored before codes existed, or a failure the engine has no code for) keeps its text.
Values come from the incident as the reader may see it: redact it first, then word it.
"""

from django.utils.dateparse import parse_datetime
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy

TIMER_KINDS = {
    "duration": gettext_lazy("duration"),
    "date-time": gettext_lazy("date-time"),
    "repeating interval": gettext_lazy("repeating interval"),
}
SWEEPS = {
    "timer_sweep": gettext_lazy("The timer sweep"),
    "sla_sweep": gettext_lazy("The SLA sweep"),
}
REASONS = {  # the engine's reasons that are whole phrases, not a value it quotes
    "ran out of memory": gettext_lazy("ran out of memory"),
    "is nested too deeply": gettext_lazy("is nested too deeply"),
    "not a text": gettext_lazy("not a text"),
}


def _reason(text) -> str:
    return str(REASONS.get(str(text), text))


def _when(value) -> str:
    moment = parse_datetime(str(value)) if value else None
    return f"{localtime(moment):%Y-%m-%d %H:%M}" if moment else str(value or "")


# One sentence per message code of bpmn.messages.CODES, with its parameters.
SENTENCES = {
    "expression_unknown_name": gettext_lazy(
        "The expression %(expression)s uses %(name)s, which the ticket has no value for."
    ),
    "expression_stopped": gettext_lazy("The expression %(expression)s was stopped: %(reason)s."),
    "expression_failed": gettext_lazy("The expression %(expression)s failed: %(reason)s."),
    "script_time_limit": gettext_lazy(
        "The script ran longer than its time limit of %(seconds)s s and was stopped."
    ),
    "script_memory_limit": gettext_lazy(
        "The script needed more than its memory limit of %(megabytes)s MB."
    ),
    "script_failed": gettext_lazy("The script failed: %(reason)s."),
    "unknown_operator": gettext_lazy(
        "The service task calls %(operator)s, which this platform does not provide."
    ),
    "service_failed": gettext_lazy("The service %(operator)s failed: %(reason)s."),
    "timer_value": gettext_lazy(
        "The timer %(timer)s got %(value)s from its expression %(expression)s "
        "(%(problem)s); it needs an ISO 8601 %(kind)s such as %(example)s."
    ),
    "decision_unpublished": gettext_lazy(
        "The decision table %(decision)s has no published version."
    ),
    "sweep_failed": gettext_lazy(
        "%(sweep)s could not handle this ticket: %(reason)s. Tried %(attempts)s "
        "time(s); next try at %(retry_at)s."
    ),
}


def incident_text(incident: dict | None) -> str:
    """The incident's message for a person, in the active language."""
    if not incident:
        return ""
    params = dict(incident.get("params") or {})
    sentence = SENTENCES.get(str(incident.get("code") or ""))
    if sentence is None:
        return str(incident.get("error") or "")
    if "reason" in params:
        params["reason"] = _reason(params["reason"])
    if "problem" in params:
        params["problem"] = _reason(params["problem"])
    if "kind" in params:
        params["kind"] = str(TIMER_KINDS.get(params["kind"], params["kind"]))
    if "sweep" in params:
        params["sweep"] = str(SWEEPS.get(params["sweep"], params["sweep"]))
    if "retry_at" in params:
        params["retry_at"] = _when(params["retry_at"])
    for name in ("expression", "name", "operator", "timer", "decision"):
        if name in params:
            params[name] = f"“{params[name]}”"
    try:
        return str(sentence) % params
    except (KeyError, TypeError, ValueError):  # an incident stored with other values
        return str(incident.get("error") or "")


def with_text(incident: dict | None) -> dict | None:
    """The incident with `error` worded for the reader (for pages)."""
    if not incident:
        return None
    return {**incident, "error": incident_text(incident)}
