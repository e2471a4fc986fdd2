"""The only writers of tickets. Each do_* is one transaction with the ticket row locked."""

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from bpmn import runtime
from bpmn.deploy import compiled_for
from bpmn.models import ProcessVersion
from tickets.access import may_act_on_task
from tickets.fields import validate_start_data, validate_task_data
from tickets.models import HumanTask, Ticket, TicketEvent

log = logging.getLogger("flowdesk.tickets")
OPEN_STATES = (HumanTask.State.OPEN, HumanTask.State.CLAIMED)


class ActionError(Exception):
    status = 400


class Conflict(ActionError):
    status = 409


class Forbidden(ActionError):
    status = 403


class InvalidSubmission(ActionError):
    """Form errors, every one of them, keyed by field path ("" for the whole form)."""

    status = 422

    def __init__(self, errors: dict[str, str], redisplay: dict | None = None):
        super().__init__("; ".join(f"{k or 'form'}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.redisplay = redisplay or {}


class NotFound(ActionError):
    status = 404


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


def _json_safe(data: dict) -> dict:
    return json.loads(json.dumps(data, cls=_SnapshotEncoder))


def _event(ticket, kind, *, actor=None, task=None, bpmn_id="", detail=None, **extra) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        task=task,
        bpmn_id=bpmn_id,
        detail=_json_safe({**(detail or {}), **extra}),
    )


def _sync_worklist(ticket: Ticket, workflow) -> None:
    """Make HumanTask rows match the READY human tasks of the workflow."""
    ready = {info.task_id: info for info in runtime.human_tasks(workflow)}
    existing = {t.engine_task_id: t for t in ticket.tasks.filter(state__in=OPEN_STATES)}
    for engine_id, row in existing.items():
        if engine_id not in ready:
            row.state = HumanTask.State.CANCELLED
            row.save(update_fields=["state"])
            _event(ticket, "task_cancelled", task=row, bpmn_id=row.bpmn_id)
    data = runtime.current_data(workflow)
    for engine_id, info in ready.items():
        if engine_id not in existing:
            _create_human_task(ticket, info, data)


def _create_human_task(ticket: Ticket, info: runtime.HumanTaskInfo, data: dict) -> HumanTask:
    row, created = HumanTask.objects.get_or_create(
        ticket=ticket,
        engine_task_id=info.task_id,
        defaults=dict(
            bpmn_id=info.bpmn_id,
            name=info.name,
            kind=info.kind,
            lane=info.lane or "",
            form_schema=info.form_schema or "",
            form_ui=info.form_ui or "",
            instructions=info.instructions or "",
            priority=ticket.priority,
            due_at=_due_at(info, data),
        ),
    )
    if not created:
        row.state = HumanTask.State.OPEN
        row.save(update_fields=["state"])
    groups = list(info.candidate_groups) or ([info.lane] if info.lane else [])
    row.candidate_groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    if info.candidate_users:
        row.candidate_users.set(User.objects.filter(username__in=info.candidate_users))
    assignee = _assignee(info, data)
    if assignee is not None:
        row.assignee = assignee
        row.state = HumanTask.State.CLAIMED
        row.save(update_fields=["assignee", "state"])
    _event(
        ticket,
        "task_created",
        task=row,
        bpmn_id=info.bpmn_id,
        name=info.name,
        candidate_groups=groups,
        assignee=assignee.username if assignee else None,
    )
    return row


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
        from bpmn.sandbox import _parse_duration

        return timezone.now() + _parse_duration(value)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return None


def _after_engine(ticket: Ticket, workflow, result: runtime.StepResult, actor=None) -> None:
    """Save everything an engine call produced: worklist, timeline, timers, state."""
    for record in result.decisions:
        _event(ticket, "decision", actor=actor, bpmn_id=record.get("task", ""), detail=record)
    for timer in result.fired_timers:
        _event(ticket, "timer_fired", bpmn_id=timer)
    if result.incident is not None:
        ticket.incident = _json_safe(asdict(result.incident))
        _event(ticket, "incident", bpmn_id=result.incident.bpmn_id, detail=ticket.incident)
    _sync_worklist(ticket, workflow)
    ticket.data = _json_safe(runtime.current_data(workflow))
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
        _event(ticket, "completed", actor=actor)
    ticket.save(update_fields=fields)


def _locked(ticket_id: int) -> Ticket:
    try:
        return (
            Ticket.objects.select_for_update().select_related("process_version").get(id=ticket_id)
        )
    except Ticket.DoesNotExist:
        raise NotFound(f"ticket {ticket_id} not found") from None


def _engine_call(ticket_id: int, operation: Callable, actor=None, need_active=True) -> Ticket:
    ticket = _locked(ticket_id)
    if need_active and ticket.status != Ticket.Status.ACTIVE:
        raise Conflict(f"ticket {ticket.number} is {ticket.status}")
    workflow = runtime.load(compiled_for(ticket.process_version), ticket.state)
    result = operation(ticket, workflow)
    _after_engine(ticket, workflow, result, actor)
    return ticket


def latest_version(process_key: str) -> ProcessVersion:
    version = ProcessVersion.objects.filter(key=process_key).order_by("-version").first()
    if version is None:
        raise NotFound(f"no process {process_key!r} is deployed")
    return version


def do_start_ticket(
    user,
    process_key: str,
    data: dict | None = None,
    *,
    title: str = "",
    channel: str = Ticket.Channel.API,
    priority: int = Ticket.Priority.NORMAL,
    correlation_key: str = "",
    version: ProcessVersion | None = None,
    customer=None,
) -> Ticket:
    version = version or latest_version(process_key)
    compiled = compiled_for(version)
    if customer is not None:  # the customer record, not the caller, says who and which tier
        data = {**(data or {}), "customer_name": customer.name, "customer_tier": customer.tier}
    checked = validate_start_data(user, version, data or {})
    if checked is not None:
        if checked.errors:
            raise InvalidSubmission(checked.errors, checked.redisplay)
        data = {**(data or {}), **checked.cleaned}
    with transaction.atomic():
        ticket = Ticket.objects.create(
            process_version=version,
            title=title or compiled.name,
            channel=channel,
            priority=priority,
            correlation_key=correlation_key,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            customer=customer,
        )
        prefix = _ticket_prefix()
        ticket.number = f"{prefix}-{timezone.now().year}-{ticket.id:06d}"
        if not ticket.correlation_key:
            ticket.correlation_key = ticket.number
        ticket.save(update_fields=["number", "correlation_key"])
        _event(
            ticket,
            "created",
            actor=_actor(user),
            detail={},
            process=version.key,
            version=version.version,
            channel=channel,
            customer=customer.id if customer is not None else None,
        )
        start_data = {**(data or {}), "ticket_number": ticket.number}
        try:
            workflow, result = runtime.start(compiled, start_data, instance_id=ticket.id)
        except ValueError as exc:
            raise ActionError(str(exc)) from exc
        decided = _decided_priority(runtime.current_data(workflow))
        if decided is not None and decided != ticket.priority:
            ticket.priority = decided
            ticket.save(update_fields=["priority"])
        _after_engine(ticket, workflow, result, _actor(user))
    return ticket


def _decided_priority(data: dict) -> int | None:
    """The intake rules (e.g. the triage table) may set `priority` in the process data:
    it becomes the ticket's priority (VIP = 4 jumps every queue)."""
    value = data.get("priority")
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number in Ticket.Priority.values and number == value else None


def _ticket_prefix() -> str:
    from django.conf import settings

    return settings.FLOWDESK_TICKET_PREFIX


def _actor(user):
    return user if getattr(user, "is_authenticated", False) else None


def do_complete_task(user, task_id: int, data: dict) -> Ticket:
    """Complete a READY task once: a stale or repeated completion is a Conflict."""
    with transaction.atomic():
        ticket_id = HumanTask.objects.filter(id=task_id).values_list("ticket_id", flat=True).first()
        if ticket_id is None:
            raise NotFound(f"task {task_id} not found")
        ticket = _locked(ticket_id)  # lock first: then the task row cannot change under us
        task = HumanTask.objects.get(id=task_id)
        if task.state not in OPEN_STATES:
            raise Conflict(f"task {task_id} is {task.state}")
        if not may_act_on_task(user, task):
            raise Forbidden(f"{user.username} may not act on task {task_id}")
        checked = validate_task_data(user, task, data)
        if checked is not None:
            if checked.errors:
                raise InvalidSubmission(checked.errors, checked.redisplay)
            data = checked.cleaned

        def operation(ticket, workflow):
            try:
                return runtime.complete_task(
                    workflow, task.engine_task_id, data, instance_id=ticket.id
                )
            except runtime.TaskNotReady as exc:
                raise Conflict(str(exc)) from exc
            except ValueError as exc:
                raise ActionError(str(exc)) from exc

        task.state = HumanTask.State.DONE
        task.completed_at = timezone.now()
        task.completed_by = user
        task.assignee = task.assignee or user
        task.save(update_fields=["state", "completed_at", "completed_by", "assignee"])
        _event(ticket, "task_completed", actor=user, task=task, bpmn_id=task.bpmn_id, data=data)
        return _engine_call(ticket.id, operation, actor=user)


def do_claim_task(user, task_id: int) -> HumanTask:
    with transaction.atomic():
        task = HumanTask.objects.select_related("ticket").filter(id=task_id).first()
        if task is None:
            raise NotFound(f"task {task_id} not found")
        if not may_act_on_task(user, task):
            raise Forbidden(f"{user.username} may not claim task {task_id}")
        claimed = HumanTask.objects.filter(
            id=task_id, assignee=None, state=HumanTask.State.OPEN
        ).update(assignee=user, state=HumanTask.State.CLAIMED)
        if claimed != 1:
            raise Conflict(f"task {task_id} is already claimed or closed")
        _event(task.ticket, "claimed", actor=user, task=task, bpmn_id=task.bpmn_id)
        task.refresh_from_db()
        return task


def do_correlate_message(
    user, name: str, payload: dict, correlation_key: str = "", ticket_number: str = ""
) -> Ticket:
    """Deliver a message to the one active ticket waiting for it under the correlation key."""
    candidates = Ticket.objects.filter(status=Ticket.Status.ACTIVE)
    if ticket_number:
        candidates = candidates.filter(number=ticket_number)
    elif correlation_key:
        candidates = candidates.filter(correlation_key=correlation_key)
    else:
        raise ActionError("a message needs a correlation_key or a ticket number")
    waiting = [
        t.id
        for t in candidates.only("id", "waiting_messages")
        if name in (t.waiting_messages or [])
    ]
    if not waiting:
        raise NotFound(f"no active ticket waits for message {name!r} with that key")
    if len(waiting) > 1:
        raise Conflict(f"{len(waiting)} tickets wait for message {name!r} with that key")

    def operation(ticket, workflow):
        try:
            return runtime.correlate_message(workflow, name, payload, instance_id=ticket.id)
        except runtime.NotWaiting as exc:
            raise Conflict(str(exc)) from exc

    with transaction.atomic():
        ticket = _engine_call(waiting[0], operation, actor=_actor(user))
        _event(ticket, "message", actor=_actor(user), name=name)
    return ticket


def do_retry_incident(user, ticket_id: int) -> Ticket:
    def operation(ticket, workflow):
        if not ticket.incident:
            raise Conflict(f"ticket {ticket.number} has no incident")
        ticket.incident = None
        try:
            return runtime.retry(workflow, instance_id=ticket.id)
        except runtime.TaskNotReady as exc:
            raise Conflict(str(exc)) from exc

    with transaction.atomic():
        ticket = _engine_call(ticket_id, operation, actor=user)
        _event(ticket, "retried", actor=user, ok=ticket.incident is None)
    return ticket


def do_cancel_ticket(user, ticket_id: int, reason: str = "") -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket_id)
        if ticket.status != Ticket.Status.ACTIVE:
            raise Conflict(f"ticket {ticket.number} is {ticket.status}")
        workflow = runtime.load(compiled_for(ticket.process_version), ticket.state)
        runtime.cancel(workflow)
        ticket.tasks.filter(state__in=OPEN_STATES).update(state=HumanTask.State.CANCELLED)
        ticket.status = Ticket.Status.CANCELLED
        ticket.closed_at = timezone.now()
        ticket.state = runtime.dump(workflow)
        ticket.next_timer_at = None
        ticket.waiting_messages = []
        ticket.lock_version += 1
        ticket.save(
            update_fields=[
                "status",
                "closed_at",
                "state",
                "next_timer_at",
                "waiting_messages",
                "lock_version",
            ]
        )
        _event(ticket, "cancelled", actor=user, reason=reason)
    return ticket


def do_fire_due_timers(now: dt.datetime | None = None, batch: int = 50) -> int:
    """Sweep: fire the due timers of up to `batch` tickets, one transaction per ticket.
    Rows are claimed with SKIP LOCKED so concurrent sweeps never process one ticket twice."""
    now = now or timezone.now()
    fired = 0
    for _ in range(batch):
        with transaction.atomic():
            due = Ticket.objects.filter(
                status=Ticket.Status.ACTIVE, next_timer_at__lte=now
            ).order_by("next_timer_at")
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            ticket = due.first()
            if ticket is None:
                break
            _engine_call(
                ticket.id,
                lambda t, workflow: runtime.fire_due_timers(workflow, now, instance_id=t.id),
            )
            fired += 1
    return fired
