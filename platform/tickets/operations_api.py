"""Node operation endpoints: release, transfer, send back, approve/reject, request
information, comments (thin: parse, call one operation, answer)."""

from django.http import HttpRequest
from ninja import Router, Schema

from integrations.auth import require_scope
from tickets import operations
from tickets.access import access_ticket
from tickets.api import ERRORS, ErrorOut, TaskOut, TicketOut, fail
from tickets.errors import ActionError
from tickets.models import HumanTask, Ticket

router = Router(tags=["operations"])


class OperationsOut(Schema):
    operations: list[str]
    send_back_targets: list[str]


class TransferIn(Schema):
    to_user: str = ""
    to_group: str = ""
    reason: str = ""


class SendBackIn(Schema):
    to: str
    reason: str


class DecisionIn(Schema):
    comment: str = ""


class QuestionIn(Schema):
    question: str


class CommentIn(Schema):
    body: str


@router.get("/tasks/{task_id}/operations", response={200: OperationsOut, 404: ErrorOut})
@require_scope("tickets:read")
def task_operations(request: HttpRequest, task_id: int):
    """What this user may do on this task now, and where it may be sent back to."""
    task = HumanTask.objects.select_related("ticket__process_version").filter(id=task_id).first()
    try:
        if task is None:
            raise Ticket.DoesNotExist
        access_ticket(request.user, task.ticket_id)
    except Ticket.DoesNotExist:
        return 404, {"detail": f"task {task_id} not found"}
    allowed = operations.allowed_operations(request.user, task)
    targets = operations.send_back_targets(task) if "send_back" in allowed else []
    return {"operations": allowed, "send_back_targets": targets}


def _run(call):
    try:
        return call()
    except ActionError as exc:
        return fail(exc)


@router.post("/tasks/{task_id}/release", response={200: TaskOut, **ERRORS})
@require_scope("tasks:write")
def release(request: HttpRequest, task_id: int):
    return _run(lambda: operations.do_release(request.user, task_id))


@router.post("/tasks/{task_id}/transfer", response={200: TaskOut, **ERRORS})
@require_scope("tasks:write")
def transfer(request: HttpRequest, task_id: int, body: TransferIn):
    """Hand the task to a user, or back to a group's queue, with a reason."""
    return _run(
        lambda: operations.do_transfer(
            request.user, task_id, to_user=body.to_user, to_group=body.to_group, reason=body.reason
        )
    )


@router.post("/tasks/{task_id}/send-back", response={200: TicketOut, **ERRORS})
@require_scope("tasks:write")
def send_back(request: HttpRequest, task_id: int, body: SendBackIn):
    """Reset the ticket to an earlier step (see GET .../operations for the targets)."""
    return _run(lambda: operations.do_send_back(request.user, task_id, body.to, body.reason))


@router.post("/tasks/{task_id}/approve", response={200: TicketOut, **ERRORS})
@require_scope("tasks:write")
def approve(request: HttpRequest, task_id: int, body: DecisionIn):
    return _run(lambda: operations.do_decide(request.user, task_id, True, body.comment))


@router.post("/tasks/{task_id}/reject", response={200: TicketOut, **ERRORS})
@require_scope("tasks:write")
def reject(request: HttpRequest, task_id: int, body: DecisionIn):
    return _run(lambda: operations.do_decide(request.user, task_id, False, body.comment))


@router.post("/tasks/{task_id}/request-info", response={200: TaskOut, **ERRORS})
@require_scope("tasks:write")
def request_info(request: HttpRequest, task_id: int, body: QuestionIn):
    """Ask the customer; the step's SLA clock stands still until they reply."""
    return _run(lambda: operations.do_request_info(request.user, task_id, body.question))


@router.post("/tickets/{ref}/comments", response={201: TicketOut, **ERRORS})
@require_scope("tickets:write")
def comment(request: HttpRequest, ref: str, body: CommentIn):
    try:
        ticket = access_ticket(request.user, ref)
    except Ticket.DoesNotExist:
        return 404, {"detail": f"ticket {ref} not found"}
    result = _run(lambda: operations.do_comment(request.user, ticket.id, body.body))
    if isinstance(result, tuple):
        return result
    ticket.refresh_from_db()
    return 201, ticket
