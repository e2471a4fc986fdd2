"""`POST /api/v1/tasks/bulk`: one action on many tasks, an outcome per task (thin: parse,
resolve the names, call tickets.bulk)."""

from django.contrib.auth.models import Group
from django.http import HttpRequest
from ninja import Field, Router, Schema

from integrations.auth import check_scope, require_scope
from tickets import bulk
from tickets.api import ErrorOut
from tickets.errors import ActionError
from tickets.worklist_forms import assignable_people

router = Router(tags=["tasks"])


class BulkIn(Schema):
    action: str = Field(description="claim, assign, transfer, priority or close")
    tasks: list[int] = Field(description=f"task ids, at most {bulk.MAX_TASKS}")
    to_user: str = Field("", description="assign: the username of someone who shares a group")
    to_group: str = Field("", description="transfer: the group whose queue receives the tasks")
    priority: int | None = Field(None, ge=0, le=4, description="priority: 0 low … 4 VIP")
    reason: str = Field("", max_length=500)


class OutcomeOut(Schema):
    task: int
    ticket: str
    ok: bool
    status: int
    reason: str = Field(description="done, forbidden, conflict, not_found or invalid")
    detail: str


class BulkOut(Schema):
    results: list[OutcomeOut]
    done: int
    refused: int


@router.post("/tasks/bulk", response={200: BulkOut, 400: ErrorOut, 403: ErrorOut})
@require_scope("tasks:write")
def bulk_tasks(request: HttpRequest, body: BulkIn):
    """Claim, assign (to a person of the caller's groups), transfer (to a group's
    queue), set the priority of, or close (also needs `tickets:write`) each task, with
    the same checks as one at a time. A refusal of one task never stops the others."""
    if body.action == "close":
        check_scope(request, "tickets:write")
    to_user = None
    if body.to_user:
        to_user = next(
            (
                p
                for p in assignable_people(request.user, body.to_user)
                if p.username == body.to_user
            ),
            None,
        )
        if to_user is None:
            return 400, {"detail": f"{body.to_user!r} is not someone you may assign tasks to"}
    to_group = Group.objects.filter(name=body.to_group).first() if body.to_group else None
    if body.to_group and to_group is None:
        return 400, {"detail": f"no group {body.to_group!r}"}
    wanted = bulk.BulkRequest(
        action=body.action,
        task_ids=body.tasks,
        to_user=to_user,
        to_group=to_group,
        priority=body.priority,
        reason=body.reason,
    )
    try:
        outcomes = bulk.do_bulk(request.user, wanted)
    except ActionError as exc:
        return 400, {"detail": str(exc)}
    results = [
        {
            "task": o.task_id,
            "ticket": o.ticket,
            "ok": o.ok,
            "status": o.status,
            "reason": o.reason,
            "detail": o.detail,
        }
        for o in outcomes
    ]
    done = sum(o.ok for o in outcomes)
    return {"results": results, "done": done, "refused": len(outcomes) - done}
