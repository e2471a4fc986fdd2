"""The ticket's process drawn with where it stands: the marks and badges the diagram viewer
(web/src/diagram.js) puts on the BPMN of the ticket's own version."""

import datetime as dt

from bpmn import runtime
from definitions.element_names import element_labels
from tickets.engine import load_workflow
from tickets.models import Ticket
from tickets.taskstate import OPEN_STATES


def marks(ticket: Ticket, now: dt.datetime) -> dict:
    """{"marks": {bpmn id: "done" | "active" | "overdue"}, "badges": {bpmn id: holder},
    "labels": {bpmn id: name in the reader's language}}: done and active from the engine; a
    step whose open task is past due is overdue."""
    states = runtime.node_states(load_workflow(ticket))
    badges = {}
    for task in ticket.tasks.filter(state__in=OPEN_STATES).select_related("assignee"):
        states[task.bpmn_id] = "overdue" if task.due_at and task.due_at <= now else "active"
        if task.assignee is not None:
            badges[task.bpmn_id] = task.assignee.get_full_name() or task.assignee.username
    labels = element_labels(ticket.process_version)
    return {"marks": states, "badges": badges, "labels": labels}
