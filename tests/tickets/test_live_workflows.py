"""A ticket's workflow object lives on between its actions in the process that ran them
(tickets/live.py): the next action continues it instead of restoring the saved state,
with the same outcome, and never after a rollback or a write it did not make."""

import pytest
from django.db import transaction

from bpmn import runtime
from tests.conftest import repair_start
from tickets import actions, live
from tickets.models import HumanTask, ProcessInstance

pytestmark = pytest.mark.django_db

STEPS = [
    ("accept", {"accepted": True}),
    ("schedule_visit", {"visit_date": "2026-11-24", "technician": "tom"}),
    ("diagnose", {"needs_parts": True, "labor_hours": 2, "parts_cost": "150"}),
    ("approve_quote", {"approved": True}),
    ("repair_work", {"work_done": "replaced the fan"}),
    ("confirm", {"rating": 5}),
]


@pytest.fixture
def restores(monkeypatch):
    """How often saved state is restored (the real runtime.load, counted)."""
    calls = []
    real = runtime.load

    def counting(compiled, state):
        calls.append(state)
        return real(compiled, state)

    monkeypatch.setattr(runtime, "load", counting)
    return calls


def open_task(ticket, bpmn_id):
    return HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=actions.OPEN_STATES)


def run_repair(user, committed, forget=False):
    """A whole repair ticket, each action committed; `forget`: no workflow kept."""
    with committed(execute=True):
        ticket = actions.do_start_ticket(user, "repair", repair_start(customer_tier="gold"))
    for bpmn_id, data in STEPS:
        if forget:
            live.clear()
        with committed(execute=True):
            ticket = actions.do_complete_task(user, open_task(ticket, bpmn_id).id, data)
    return ticket


def outcome(ticket):
    events = [(e.kind, e.bpmn_id) for e in ticket.events.order_by("id")]
    tasks = list(ticket.tasks.order_by("id").values_list("bpmn_id", "state"))
    data = {k: v for k, v in ticket.data.items() if k != "ticket_number"}
    return ticket.status, data, events, tasks


def test_actions_continue_the_kept_workflow_with_the_same_outcome(
    cast, repair, restores, django_capture_on_commit_callbacks
):
    kept = run_repair(cast["dave"], django_capture_on_commit_callbacks)
    assert restores == []  # every completion continued the object the last action saved
    restored = run_repair(cast["dave"], django_capture_on_commit_callbacks, forget=True)
    assert len(restores) == len(STEPS)
    assert kept.status == "completed" and outcome(kept) == outcome(restored)


def test_a_rolled_back_action_leaves_no_workflow_behind(
    cast, repair, restores, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.do_start_ticket(cast["dave"], "repair", repair_start())
    accept = open_task(ticket, "accept")
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.do_complete_task(cast["dave"], accept.id, {"accepted": True})
        raise RuntimeError("the request failed after the action")
    assert restores == []
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.do_complete_task(cast["dave"], accept.id, {"accepted": True})
    assert len(restores) == 1  # the saved state, not the object the rollback undid
    assert open_task(ticket, "schedule_visit")


def test_state_written_elsewhere_is_restored(
    cast, repair, restores, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.do_start_ticket(cast["dave"], "repair", repair_start())
    instance = ProcessInstance.objects.get(ticket=ticket)
    ProcessInstance.objects.filter(pk=instance.pk).update(state=instance.state + " ")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.do_complete_task(
            cast["dave"], open_task(ticket, "accept").id, {"accepted": True}
        )
    assert len(restores) == 1 and open_task(ticket, "schedule_visit")
