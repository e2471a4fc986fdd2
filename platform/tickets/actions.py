"""The only writers of tickets. Each do_* is one transaction with the ticket row locked."""

import datetime as dt
import logging

from django.db import connection, transaction
from django.utils import timezone

from bpmn import runtime
from definitions import deploy, refdata
from definitions.deploy import compiled_for
from definitions.models import ProcessVersion
from tickets import incidents, routing, taskstate
from tickets.engine import (
    OPEN_STATES,
    engine_call,
    flush_events,
    load_workflow,
    locked_ticket,
    locked_ticket_of_task_with_open_rows,
    mark_changed,
    queue_event,
    record_event,
    save_engine_result,
    save_state,
    save_with_ticket,
)
from tickets.errors import ActionError, Conflict, Forbidden, InvalidSubmission, NotFound
from tickets.fields import start_form, validate_start_data, validate_task_data
from tickets.incidents import TIMER_SWEEP
from tickets.models import HumanTask, Ticket
from tickets.parts import cancel_appointments, release_parts
from tickets.script_context import running_for_ticket
from tickets.titles import title_for

log = logging.getLogger("flowdesk.tickets")

__all__ = ["ActionError", "Conflict", "Forbidden", "InvalidSubmission", "NotFound", "OPEN_STATES"]


def latest_version(process_key: str) -> ProcessVersion:
    version = deploy.latest_version(process_key)
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
    refdata.refresh()
    # The id comes first on PostgreSQL, read with the reference token (one statement for
    # both); a rejected submission leaves a gap in the numbers, as a rollback always did.
    ticket_id = _allocate_id()
    version = version or latest_version(process_key)
    compiled = compiled_for(version)
    if customer is not None:  # the customer record, not the caller, says who and which tier
        data = {**(data or {}), **_customer_fields(version, customer)}
    checked = validate_start_data(user, version, data or {})
    if checked is not None:
        if checked.errors:
            raise InvalidSubmission(checked.errors, checked.redisplay)
        data = {**(data or {}), **checked.cleaned}
    with transaction.atomic():
        ticket = _new_ticket(
            version,
            ticket_id,
            title=title or title_for(version, data or {}),
            channel=channel,
            priority=priority,
            correlation_key=correlation_key,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            customer=customer,
        )
        queue_event(
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
            with running_for_ticket(ticket, user):
                workflow, result = runtime.start(compiled, start_data, instance_id=ticket.id)
        except ValueError as exc:
            raise ActionError(str(exc)) from exc
        decided = _decided_priority(runtime.current_data(workflow))
        if decided is not None and decided != ticket.priority:
            ticket.priority = decided
            mark_changed(ticket, "priority")
        save_engine_result(ticket, workflow, result, _actor(user))
    return ticket


def _customer_fields(version: ProcessVersion, customer) -> dict:
    """The customer's name and tier for the start form's fields of those names: a form that
    asks for neither (a clinic's patient form has no tier) is not sent them."""
    known = {"customer_name": customer.name, "customer_tier": customer.tier}
    form = start_form(version)
    return known if form is None else {k: v for k, v in known.items() if form.get(k)}


def _new_ticket(version: ProcessVersion, ticket_id: int | None, **columns) -> Ticket:
    """A new ticket with its id and number. With an id handed out ahead of the INSERT (a
    PostgreSQL sequence) the row is inserted once, after the engine's first steps;
    without one it is inserted now and numbered in the final UPDATE."""
    ticket = Ticket(id=ticket_id, process_version=version, **columns)
    if ticket.id is None:
        ticket.save(force_insert=True)
    ticket.number = f"{_ticket_prefix()}-{timezone.now().year}-{ticket.id:06d}"
    if not ticket.correlation_key:
        ticket.correlation_key = ticket.number
    mark_changed(ticket, "number", "correlation_key")
    ticket._new = True  # noqa: SLF001 - read by tickets.engine: no rows to sync, no state yet
    return ticket


def _allocate_id() -> int | None:
    """The next ticket id from its sequence (PostgreSQL), read together with the reference
    token the action needs anyway (definitions.refdata): one statement for both."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence(%s, 'id')), ({refdata.TOKEN_SQL})",
            [Ticket._meta.db_table],
        )
        ticket_id, token = cursor.fetchone()
    refdata.prime(token or "")
    return int(ticket_id)


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


# What a confirmed customer's tier raises a ticket to (the triage table's mapping at intake).
TIER_PRIORITY = {"VIP": Ticket.Priority.VIP, "gold": Ticket.Priority.HIGH}


def do_confirm_customer_link(
    user, proposal_id: int, *, confirm: bool = True, ticket_id: int | None = None
) -> Ticket:
    """An agent confirms (or rejects) that an unverified submission's ticket belongs to the
    known customer it named: confirmed, the ticket is linked to them and its priority (and
    its open steps') rises to their tier's. The customer record is not changed.
    `ticket_id`: the ticket the caller means (a proposal of another ticket is not found)."""
    from customers.actions import ProposalClosed, do_decide_link
    from customers.models import CustomerLinkProposal
    from tickets.access import visible_tickets

    proposals = CustomerLinkProposal.objects.filter(id=proposal_id)
    if ticket_id is not None:
        proposals = proposals.filter(ticket_id=ticket_id)
    ticket_id = proposals.values_list("ticket_id", flat=True).first()
    if ticket_id is None or not visible_tickets(user).filter(id=ticket_id).exists():
        raise NotFound(f"proposed customer link {proposal_id} not found")
    if not user.is_staff:
        raise Forbidden("only staff confirm a customer link")
    with transaction.atomic():
        ticket = locked_ticket(ticket_id)
        try:
            proposal = do_decide_link(proposal_id, user, confirm=confirm)
        except ProposalClosed as exc:
            raise Conflict(str(exc)) from exc
        customer = proposal.customer
        detail = {"customer": customer.id, "matched_by": proposal.matched_by}
        if not confirm:
            record_event(ticket, "customer_link_rejected", actor=user, **detail)
            return ticket
        ticket.customer = customer
        fields = ["customer", "updated_at"]
        raised = TIER_PRIORITY.get(customer.tier)
        moved = {}
        if raised is not None and raised > ticket.priority:
            ticket.priority = raised
            fields.append("priority")
            ticket.tasks.filter(state__in=OPEN_STATES, priority__lt=raised).update(priority=raised)
            moved = _replan_open_steps(ticket)
        ticket.save(update_fields=fields)
        record_event(
            ticket,
            "customer_linked",
            actor=user,
            tier=customer.tier,
            priority=ticket.priority,
            **detail,
            **moved,
        )
    return ticket


def _replan_open_steps(ticket: Ticket) -> dict:
    """The open steps' service-level clocks re-planned for the ticket's new priority (as
    `bulk.do_set_priority` does); the earliest new due time, for the event."""
    due = [
        at
        for row in ticket.tasks.filter(state__in=OPEN_STATES, sla_started_at__isnull=False)
        if (at := routing.replan_sla(ticket, row)) is not None
    ]
    return {"due_at": min(due)} if due else {}


def do_complete_task(user, task_id: int, data: dict) -> Ticket:
    """Complete a READY task once: a stale or repeated completion is a Conflict."""
    refdata.refresh()
    with transaction.atomic():
        # The ticket locked first, its open rows read after: then the task cannot change.
        ticket, open_rows = locked_ticket_of_task_with_open_rows(task_id)
        task = next((t for t in open_rows if t.id == task_id), None)
        if task is None:
            state = HumanTask.objects.filter(id=task_id).values_list("state", flat=True).get()
            raise Conflict(f"task {task_id} is {state}")
        ticket._open_rows.remove(task)  # noqa: SLF001 - it is done, not open, after this
        task.ticket = ticket
        taskstate.authorize(task, taskstate.Transition.COMPLETE, user)
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

        done = taskstate.apply(
            task, taskstate.Transition.COMPLETE, actor=user, checked=True, save=False
        )
        save_with_ticket(ticket, task, done)
        queue_event(
            ticket, "task_completed", actor=user, task=task, bpmn_id=task.bpmn_id, data=data
        )
        return engine_call(ticket, operation, actor=user)


def do_claim_task(user, task_id: int) -> HumanTask:
    refdata.refresh()
    with transaction.atomic():
        task = HumanTask.objects.select_related("ticket").filter(id=task_id).first()
        if task is None:
            raise NotFound(f"task {task_id} not found")
        taskstate.claim(task, user)
        record_event(task.ticket, "claimed", actor=user, task=task, bpmn_id=task.bpmn_id)
        return task


def do_correlate_message(
    user, name: str, payload: dict, correlation_key: str = "", ticket_number: str = ""
) -> Ticket:
    """Deliver a message to the one active ticket waiting for it under the correlation key."""
    refdata.refresh()
    candidates = Ticket.objects.filter(status=Ticket.Status.ACTIVE)
    if ticket_number:
        candidates = candidates.filter(number=ticket_number)
    elif correlation_key:
        candidates = candidates.filter(correlation_key=correlation_key)
    else:
        raise ActionError("a message needs a correlation_key or a ticket number")
    waiting = [
        ticket_id
        for ticket_id, names in candidates.values_list("id", "waiting_messages")
        if name in (names or [])
    ]
    if not waiting:
        raise NotFound(f"no active ticket waits for message {name!r} with that key")
    if len(waiting) > 1:
        raise Conflict(f"{len(waiting)} tickets wait for message {name!r} with that key")

    def operation(ticket, workflow):
        try:
            result = runtime.correlate_message(workflow, name, payload, instance_id=ticket.id)
        except runtime.NotWaiting as exc:
            raise Conflict(str(exc)) from exc
        queue_event(ticket, "message", actor=_actor(user), name=name)
        return result

    with transaction.atomic():
        return engine_call(waiting[0], operation, actor=_actor(user))


def do_retry_incident(user, ticket_id: int) -> Ticket:
    refdata.refresh()

    def operation(ticket, workflow):
        if not ticket.incident:
            raise Conflict(f"ticket {ticket.number} has no incident")
        ticket.incident = None
        try:
            result = runtime.retry(workflow, instance_id=ticket.id)
        except runtime.TaskNotReady as exc:
            raise Conflict(str(exc)) from exc
        queue_event(ticket, "retried", actor=user, ok=result.incident is None)
        return result

    with transaction.atomic():
        return engine_call(ticket_id, operation, actor=user)


def do_cancel_ticket(user, ticket_id: int, reason: str = "") -> Ticket:
    with transaction.atomic():
        ticket = locked_ticket(ticket_id)
        if ticket.status != Ticket.Status.ACTIVE:
            raise Conflict(f"ticket {ticket.number} is {ticket.status}")
        workflow = load_workflow(ticket)
        runtime.cancel(workflow)
        taskstate.cancel_open(ticket.tasks)
        ticket.status = Ticket.Status.CANCELLED
        ticket.closed_at = timezone.now()
        ticket.next_timer_at = None
        ticket.waiting_messages = []
        ticket.lock_version += 1
        save_state(ticket, runtime.dump(workflow))
        ticket.save(
            update_fields=[
                "status",
                "closed_at",
                "next_timer_at",
                "waiting_messages",
                "lock_version",
                "updated_at",
            ]
        )
        queue_event(ticket, "cancelled", actor=user, reason=reason)
        release_parts(ticket, actor=user, reason="cancelled")
        cancel_appointments(ticket, actor=user, reason="cancelled")
        flush_events(ticket)
    ticket.open_task_rows = []
    return ticket


def do_fire_due_timers(now: dt.datetime | None = None, batch: int | None = None) -> int:
    """Sweep: fire the due timers of up to `batch` tickets (default: TIMER_SWEEP_BATCH),
    one transaction per ticket. Rows are claimed with SKIP LOCKED so concurrent sweeps
    never process one ticket twice.

    A ticket that fails never stops the sweep: its firing runs in a savepoint, and a failure
    becomes an incident on that ticket (tickets.incidents) with its next_timer_at moved on,
    so neither this sweep nor the next retries it in a loop; the sweep goes on."""
    from django.conf import settings

    now = now or timezone.now()
    fired, seen, ticket_id = 0, set(), None
    for _ in range(batch or settings.TIMER_SWEEP_BATCH):
        try:
            with transaction.atomic():
                ticket_id = _claim_due_timer(now, seen)
                if ticket_id is None:
                    break
                seen.add(ticket_id)
                fired += _fire_ticket_timers(ticket_id, now)
        except Exception:  # even recording the incident failed: leave it, go on
            log.exception("timer sweep: ticket %s could not be handled", ticket_id)
    return fired


def _claim_due_timer(now: dt.datetime, seen: set[int]) -> int | None:
    due = (
        Ticket.objects.filter(status=Ticket.Status.ACTIVE, next_timer_at__lte=now)
        .exclude(id__in=seen)
        .order_by("next_timer_at")
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    return due.values_list("id", flat=True).first()


def _fire_ticket_timers(ticket_id: int, now: dt.datetime) -> int:
    """Fire one claimed ticket's due timers; 1 when they fired, 0 when it failed."""
    steps = []

    def fire(ticket, workflow):
        steps.append(runtime.fire_due_timers(workflow, now, instance_id=ticket.id))
        return steps[-1]

    try:
        with transaction.atomic():  # a savepoint: a failure undoes this ticket's step only
            ticket = engine_call(ticket_id, fire)
    except Exception as exc:
        log.exception("timer sweep: firing the timers of ticket %s failed", ticket_id)
        ticket = locked_ticket(ticket_id)
        foreign = ticket.incident and not incidents.sweep_incident_of(ticket, TIMER_SWEEP)
        retry_at = incidents.record_sweep_failure(
            ticket, TIMER_SWEEP, "the timer sweep could not fire this ticket's timers", exc, now
        )
        # Under an incident of the engine, the timers wait for that one to be retried.
        ticket.next_timer_at = None if foreign else retry_at
        ticket.save(update_fields=["next_timer_at"])
        return 0
    if steps[-1].incident is not None:
        if ticket.next_timer_at is not None and ticket.next_timer_at <= now:
            # still due although it fired: wait for the incident's retry, not the next pass
            ticket.next_timer_at = None
            ticket.save(update_fields=["next_timer_at"])
    else:
        incidents.clear_sweep_incident(ticket, TIMER_SWEEP)
    return 1
