"""Node operations besides completing: release, transfer, send back, approve/reject,
comment, request information. Writers like tickets.actions: one transaction each, the
ticket row locked, every operation permission-checked and written to the timeline.

Which operations a step offers, and to whom, is declared on the BPMN task as the extension
property `operations`, a JSON object from operation to the groups that may use it ("*" =
whoever may act on the task), for example
`{"transfer": ["dispatchers"], "send_back": ["*"], "approve": ["finance"]}`; the targets
of a send back may be limited with the property `sendBackTargets` ("accept,diagnose").
Without the property a step offers claim, release and comment to whoever may act on it and
transfer to supervisors. Supervisors may use every operation a step offers.
"""

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from bpmn import runtime
from definitions import refdata
from tickets import conversation, routing, taskstate
from tickets.access import may_see_ticket
from tickets.engine import (
    OPEN_STATES,
    engine_call,
    locked_ticket,
    locked_ticket_of_task,
    queue_event,
    record_event,
)
from tickets.errors import ActionError, Conflict, Forbidden, NotFound
from tickets.models import HumanTask, Ticket, TicketMessage
from tickets.parts import appointment_ids, cancel_appointments, opened_at, release_parts
from tickets.taskstate import (  # noqa: F401 - the operations' names, for views and API
    Transition,
    allowed_operations,
    declared_operations,
)


def _task_for_update(user, task_id: int, operation: str | Transition) -> tuple[Ticket, HumanTask]:
    """The ticket locked, its task read and the operation checked: a state transition
    (release, transfer, send back) by taskstate's rules, any other operation here."""
    refdata.refresh()
    ticket = locked_ticket_of_task(task_id)
    task = HumanTask.objects.get(id=task_id)
    task.ticket = ticket
    if isinstance(operation, Transition):
        taskstate.authorize(task, operation, user)
        return ticket, task
    if task.state not in OPEN_STATES:
        raise Conflict(f"task {task_id} is {task.state}")
    if operation not in allowed_operations(user, task):
        raise Forbidden(f"{user.username} may not {operation.replace('_', ' ')} task {task_id}")
    return ticket, task


def do_release(user, task_id: int) -> HumanTask:
    with transaction.atomic():
        ticket, task = _task_for_update(user, task_id, Transition.RELEASE)
        taskstate.apply(task, Transition.RELEASE, actor=user, checked=True)
        record_event(ticket, "released", actor=user, task=task, bpmn_id=task.bpmn_id)
    return task


def do_transfer(
    user, task_id: int, *, to_user: str = "", to_group: str = "", reason: str = ""
) -> HumanTask:
    """Hand a task to a user (assigned) or to a group's queue (unassigned)."""
    if bool(to_user) == bool(to_group):
        raise ActionError("transfer to exactly one of a user or a group")
    with transaction.atomic():
        ticket, task = _task_for_update(
            user, task_id, Transition.TRANSFER_TO_USER if to_user else Transition.TRANSFER_TO_GROUP
        )
        if to_user:
            target = User.objects.filter(username=to_user, is_active=True).first()
            if target is None:
                raise ActionError(f"no active user {to_user!r}")
            taskstate.apply(
                task, Transition.TRANSFER_TO_USER, actor=user, assignee=target, checked=True
            )
            task.candidate_users.add(target)
        else:
            group = Group.objects.filter(name=to_group).first()
            if group is None:
                raise ActionError(f"no group {to_group!r}")
            taskstate.apply(task, Transition.TRANSFER_TO_GROUP, actor=user, checked=True)
            task.candidate_groups.set([group])
        record_event(
            ticket,
            "transferred",
            actor=user,
            task=task,
            bpmn_id=task.bpmn_id,
            to_user=to_user or None,
            to_group=to_group or None,
            reason=reason,
        )
    return task


def send_back_targets(task: HumanTask) -> list[str]:
    declared = [
        t.strip()
        for t in taskstate.step_properties(task).get("sendBackTargets", "").split(",")
        if t.strip()
    ]
    done = list(
        HumanTask.objects.filter(ticket=task.ticket, state=HumanTask.State.DONE)
        .order_by("completed_at")
        .values_list("bpmn_id", flat=True)
    )
    earlier = [b for i, b in enumerate(done) if b not in done[:i] and b != task.bpmn_id]
    return [b for b in earlier if not declared or b in declared]


def do_send_back(user, task_id: int, to_bpmn_id: str, reason: str = "") -> Ticket:
    """Reset the ticket to an earlier user task; the steps after it are discarded."""
    if not reason.strip():
        raise ActionError("a send back needs a reason")
    with transaction.atomic():
        ticket, task = _task_for_update(user, task_id, Transition.SEND_BACK)
        if to_bpmn_id not in send_back_targets(task):
            raise ActionError(f"cannot send back to {to_bpmn_id!r} from {task.bpmn_id!r}")

        def operation(t, workflow):
            held = appointment_ids(t.data)
            try:
                result = runtime.send_back(workflow, to_bpmn_id, instance_id=t.id)
            except runtime.TaskNotReady as exc:
                raise Conflict(str(exc)) from exc
            undone = held - appointment_ids(runtime.current_data(workflow))
            cancel_appointments(t, actor=user, reason="sent_back", booking_ids=undone)
            return result

        queue_event(
            ticket,
            "sent_back",
            actor=user,
            task=task,
            bpmn_id=task.bpmn_id,
            to=to_bpmn_id,
            reason=reason,
        )
        since = opened_at(ticket, to_bpmn_id)
        release_parts(ticket, actor=user, since=since, reason="sent_back")
        return engine_call(ticket, operation, actor=user)


def do_decide(
    user, task_id: int, approve: bool, comment: str = "", form_data: dict | None = None
) -> Ticket:
    """Approve or reject: completes the task with `approved` (or the task's
    `approvalVariable`) set, through the same checks as any completion. ``form_data`` is
    the rest of the step's form when the decision was taken by its buttons."""
    from tickets.actions import do_complete_task

    operation = "approve" if approve else "reject"
    if not approve and not comment.strip():
        raise ActionError("say why it is rejected")
    with transaction.atomic():
        ticket, task = _task_for_update(user, task_id, operation)
        variable = taskstate.step_properties(task).get("approvalVariable", "approved")
        data = {**(form_data or {}), variable: approve}
        if comment:
            data["comment"] = comment
        # The decision and its reason are the timeline's, whatever the form keeps of them.
        record_event(
            ticket,
            "approved" if approve else "rejected",
            actor=user,
            task=task,
            bpmn_id=task.bpmn_id,
            reason=comment,
        )
        return do_complete_task(user, task_id, data)


CUSTOMER_SOURCES = ("customer", "email", "portal")


def do_comment(
    user, ticket_id: int, body: str, *, source: str = "web", uploads=(), author_name="", **detail
) -> TicketMessage:
    """A message in the ticket's conversation. One from the customer (portal, e-mail
    reply) is a public message by the customer and resumes the steps waiting for them; a
    staff comment (the task's "comment" operation) is an internal note."""
    uploads = list(uploads)
    conversation.check_message(body, uploads)
    refdata.refresh()
    customer = source in CUSTOMER_SOURCES
    with transaction.atomic():
        ticket = locked_ticket(ticket_id)
        extra = {"answers_request_of": _askers(ticket)} if customer else {}
        message = conversation.post_message(
            ticket,
            body,
            author=None if customer else user,
            author_kind=TicketMessage.AuthorKind.CUSTOMER
            if customer
            else TicketMessage.AuthorKind.STAFF,
            author_name=author_name or str(detail.get("from", "")),
            visibility=TicketMessage.Visibility.PUBLIC
            if customer
            else TicketMessage.Visibility.INTERNAL,
            source=source,
            uploads=uploads,
            event_detail={
                # the e-mail's own Message-ID apart from the id of the message row
                {"message_id": "email_message_id"}.get(k, k): v
                for k, v in detail.items()
                if k in ("from", "subject", "message_id", "original")
            }
            | extra,
        )
        if customer:
            _resume(ticket)
    return message


def do_post_message(
    user, ticket_id: int, body: str, *, public: bool, source: str = "web", uploads=()
) -> TicketMessage:
    """A staff reply to the customer (public) or an internal note, at any step: whoever
    may see the ticket may write in its conversation."""

    uploads = list(uploads)
    conversation.check_message(body, uploads)
    if not getattr(user, "is_authenticated", False):
        raise Forbidden("sign in to write on a ticket")
    with transaction.atomic():
        ticket = locked_ticket(ticket_id)
        if not may_see_ticket(user, ticket.id):
            raise NotFound(f"ticket {ticket_id} not found")
        return conversation.post_message(
            ticket,
            body,
            author=user,
            author_kind=TicketMessage.AuthorKind.STAFF,
            visibility=TicketMessage.Visibility.PUBLIC
            if public
            else TicketMessage.Visibility.INTERNAL,
            source=source,
            uploads=uploads,
        )


def do_request_info(user, task_id: int, question: str) -> HumanTask:
    """Ask the customer for information: the question goes to them as a public reply and
    the step waits (its SLA clock paused) until the customer answers."""
    if not question.strip():
        raise ActionError("say what information is needed")
    with transaction.atomic():
        ticket, task = _task_for_update(user, task_id, "request_info")
        routing.pause_sla(task, timezone.now())
        record_event(
            ticket, "info_requested", actor=user, task=task, bpmn_id=task.bpmn_id, question=question
        )
        conversation.post_message(
            ticket,
            question,
            author=user,
            author_kind=TicketMessage.AuthorKind.STAFF,
            visibility=TicketMessage.Visibility.PUBLIC,
            source="request_info",
            event_detail={"info_request": True, "task_id": task.id},
        )
    return task


def _askers(ticket: Ticket) -> list[str]:
    """Who asked the questions the customer is answering (steps paused for them), so the
    notification of the answer reaches them."""
    paused = ticket.tasks.filter(sla_paused_at__isnull=False, state__in=OPEN_STATES)
    asked = (
        ticket.events.filter(kind="info_requested", task__in=paused, actor__isnull=False)
        .values_list("actor__username", flat=True)
        .distinct()
    )
    return sorted(set(asked))


def _resume(ticket: Ticket) -> None:
    """The customer answered: the paused steps' SLA clocks run again."""
    now = timezone.now()
    for task in ticket.tasks.filter(sla_paused_at__isnull=False, state__in=OPEN_STATES):
        routing.resume_sla(ticket, task, now)
        record_event(ticket, "info_received", task=task, bpmn_id=task.bpmn_id)
