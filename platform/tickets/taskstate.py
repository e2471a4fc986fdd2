"""The one state machine of a worklist row (HumanTask): which transitions exist, from
which states, to which state and holder, and who may take them. Nothing else assigns a
row's `state` or `assignee` (tests/tickets/test_task_states.py keeps it so).

    open ──claim──> claimed ──release──> open
    open|claimed ──transfer to a user──> claimed  /  ──to a group──> open
    open|claimed ──escalate (SLA breach)──> claimed (supervisor) / open (group queue)
    open|claimed ──complete──> done
    open|claimed ──cancel──> cancelled   (the engine left the step: boundary event,
                                          send back, the ticket cancelled)
    done|cancelled ──reopen──> claimed (earlier or routed holder) / open
                                         (the ticket was sent back to this step)

A send back is checked here (SEND_BACK: from an open row, by whoever may use the step's
`send_back` operation); the engine then leaves the step and the worklist sync cancels its
row and reopens the target's.

Which operations a step offers, and to whom, is declared on the BPMN task (see
tickets.operations); `allowed_operations` answers for buttons and for the checks here.
"""

import json
from dataclasses import dataclass
from enum import StrEnum

from django.utils import timezone

from bpmn import runtime
from definitions.deploy import compiled_for
from org import queries as org_queries
from tickets.access import is_supervisor, may_act_on_task
from tickets.errors import Conflict, Forbidden
from tickets.models import HumanTask
from tickets.prepared import save_fields

State = HumanTask.State
OPEN_STATES = (State.OPEN, State.CLAIMED)
CLOSED_STATES = (State.DONE, State.CANCELLED)

DEFAULT_OPERATIONS = {
    "claim": ["*"],
    "release": ["*"],
    "comment": ["*"],
    "transfer": ["supervisors"],
}
KNOWN_OPERATIONS = {
    "claim",
    "release",
    "comment",
    "transfer",
    "send_back",
    "approve",
    "reject",
    "request_info",
    "close",
}


class Transition(StrEnum):
    CLAIM = "claim"
    RELEASE = "release"
    TRANSFER_TO_USER = "transfer_to_user"
    TRANSFER_TO_GROUP = "transfer_to_group"
    ESCALATE_TO_USER = "escalate_to_user"
    ESCALATE_TO_GROUP = "escalate_to_group"
    COMPLETE = "complete"
    SEND_BACK = "send_back"
    CANCEL = "cancel"
    REOPEN = "reopen"


# `holder`: "actor" (the acting user), "given" (the caller names one), "none", "keep",
# "given_or_keep" (the caller's, else the earlier holder's), "actor_if_none".
# `target` None: claimed when the row ends up with a holder, else open.
# `who`: how an actor's transition is permitted; None = the system's own (engine, SLA).
@dataclass(frozen=True)
class Rule:
    sources: tuple[str, ...]
    target: str | None
    holder: str
    who: tuple[str, ...] = ()


RULES: dict[Transition, Rule] = {
    Transition.CLAIM: Rule((State.OPEN,), State.CLAIMED, "actor", ("may_act",)),
    Transition.RELEASE: Rule(OPEN_STATES, State.OPEN, "none", ("op:release", "holder")),
    Transition.TRANSFER_TO_USER: Rule(OPEN_STATES, State.CLAIMED, "given", ("op:transfer",)),
    Transition.TRANSFER_TO_GROUP: Rule(OPEN_STATES, State.OPEN, "none", ("op:transfer",)),
    Transition.ESCALATE_TO_USER: Rule(OPEN_STATES, State.CLAIMED, "given"),
    Transition.ESCALATE_TO_GROUP: Rule(OPEN_STATES, State.OPEN, "none"),
    Transition.COMPLETE: Rule(OPEN_STATES, State.DONE, "actor_if_none", ("may_act",)),
    Transition.SEND_BACK: Rule(OPEN_STATES, State.CANCELLED, "keep", ("op:send_back",)),
    Transition.CANCEL: Rule(OPEN_STATES, State.CANCELLED, "keep"),
    Transition.REOPEN: Rule(CLOSED_STATES, None, "given_or_keep"),
}
VERBS = {
    Transition.CLAIM: "claim",
    Transition.RELEASE: "release",
    Transition.TRANSFER_TO_USER: "transfer",
    Transition.TRANSFER_TO_GROUP: "transfer",
    Transition.COMPLETE: "act on",
    Transition.SEND_BACK: "send back",
}


def _properties(task: HumanTask) -> dict:
    info = runtime.node(compiled_for(task.ticket.process_version), task.bpmn_id)
    return info.properties if info else {}


def step_properties(task: HumanTask) -> dict:
    """The BPMN extension properties of the task's step (operations, targets, variables)."""
    return _properties(task)


def declared_operations(task: HumanTask) -> dict[str, list[str]]:
    raw = _properties(task).get("operations")
    if not raw:
        return dict(DEFAULT_OPERATIONS)
    try:
        declared = json.loads(raw)
    except ValueError:
        return dict(DEFAULT_OPERATIONS)
    return {op: list(groups) for op, groups in declared.items() if op in KNOWN_OPERATIONS}


def allowed_operations(user, task: HumanTask) -> list[str]:
    """The operations this user may use on this task now (for buttons and for checks)."""
    if task.state not in OPEN_STATES or not user.is_authenticated:
        return []
    groups = org_queries.roles_of(user)
    supervisor = is_supervisor(user)
    acts = may_act_on_task(user, task)
    allowed = []
    for op, roles in declared_operations(task).items():
        if supervisor or ("*" in roles and acts) or (groups & set(roles) and acts):
            allowed.append(op)
    return sorted(allowed)


def _permitted(actor, task: HumanTask, check: str) -> bool:
    if check == "may_act":
        return may_act_on_task(actor, task)
    if check == "holder":
        return task.assignee_id == actor.id or is_supervisor(actor)
    return check.removeprefix("op:") in allowed_operations(actor, task)


def authorize(task: HumanTask, transition: Transition, actor=None) -> Rule:
    """Refuse a transition from a state it does not leave (Conflict) or by an actor the
    rule does not permit (Forbidden). The system's transitions take no actor."""
    rule = RULES[transition]
    if task.state not in rule.sources:
        raise Conflict(f"task {task.id} is {task.state}: cannot {transition.replace('_', ' ')}")
    if rule.who:
        if actor is None or not actor.is_authenticated:
            raise Forbidden(f"{transition.replace('_', ' ')} needs a signed-in user")
        for check in rule.who:
            if not _permitted(actor, task, check):
                verb = VERBS.get(transition, transition.replace("_", " "))
                raise Forbidden(f"{actor.username} may not {verb} task {task.id}")
    return rule


_KEEP = object()


def apply(
    task: HumanTask,
    transition: Transition,
    *,
    actor=None,
    assignee=_KEEP,
    save: bool = True,
    checked: bool = False,
) -> list[str]:
    """Take the transition on the row: checks (unless `checked`: the caller ran
    `authorize` already), sets state and holder, and saves those columns (or, with
    save=False, returns them for the caller's one UPDATE with its other columns)."""
    rule = RULES[transition] if checked else authorize(task, transition, actor)
    fields = ["state"]
    if rule.holder == "actor" or (rule.holder == "actor_if_none" and task.assignee_id is None):
        task.assignee = actor
        fields.append("assignee")
    elif rule.holder == "given" or (
        rule.holder == "given_or_keep" and assignee not in (_KEEP, None)
    ):
        if assignee in (_KEEP, None):
            raise ValueError(f"{transition} needs the new holder")
        task.assignee = assignee
        fields.append("assignee")
    elif rule.holder == "none":
        task.assignee = None
        fields.append("assignee")
    if transition is Transition.COMPLETE:
        task.completed_at, task.completed_by = timezone.now(), actor
        fields += ["completed_at", "completed_by"]
    elif transition is Transition.REOPEN:
        task.completed_at = task.completed_by = None
        fields += ["completed_at", "completed_by"]
    if rule.target is not None:
        task.state = rule.target
    else:
        task.state = State.CLAIMED if task.assignee_id else State.OPEN
    if save:
        save_fields((task, fields))
    return fields


def claim(task: HumanTask, actor) -> None:
    """Claiming races other claimers: a conditional UPDATE whose row count decides."""
    authorize(task, Transition.CLAIM, actor)
    claimed = HumanTask.objects.filter(id=task.id, assignee=None, state=State.OPEN).update(
        assignee=actor, state=State.CLAIMED
    )
    if claimed != 1:
        raise Conflict(f"task {task.id} is already claimed or closed")
    task.assignee, task.state = actor, State.CLAIMED


def initial(row: HumanTask, assignee) -> HumanTask:
    """A new row (not saved yet): claimed by its routed holder, else open in the queue."""
    row.assignee = assignee
    row.state = State.CLAIMED if assignee is not None else State.OPEN
    return row


def cancel_rows(rows: list[HumanTask]) -> None:
    """Cancel open rows the engine left behind, in one UPDATE (the WHERE clause checks
    the source state, so a row closed meanwhile stays as it is)."""
    for row in rows:
        authorize(row, Transition.CANCEL)
        row.state = State.CANCELLED
    if rows:
        HumanTask.objects.filter(id__in=[row.id for row in rows], state__in=OPEN_STATES).update(
            state=State.CANCELLED
        )


def cancel_open(tasks) -> int:
    """Cancel every open row of a queryset (a ticket cancelled) in one UPDATE."""
    return tasks.filter(state__in=OPEN_STATES).update(state=State.CANCELLED)
