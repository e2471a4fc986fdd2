"""The SLA sweep: three warnings, then escalation at breach. A writer like tickets.actions:
each task row is claimed with SELECT ... FOR UPDATE SKIP LOCKED and handled in its own
transaction, so concurrent sweeps never warn twice."""

import datetime as dt
import logging

from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.utils import timezone

from notify.actions import do_notify
from org import queries as org_queries
from org.sla import BREACH, levels_due, next_mark, warning_recipients
from tickets import incidents, taskstate
from tickets.engine import record_event
from tickets.incidents import SLA_SWEEP
from tickets.models import HumanTask, Ticket
from tickets.routing import owning_group, sla_marks_of
from tickets.taskstate import Transition

OPEN = (HumanTask.State.OPEN, HumanTask.State.CLAIMED)
log = logging.getLogger("flowdesk.sla")


def _users(recipients) -> list[User]:
    users = []
    for who in recipients:
        if isinstance(who, Group):
            users += list(who.user_set.filter(is_active=True))
        elif isinstance(who, User):
            users.append(who)
    return users


def _escalate(row: HumanTask, group: Group | None) -> dict:
    target = org_queries.escalation_for(group, row.assignee)
    if target.supervisor is not None:
        taskstate.apply(row, Transition.ESCALATE_TO_USER, assignee=target.supervisor)
        return {"to_user": target.supervisor.username}
    if target.group is not None:
        taskstate.apply(row, Transition.ESCALATE_TO_GROUP)
        row.candidate_groups.set([target.group])
        return {"to_group": target.group.name}
    return {"to": None, "note": "no supervisor or escalation group configured"}


def _send(row: HumanTask, level: int) -> None:
    """One warning level (or the breach, which also escalates): timeline and notification."""
    group = owning_group(row)
    supervisor = org_queries.supervisor_for(row.assignee, group)
    recipients = _users(warning_recipients(level, row.assignee, group, supervisor))
    kind = "sla_breached" if level == BREACH else "sla_warning"
    detail = {"level": level, "due_at": row.due_at, "to": [u.username for u in recipients]}
    ticket = row.ticket
    record_event(ticket, kind, task=row, bpmn_id=row.bpmn_id, **detail)
    if level == BREACH:
        record_event(ticket, "escalated", task=row, bpmn_id=row.bpmn_id, **_escalate(row, group))
    what = "breached" if level == BREACH else f"warning {level}"
    do_notify(
        kind,
        ticket_id=ticket.id,
        users=recipients,
        urgent=True,
        context={"ticket": ticket.number, "task": row.name, "level": level, "due_at": row.due_at},
        subject=f"[{ticket.number}] SLA {what}: {row.name}",
        body=f"{row.name} on {ticket.number} is due at {row.due_at:%Y-%m-%d %H:%M} UTC.",
        idempotency_key=f"sla:{row.id}:{level}",
    )


def _handle(row: HumanTask, now: dt.datetime) -> None:
    # Every level that came due is sent in order: a warning at 100% and the breach fall
    # due together, and both are said.
    for mark in levels_due(sla_marks_of(row), now, row.sla_level):
        _send(row, mark.level)
        row.sla_level = mark.level
    upcoming = next_mark(sla_marks_of(row), row.sla_level)
    row.next_sla_at = upcoming.at if upcoming else None
    row.save(update_fields=["sla_level", "next_sla_at"])


def do_sweep_sla(now: dt.datetime | None = None, batch: int = 100) -> int:
    """Send the warnings and escalations that are due at `now` (the caller's clock).

    A row whose handling raises never stops the sweep: it is undone to a savepoint, the
    ticket gets an incident (tickets.incidents) and the row's next mark moves to a retry
    time with exponential backoff; the sweep goes on with the other rows."""
    now = now or timezone.now()
    handled, seen, row = 0, set(), None
    for _ in range(batch):
        try:
            with transaction.atomic():
                row = _claim_due_row(now, seen)
                if row is None:
                    break
                seen.add(row.id)
                handled += _handle_isolated(row, now)
        except Exception:  # even recording the incident failed: leave the row, go on
            log.exception("SLA sweep: task %s could not be handled", row and row.id)
    return handled


def _claim_due_row(now: dt.datetime, seen: set[int]) -> HumanTask | None:
    due = (
        HumanTask.objects.filter(
            next_sla_at__lte=now,
            sla_paused_at__isnull=True,
            state__in=OPEN,
            ticket__status=Ticket.Status.ACTIVE,
        )
        .exclude(id__in=seen)
        .order_by("next_sla_at")
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return due.select_related("ticket", "assignee").first()


def _handle_isolated(row: HumanTask, now: dt.datetime) -> int:
    try:
        with transaction.atomic():  # a savepoint: a failure undoes this row's warnings only
            _handle(row, now)
    except Exception as exc:
        log.exception("SLA sweep: task %s of ticket %s failed", row.id, row.ticket_id)
        ticket = Ticket.objects.select_for_update().get(id=row.ticket_id)
        retry_at = incidents.record_sweep_failure(
            ticket, SLA_SWEEP, f"the SLA sweep could not handle {row.name!r}", exc, now, row
        )
        HumanTask.objects.filter(id=row.id).update(next_sla_at=retry_at)
        return 0
    incidents.clear_sweep_incident(row.ticket, SLA_SWEEP, row)
    return 1
