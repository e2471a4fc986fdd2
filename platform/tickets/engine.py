"""How an engine call is saved on a ticket: worklist rows, timeline, timers and state.

Used by the do_* writers in tickets.actions and tickets.operations, always inside their
transaction with the ticket row locked.
"""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router
from django.db.models import Q, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone

from bpmn import runtime
from definitions import refdata
from definitions.deploy import compiled_for
from tickets import live, notifying, routing, taskstate
from tickets.errors import Conflict, NotFound
from tickets.locked_rows import TASKS_OF_TICKET, LockedWithRows
from tickets.models import HumanTask, ProcessInstance, Ticket, TicketEvent
from tickets.prepared import (
    PreparedSelect,
    insert_rows,
    save_fields,
    write_step,
)
from tickets.script_context import running_for_ticket

OPEN_STATES = taskstate.OPEN_STATES


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


_PLAIN = (str, int, float, bool, type(None))


def _plain(value):
    """`value` as JSON gives it back, when it is made of plain JSON values and Decimals
    only (most process data); else `_NOT_PLAIN` (dates, UUIDs…: the encoder decides)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is Decimal:
        return int(value) if value == value.to_integral_value() else float(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            item = _plain(item)
            if type(key) is not str or item is _NOT_PLAIN:
                return _NOT_PLAIN
            out[key] = item
        return out
    if kind is list or kind is tuple:
        out = [_plain(item) for item in value]
        return _NOT_PLAIN if any(item is _NOT_PLAIN for item in out) else out
    return _NOT_PLAIN


_NOT_PLAIN = object()


def json_safe(data: dict) -> dict:
    """`data` as it reads back from JSON: a copy of its plain values without encoding it
    (each step saves the process data), through the encoder when anything else is in it."""
    plain = _plain(data)
    if plain is _NOT_PLAIN:
        return json.loads(json.dumps(data, cls=_SnapshotEncoder))
    return plain


def _event(ticket, kind, *, actor=None, task=None, bpmn_id="", detail=None, **extra):
    detail = json_safe({**(detail or {}), **extra})
    if type(ticket) is not Ticket or type(actor) not in _ACTORS or type(task) not in _TASKS:
        # anything else as the ORM takes (or refuses) it
        return TicketEvent(
            ticket=ticket, kind=kind, actor=actor, task=task, bpmn_id=bpmn_id, detail=detail
        )
    # An action writes a few events a step: built from their column values (Model.__init__'s
    # positional path), with the related objects cached as keyword assignment caches them.
    values = {
        "ticket_id": ticket.pk,
        "kind": kind,
        "actor_id": actor.pk if actor is not None else None,
        "task_id": task.pk if task is not None else None,
        "bpmn_id": bpmn_id,
        "detail": detail,
    }
    event = TicketEvent(*[values.get(name) for name in _EVENT_COLUMNS])
    event._state.db = router.db_for_write(TicketEvent, instance=ticket)
    for field, related in ((_EVENT_TICKET, ticket), (_EVENT_ACTOR, actor), (_EVENT_TASK, task)):
        field.set_cached_value(event, related)
        if related is not None and related._state.db is None:
            related._state.db = router.db_for_write(type(related), instance=event)
    return event


_EVENT_COLUMNS = [f.attname for f in TicketEvent._meta.concrete_fields]
_EVENT_TICKET, _EVENT_ACTOR, _EVENT_TASK = (
    TicketEvent._meta.get_field(name) for name in ("ticket", "actor", "task")
)
_ACTORS, _TASKS = (User, type(None)), (HumanTask, type(None))


def record_event(
    ticket, kind, *, actor=None, task=None, bpmn_id="", detail=None, **extra
) -> TicketEvent:
    """Write one event now (sweeps and writers outside a ticket action)."""
    event = _event(ticket, kind, actor=actor, task=task, bpmn_id=bpmn_id, detail=detail, **extra)
    event.save()
    notifying.events_written([event])
    return event


def queue_event(
    ticket, kind, *, actor=None, task=None, bpmn_id="", detail=None, **extra
) -> TicketEvent:
    """An event of the running action: written with the others at the end of the action
    (in save_engine_result's one statement, or by `flush_events`)."""
    event = _event(ticket, kind, actor=actor, task=task, bpmn_id=bpmn_id, detail=detail, **extra)
    ticket.__dict__.setdefault("_pending_events", []).append(event)
    return event


def flush_events(ticket) -> None:
    events = ticket.__dict__.pop("_pending_events", [])
    if events:
        insert_rows(events)
        notifying.events_written(events)  # notification rules, in the same transaction


def mark_changed(ticket: Ticket, *fields: str) -> None:
    """Ticket columns the action changed, saved with the rest in the one final UPDATE."""
    ticket.__dict__.setdefault("_changed_fields", set()).update(fields)


def save_with_ticket(ticket: Ticket, row, fields: list[str]) -> None:
    """Columns of another row (the completed task) the action changed: updated in the
    statement that saves the ticket (its row lock covers them meanwhile)."""
    ticket.__dict__.setdefault("_changed_rows", []).append((row, fields))


def rows_saved_with_ticket(ticket: Ticket) -> list:
    """Rows changed by the running action and not written yet (what scripts must see)."""
    return [row for row, _fields in ticket.__dict__.get("_changed_rows", ())]


def sync_worklist(ticket: Ticket, workflow) -> list[HumanTask]:
    """Make HumanTask rows match the READY human tasks of the workflow; returns the open
    rows afterwards (for the response, without reading them again)."""
    ready = {info.task_id: info for info in runtime.human_tasks(workflow)}
    known = ticket.__dict__.pop("_open_rows", None)
    if ticket.__dict__.get("_new"):
        rows = {}
    elif known is not None:  # a completion read the open rows already (see open_rows_of)
        rows = {t.engine_task_id: t for t in known}
    else:  # open rows, and any earlier row of a ready task (sent back to it)
        rows = {
            t.engine_task_id: t
            for t in ticket.tasks.filter(
                Q(state__in=OPEN_STATES) | Q(engine_task_id__in=list(ready))
            ).select_related("assignee")
        }
    open_rows, gone = [], []
    for engine_id, row in rows.items():
        if engine_id not in ready and row.state in OPEN_STATES:
            gone.append(row)
            queue_event(ticket, "task_cancelled", task=row, bpmn_id=row.bpmn_id)
        elif engine_id in ready and row.state in OPEN_STATES:
            open_rows.append(row)
    taskstate.cancel_rows(gone)  # steps the engine left (a boundary event, a send back)
    data = runtime.current_data(workflow)
    new = [info for engine_id, info in ready.items() if engine_id not in rows]
    open_rows += _create_human_tasks(ticket, new, data)
    for engine_id, info in ready.items():
        row = rows.get(engine_id)
        if row is not None and row.state not in OPEN_STATES:
            open_rows.append(_reopen(ticket, row, info, {**data, **info.task_data}))
    ticket.open_task_rows = open_rows
    return open_rows


_OPEN_ROWS = PreparedSelect(
    lambda ticket_id: HumanTask.objects.filter(
        ticket_id=ticket_id, state__in=OPEN_STATES
    ).select_related("assignee")
)


def open_rows_of(ticket: Ticket, rows: list[HumanTask] | None = None) -> list[HumanTask]:
    """The ticket's open rows (`rows` when already read), read once by a completion and
    handed to sync_worklist. Only a send back makes an earlier engine task ready again, so
    after a completion a ready task without an open row is a new one."""
    if rows is None:
        rows = _OPEN_ROWS.fetch(ticket.id)
    for row in rows:
        row.ticket = ticket
    ticket._open_rows = rows  # noqa: SLF001 - read (once) by sync_worklist
    return rows


def _plan(ticket: Ticket, info: runtime.HumanTaskInfo, data: dict, now, due_at):
    groups = _names(info.candidate_groups, data) or ([info.lane] if info.lane else [])
    return routing.plan_task(
        ticket,
        info.bpmn_id,
        groups,
        _names(info.candidate_users, data),
        data,
        model_assignee=_assignee(info, data),
        due_at=due_at,
        now=now,
    )


def _create_human_tasks(
    ticket: Ticket, infos: list[runtime.HumanTaskInfo], data: dict
) -> list[HumanTask]:
    """Decide assignee and SLA first, then insert each row once and its candidates in one
    bulk insert per relation."""
    if not infos:
        return []
    now = timezone.now()
    planned = []
    for info in infos:
        task_data = {**data, **info.task_data}  # a multi-instance task's own element
        due_at = _due_at(info, task_data)
        plan = _plan(ticket, info, task_data, now, due_at)
        row = HumanTask(
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
            **{"due_at": due_at, **plan.sla},
        )
        taskstate.initial(row, plan.assignee)
        planned.append((info, row, plan))
    rows = [row for _info, row, _plan in planned]
    # Inserted with the step's other writes (save_engine_result), in its one statement.
    # Each row carries its candidates' ids (PostgreSQL, migration 0019), set here so that
    # the through tables' triggers have nothing to write.
    mirrors = {
        "candidate_group_ids": [sorted({g.id for g in plan.groups}) for *_, plan in planned],
        "candidate_user_ids": [sorted({u.id for u in plan.users}) for *_, plan in planned],
    }
    ticket.__dict__["_new_rows"] = (rows, "engine_task_id", _candidate_links(planned), mirrors)
    for info, row, plan in planned:
        _task_events(ticket, info, row, plan)
    return rows


def _candidate_links(planned) -> list[tuple]:
    groups, users = [], []
    for _info, row, plan in planned:
        row.candidate_group_names = sorted(g.name for g in plan.groups)
        groups += [(row, g.id) for g in plan.groups]
        users += [(row, u.id) for u in plan.users]
    links = [(HumanTask.candidate_groups.through, "humantask", "group", groups)]
    if users:
        links.append((HumanTask.candidate_users.through, "humantask", "user", users))
    return links


def _task_events(ticket, info, row: HumanTask, plan: routing.TaskPlan) -> None:
    queue_event(
        ticket,
        "task_created",
        task=row,
        bpmn_id=info.bpmn_id,
        name=info.name,
        candidate_groups=[g.name for g in plan.groups],
        assignee=plan.assignee.username if plan.assignee else None,
    )
    queue_event(ticket, "assigned", task=row, bpmn_id=info.bpmn_id, **plan.routed)
    if plan.sla_event is not None:
        queue_event(ticket, "sla_started", task=row, bpmn_id=info.bpmn_id, **plan.sla_event)


def _reopen(ticket: Ticket, row: HumanTask, info: runtime.HumanTaskInfo, data: dict) -> HumanTask:
    """The ticket was sent back to this engine task: its row opens again, routed afresh
    (the earlier holder keeps it unless the decision names someone); its SLA marks stay."""
    plan = _plan(ticket, info, data, timezone.now(), row.due_at)
    fields = taskstate.apply(row, taskstate.Transition.REOPEN, assignee=plan.assignee, save=False)
    fields = [*dict.fromkeys(["assignee", *fields, *plan.sla])]
    for name, value in plan.sla.items():
        setattr(row, name, value)
    row.save(update_fields=fields)
    row.candidate_groups.set(plan.groups)
    if plan.users:
        row.candidate_users.set(plan.users)
    row.candidate_group_names = sorted(g.name for g in plan.groups)
    _task_events(ticket, info, row, plan)
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


def _names(declared, data: dict) -> list[str]:
    """Candidate names; a `${…}` entry (Camunda) gives a list or a comma-separated text."""
    names: list[str] = []
    for item in declared:
        if not (item.startswith("${") and item.endswith("}")):
            names.append(item)
            continue
        value = _expression_or_literal(item, data)
        values = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
        names += [str(v).strip() for v in values if str(v).strip()]
    return names


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
    """Save everything an engine call produced: worklist, timeline, timers, state. The
    ticket row is written once (with whatever the action marked changed), the engine state
    once, the new tasks and the action's events once each: all in one statement on
    PostgreSQL (tickets.prepared.write_step)."""
    for record in result.decisions:
        queue_event(ticket, "decision", actor=actor, bpmn_id=record.get("task", ""), detail=record)
    for timer in result.fired_timers:
        queue_event(ticket, "timer_fired", bpmn_id=timer)
    if result.incident is not None:
        ticket.incident = json_safe(asdict(result.incident))
        queue_event(ticket, "incident", bpmn_id=result.incident.bpmn_id, detail=ticket.incident)
    sync_worklist(ticket, workflow)
    ticket.data = json_safe(runtime.current_data(workflow))
    ticket.next_timer_at = runtime.next_timer_at(workflow)
    ticket.waiting_messages = runtime.waiting_messages(workflow)
    ticket.lock_version += 1
    fields = {"incident", "data", "next_timer_at", "waiting_messages", "lock_version"}
    # Written for its trigger (tickets.triggers): the ticket's UPDATE, run after the step's
    # task writes in the one statement, takes the earliest due time of the tasks as they
    # now are, so the tasks' own triggers find it right and do not write the row again.
    fields.add("due_at")
    fields |= ticket.__dict__.pop("_changed_fields", set())
    if runtime.is_completed(workflow) and ticket.status == Ticket.Status.ACTIVE:
        ticket.status = Ticket.Status.COMPLETED
        ticket.closed_at = timezone.now()
        fields |= {"status", "closed_at"}
        queue_event(ticket, "completed", actor=actor)
    dumped = runtime.dump(workflow)
    live.keep_after_commit(ticket.id, dumped, compiled_for(ticket.process_version), workflow)
    state = save_state(ticket, dumped, later=True)
    rows = ticket.__dict__.pop("_changed_rows", [])
    if ticket._state.adding:  # a new ticket whose id was allocated ahead, with its state
        together, updates = [ticket, ticket.instance], rows
    else:  # changed rows, engine state and ticket row
        together = []
        updates = [*rows, *([state] if state else []), (ticket, sorted(fields | {"updated_at"}))]
    events = ticket.__dict__.pop("_pending_events", [])
    # New tasks, updates and events: one statement on PostgreSQL.
    write_step(
        together=together,
        new=ticket.__dict__.pop("_new_rows", None),
        updates=updates,
        events=events,
        job=notifying.EventsJob(events),  # notification rules, in the same transaction
    )


def save_state(ticket: Ticket, state: str, later: bool = False):
    """The engine state goes to the ProcessInstance row (created with a new ticket). With
    `later`, an existing row's update is returned for the caller's save_fields, and a new
    ticket's row is left for the caller to insert with the ticket."""
    from bpmn.serializer import FORMAT_VERSION

    if ticket.__dict__.pop("_new", False):
        ticket.instance = ProcessInstance(ticket=ticket, state=state, state_format=FORMAT_VERSION)
        if not (later and ticket._state.adding):
            ticket.instance.save(force_insert=True)
        return None
    instance = ticket.instance
    instance.state, instance.state_format = state, FORMAT_VERSION
    if later:
        return instance, ["state", "state_format"]
    save_fields((instance, ["state", "state_format"]))
    return None


def _for_update():
    # The ticket and its ProcessInstance, both locked: a step that waited for another's
    # lock then reads the state that one saved (PostgreSQL re-reads only locked rows of a
    # join when it continues after the wait; an unlocked instance would be the version read
    # before the wait). The reference token rides along, so routing and decisions need no
    # statement of their own to check their cache.
    return (
        Ticket.objects.select_for_update(of=("self", "instance"), no_key=True)
        .filter(instance__isnull=False)  # an inner join: its row can be locked
        .select_related("process_version", "instance")
        .annotate(reference_token=RawSQL(refdata.TOKEN_SQL, []))
    )


def _owner(task_id: int):
    return HumanTask.objects.filter(id=task_id).order_by().values("ticket_id")[:1]


# One row by key: no ORDER BY (Ticket's default ordering) to compile or run.
_LOCK_TICKET = PreparedSelect(lambda ticket_id: _for_update().filter(id=ticket_id).order_by())
_LOCK_TICKET_OF_TASK = PreparedSelect(
    lambda task_id: _for_update().filter(id=Subquery(_owner(task_id))).order_by()
)


def _locked(tickets: list[Ticket]) -> Ticket | None:
    ticket = tickets[0] if tickets else None
    if ticket is not None:
        refdata.prime(ticket.reference_token or "")
    return ticket


def locked_ticket(ticket_id: int) -> Ticket:
    ticket = _locked(_LOCK_TICKET.fetch(ticket_id))
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


def locked_ticket_of_task(task_id: int) -> Ticket:
    """Lock the ticket a task belongs to, found and locked in one statement."""
    ticket = _locked(_LOCK_TICKET_OF_TASK.fetch(task_id))
    if ticket is None:
        raise NotFound(f"task {task_id} not found")
    return ticket


_LOCK_TICKET_OF_TASK_WITH_OPEN_ROWS = LockedWithRows(
    lambda task_id: _for_update().filter(id=Subquery(_owner(task_id))).order_by(),
    lambda: HumanTask.objects.filter(state__in=OPEN_STATES).select_related("assignee"),
    rows_of=TASKS_OF_TICKET,
)


def locked_ticket_of_task_with_open_rows(task_id: int) -> tuple[Ticket, list[HumanTask]]:
    """`locked_ticket_of_task` and then `open_rows_of` the ticket: in one statement on
    PostgreSQL, the rows read after the lock all the same (tickets.locked_rows)."""
    using = router.db_for_write(Ticket)
    if connections[using].vendor != "postgresql":
        ticket = locked_ticket_of_task(task_id)
        return ticket, open_rows_of(ticket)
    tickets, rows = _LOCK_TICKET_OF_TASK_WITH_OPEN_ROWS.fetch(task_id, using=using)
    ticket = _locked(tickets)
    if ticket is None:
        raise NotFound(f"task {task_id} not found")
    return ticket, open_rows_of(ticket, rows)


def load_workflow(ticket: Ticket):
    compiled = compiled_for(ticket.process_version)
    state = ticket.instance.state
    workflow = live.take(ticket.id, state, compiled)
    return workflow if workflow is not None else runtime.load(compiled, state)


def engine_call(ticket: int | Ticket, operation: Callable, actor=None, need_active=True) -> Ticket:
    """Load the workflow, run `operation(ticket, workflow)`, save. Pass a Ticket the caller
    already locked in this transaction, or an id to lock it here."""
    if not isinstance(ticket, Ticket):
        ticket = locked_ticket(ticket)
    if need_active and ticket.status != Ticket.Status.ACTIVE:
        raise Conflict(f"ticket {ticket.number} is {ticket.status}")
    workflow = load_workflow(ticket)
    with running_for_ticket(ticket, actor):  # what get_current_user() & co. answer
        result = operation(ticket, workflow)
    save_engine_result(ticket, workflow, result, actor)
    return ticket
