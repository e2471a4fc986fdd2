"""How an engine call is saved on a ticket: worklist rows, timeline, timers and state.

Used by the do_* writers in tickets.actions and tickets.operations, always inside their
transaction with the ticket row locked.
"""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from bpmn import runtime
from definitions.deploy import compiled_for
from tickets import routing
from tickets.errors import Conflict, NotFound
from tickets.models import HumanTask, Ticket, TicketEvent
from tickets.script_context import running_for_ticket

OPEN_STATES = (HumanTask.State.OPEN, HumanTask.State.CLAIMED)


class _SnapshotEncoder(DjangoJSONEncoder):
    """Process data as readers see it: engine Decimals become JSON numbers (the engine
    state keeps them exact)."""

    def default(self, o):
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def json_safe(data: dict) -> dict:
    return json.loads(json.dumps(data, cls=_SnapshotEncoder))


def record_event(
    ticket, kind, *, actor=None, task=None, bpmn_id="", detail=None, **extra
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        task=task,
        bpmn_id=bpmn_id,
        detail=json_safe({**(detail or {}), **extra}),
    )


def sync_worklist(ticket: Ticket, workflow) -> None:
    """Make HumanTask rows match the READY human tasks of the workflow."""
    ready = {info.task_id: info for info in runtime.human_tasks(workflow)}
    existing = {t.engine_task_id: t for t in ticket.tasks.filter(state__in=OPEN_STATES)}
    for engine_id, row in existing.items():
        if engine_id not in ready:
            row.state = HumanTask.State.CANCELLED
            row.save(update_fields=["state"])
            record_event(ticket, "task_cancelled", task=row, bpmn_id=row.bpmn_id)
    data = runtime.current_data(workflow)
    for engine_id, info in ready.items():
        if engine_id not in existing:
            _create_human_task(ticket, info, data)


def _create_human_task(ticket: Ticket, info: runtime.HumanTaskInfo, data: dict) -> HumanTask:
    # The row exists already when the ticket was sent back to this engine task.
    row = HumanTask.objects.filter(ticket=ticket, engine_task_id=info.task_id).first()
    if row is None:
        row = HumanTask.objects.create(
            ticket=ticket,
            engine_task_id=info.task_id,
            bpmn_id=info.bpmn_id,
            name=info.name,
            kind=info.kind,
            lane=info.lane or "",
            form_schema=info.form_schema or "",
            form_ui=info.form_ui or "",
            instructions=info.instructions or "",
            priority=ticket.priority,
            due_at=_due_at(info, data),
        )
    else:
        row.state = HumanTask.State.CLAIMED if row.assignee_id else HumanTask.State.OPEN
        row.completed_at = row.completed_by = None
        row.save(update_fields=["state", "completed_at", "completed_by"])
    groups = list(info.candidate_groups) or ([info.lane] if info.lane else [])
    if groups:
        row.candidate_groups.set(_groups_named(groups))
    if info.candidate_users:
        row.candidate_users.set(User.objects.filter(username__in=info.candidate_users))
    assignee = _assignee(info, data)
    if assignee is not None:  # the model names the handler: no assignment decision
        row.assignee = assignee
        row.state = HumanTask.State.CLAIMED
        row.save(update_fields=["assignee", "state"])
        routed = {"strategy": "model", "assignee": assignee.username}
    else:
        routed = routing.route_task(ticket, row, groups, list(info.candidate_users), data)
    sla = routing.start_sla(ticket, row, data) if row.due_at is None else None
    record_event(
        ticket,
        "task_created",
        task=row,
        bpmn_id=info.bpmn_id,
        name=info.name,
        candidate_groups=groups,
        assignee=row.assignee.username if row.assignee_id else None,
    )
    record_event(ticket, "assigned", task=row, bpmn_id=info.bpmn_id, **routed)
    if sla is not None:
        record_event(ticket, "sla_started", task=row, bpmn_id=info.bpmn_id, **sla)
    return row


def _groups_named(names: list[str]) -> list[Group]:
    found = {g.name: g for g in Group.objects.filter(name__in=names)}
    return [found.get(name) or Group.objects.get_or_create(name=name)[0] for name in names]


def _expression_or_literal(value: str, data: dict):
    """Camunda writes `${var}`, SpiffArena plain expressions; a bare name that is not in
    the data is taken literally (`assignee="alice"`)."""
    text = value.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    elif text.isidentifier() and text not in data:
        return text
    try:
        return runtime.evaluate(text, data)
    except ValueError:
        return None


def _assignee(info: runtime.HumanTaskInfo, data: dict) -> User | None:
    if not info.assignee:
        return None
    username = _expression_or_literal(info.assignee, data)
    return User.objects.filter(username=str(username)).first() if username else None


def _due_at(info: runtime.HumanTaskInfo, data: dict) -> dt.datetime | None:
    if not info.due:
        return None
    value = _expression_or_literal(info.due, data)
    if isinstance(value, str) and value.startswith("P"):
        from bpmn.sandbox import parse_duration

        return timezone.now() + parse_duration(value)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return None


def save_engine_result(ticket: Ticket, workflow, result: runtime.StepResult, actor=None) -> None:
    """Save everything an engine call produced: worklist, timeline, timers, state."""
    for record in result.decisions:
        record_event(ticket, "decision", actor=actor, bpmn_id=record.get("task", ""), detail=record)
    for timer in result.fired_timers:
        record_event(ticket, "timer_fired", bpmn_id=timer)
    if result.incident is not None:
        ticket.incident = json_safe(asdict(result.incident))
        record_event(ticket, "incident", bpmn_id=result.incident.bpmn_id, detail=ticket.incident)
    sync_worklist(ticket, workflow)
    ticket.data = json_safe(runtime.current_data(workflow))
    ticket.state = runtime.dump(workflow)
    from bpmn.serializer import FORMAT_VERSION

    ticket.state_format = FORMAT_VERSION
    ticket.next_timer_at = runtime.next_timer_at(workflow)
    ticket.waiting_messages = runtime.waiting_messages(workflow)
    ticket.lock_version += 1
    fields = [
        "incident",
        "data",
        "state",
        "state_format",
        "next_timer_at",
        "waiting_messages",
        "lock_version",
        "updated_at",
    ]
    if runtime.is_completed(workflow) and ticket.status == Ticket.Status.ACTIVE:
        ticket.status = Ticket.Status.COMPLETED
        ticket.closed_at = timezone.now()
        fields += ["status", "closed_at"]
        record_event(ticket, "completed", actor=actor)
    ticket.save(update_fields=fields)


def locked_ticket(ticket_id: int) -> Ticket:
    try:
        return (
            Ticket.objects.select_for_update().select_related("process_version").get(id=ticket_id)
        )
    except Ticket.DoesNotExist:
        raise NotFound(f"ticket {ticket_id} not found") from None


def engine_call(ticket: int | Ticket, operation: Callable, actor=None, need_active=True) -> Ticket:
    """Load the workflow, run `operation(ticket, workflow)`, save. Pass a Ticket the caller
    already locked in this transaction, or an id to lock it here."""
    if not isinstance(ticket, Ticket):
        ticket = locked_ticket(ticket)
    if need_active and ticket.status != Ticket.Status.ACTIVE:
        raise Conflict(f"ticket {ticket.number} is {ticket.status}")
    workflow = runtime.load(compiled_for(ticket.process_version), ticket.state)
    with running_for_ticket(ticket, actor):  # what get_current_user() & co. answer
        result = operation(ticket, workflow)
    save_engine_result(ticket, workflow, result, actor)
    return ticket
