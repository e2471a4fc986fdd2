"""Bulk actions on worklist rows: claim, assign, transfer, change priority, close.

Each selected task goes through the single action (tickets.actions / tickets.operations:
the task state machine and the same permission checks as one at a time), in its own
transaction, so one refusal never undoes another and every task gets its own outcome.
Changing the priority and closing are the step's operations here: priority by whoever may
transfer the step (they re-route its queue, so they may re-rank it), closing by whoever
the step's `close` operation names, supervisors always.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction

from definitions import refdata
from tickets import actions, operations
from tickets.access import is_supervisor, visible_among
from tickets.engine import OPEN_STATES, locked_ticket_of_task, record_event
from tickets.errors import ActionError, Conflict, Forbidden, NotFound
from tickets.models import HumanTask, Ticket
from tickets.routing import replan_sla

ACTIONS = ("claim", "assign", "transfer", "priority", "close")
MAX_TASKS = 100


@dataclass
class Outcome:
    task_id: int
    ticket: str  # the ticket's number ("" when the task is not found)
    ok: bool
    status: int  # 200, or the refusal's HTTP status
    reason: str  # "done", "forbidden", "conflict", "not_found", "invalid"
    detail: str = ""


@dataclass
class BulkRequest:
    action: str
    task_ids: list[int]
    to_user: User | None = None
    to_group: Group | None = None
    priority: int | None = None
    reason: str = ""


def _checked_task(user, task_id: int, operation: str) -> tuple[Ticket, HumanTask]:
    refdata.refresh()
    ticket = locked_ticket_of_task(task_id)
    task = HumanTask.objects.get(id=task_id)
    task.ticket = ticket
    if task.state not in OPEN_STATES:
        raise Conflict(f"task {task_id} is {task.state}")
    allowed = operations.allowed_operations(user, task)
    if operation not in allowed and not (operation == "close" and is_supervisor(user)):
        raise Forbidden(f"{user.username} may not {operation} task {task_id}")
    return ticket, task


def do_set_priority(user, task_id: int, priority: int, reason: str = "") -> Ticket:
    """The ticket's priority and its open steps' (the queues' order) set to `priority`; the
    open steps' service-level clocks re-planned from the `sla` decision for it."""
    if priority not in Ticket.Priority.values:
        raise ActionError(f"no priority {priority!r}")
    with transaction.atomic():
        ticket, _task = _checked_task(user, task_id, "transfer")
        before = ticket.priority
        ticket.priority = priority
        ticket.save(update_fields=["priority", "updated_at"])
        ticket.tasks.filter(state__in=OPEN_STATES).update(priority=priority)
        due = [
            at
            for row in ticket.tasks.filter(state__in=OPEN_STATES, sla_started_at__isnull=False)
            if (at := replan_sla(ticket, row)) is not None
        ]
        moved = {"due_at": min(due)} if due else {}
        record_event(
            ticket,
            "priority_changed",
            actor=user,
            before=before,
            after=priority,
            reason=reason,
            **moved,
        )
    return ticket


def do_close_ticket(user, task_id: int, reason: str = "") -> Ticket:
    """Close the ticket of a step (its workflow cancelled) when the step allows it."""
    with transaction.atomic():
        ticket, _task = _checked_task(user, task_id, "close")
        return actions.do_cancel_ticket(user, ticket.id, reason)


def _run_one(user, request: BulkRequest, task_id: int) -> None:
    if request.action == "claim":
        actions.do_claim_task(user, task_id)
    elif request.action == "assign":
        operations.do_transfer(
            user, task_id, to_user=request.to_user.username, reason=request.reason
        )
    elif request.action == "transfer":
        operations.do_transfer(user, task_id, to_group=request.to_group.name, reason=request.reason)
    elif request.action == "priority":
        do_set_priority(user, task_id, request.priority, request.reason)
    else:
        do_close_ticket(user, task_id, request.reason)


def check_request(request: BulkRequest) -> None:
    """Refuse a request that no task could satisfy before touching any (ActionError)."""
    if request.action not in ACTIONS:
        raise ActionError(f"unknown bulk action {request.action!r} ({', '.join(ACTIONS)})")
    if not request.task_ids:
        raise ActionError("select at least one task")
    if len(request.task_ids) > MAX_TASKS:
        raise ActionError(f"at most {MAX_TASKS} tasks at a time")
    if request.action == "assign" and request.to_user is None:
        raise ActionError("say whom to assign the tasks to")
    if request.action == "transfer" and request.to_group is None:
        raise ActionError("say which group's queue to move the tasks to")
    if request.action == "priority" and request.priority not in Ticket.Priority.values:
        raise ActionError("say which priority to set")


_REASONS = {Forbidden: "forbidden", Conflict: "conflict", NotFound: "not_found"}


def do_bulk(user, request: BulkRequest) -> list[Outcome]:
    """Run the action on each task (duplicates once, in the order given)."""
    check_request(request)
    task_ids = list(dict.fromkeys(request.task_ids))
    rows = HumanTask.objects.filter(id__in=task_ids).values_list(
        "id", "ticket_id", "ticket__number"
    )
    found = {task_id: (ticket_id, number) for task_id, ticket_id, number in rows}
    seen = visible_among(user, {ticket_id for ticket_id, _number in found.values()})
    outcomes = []
    for task_id in task_ids:
        ticket_id, number = found.get(task_id, (None, ""))
        if ticket_id not in seen:
            outcomes.append(Outcome(task_id, "", False, 404, "not_found"))
            continue
        try:
            _run_one(user, request, task_id)
        except ActionError as exc:
            reason = next((r for cls, r in _REASONS.items() if isinstance(exc, cls)), "invalid")
            outcomes.append(Outcome(task_id, number, False, exc.status, reason, str(exc)))
        else:
            outcomes.append(Outcome(task_id, number, True, 200, "done"))
    return outcomes
