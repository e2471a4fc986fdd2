"""Incidents the platform's sweeps record on a ticket when handling it failed.

A sweep (timers, SLA marks) handles each ticket in its own savepoint; when that raises, the
savepoint is undone and the failure is written here, in the sweep's transaction, through the
same mechanism as an engine incident: `Ticket.incident` plus an "incident" event. The
incident carries `source` (which sweep) and `retry_at`; the sweep tries the ticket again
then, backing off exponentially, and clears its own incident once handling succeeds. An
incident the engine left (a failed service task) is never overwritten by a sweep's.
"""

import datetime as dt

from django.db.models import Max

from tickets.engine import json_safe, record_event
from tickets.models import HumanTask, Ticket

TIMER_SWEEP = "timer_sweep"
SLA_SWEEP = "sla_sweep"
BACKOFF_BASE_S = 60
BACKOFF_MAX_S = 24 * 3600


def readable(exc: Exception) -> str:
    """The exception's own message, for a person: no repr, no traceback, no NUL bytes
    (PostgreSQL refuses them in JSON)."""
    text = str(exc).replace("\x00", "").strip() or type(exc).__name__
    return text[:500]


def backoff(attempts: int) -> dt.timedelta:
    """Delay before trying again after `attempts` failed tries: 1 min, 2 min, 4 min… 1 day."""
    return dt.timedelta(seconds=min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1)))


def sweep_incident_of(ticket: Ticket, source: str) -> dict | None:
    incident = ticket.incident
    return incident if isinstance(incident, dict) and incident.get("source") == source else None


def record_sweep_failure(
    ticket: Ticket,
    source: str,
    what: str,
    exc: Exception,
    now: dt.datetime,
    task: HumanTask | None = None,
) -> dt.datetime:
    """Write the failure on `ticket` (locked by the caller); return when to try again."""
    attempts = 1 + _failures_since_last_retry(ticket, source, task)
    retry_at = now + backoff(attempts)
    detail = json_safe(
        {
            "task_id": task.engine_task_id if task is not None else "",
            "bpmn_id": task.bpmn_id if task is not None else "",
            "task_name": task.name if task is not None else "",
            "error": f"{what}: {readable(exc)}. "
            f"Tried {attempts} time(s); next try at {retry_at:%Y-%m-%d %H:%M} UTC.",
            "code": "sweep_failed",
            "params": {
                "sweep": source,
                "reason": readable(exc),
                "attempts": attempts,
                "retry_at": retry_at,
            },
            "at": now,
            "source": source,
            "attempts": attempts,
            "retry_at": retry_at,
        }
    )
    if not ticket.incident or sweep_incident_of(ticket, source):
        ticket.incident = detail
        ticket.save(update_fields=["incident"])
    record_event(ticket, "incident", task=task, bpmn_id=detail["bpmn_id"], detail=detail)
    return retry_at


def _failures_since_last_retry(ticket: Ticket, source: str, task: HumanTask | None) -> int:
    events = ticket.events.all()
    last_retry = events.filter(kind="retried").aggregate(last=Max("id"))["last"] or 0
    failures = events.filter(kind="incident", detail__source=source, id__gt=last_retry)
    return failures.filter(task=task).count() if task is not None else failures.count()


def clear_sweep_incident(ticket: Ticket, source: str, task: HumanTask | None = None) -> None:
    """Handling succeeded: the incident this sweep left (for `task`, if given) is resolved."""

    def ours(incident) -> bool:
        return incident is not None and (task is None or incident["task_id"] == task.engine_task_id)

    if not ours(sweep_incident_of(ticket, source)):
        return  # the common case, decided without a query
    ticket = Ticket.objects.select_for_update().get(id=ticket.id)
    if not ours(sweep_incident_of(ticket, source)):
        return
    ticket.incident = None
    ticket.save(update_fields=["incident"])
    record_event(ticket, "retried", ok=True, by=source)
