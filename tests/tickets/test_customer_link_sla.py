"""Confirming that a ticket belongs to a VIP raises its priority and re-plans the open
step's service-level clock from the `sla` table, as a supervisor's priority change does."""

import datetime as dt

import pytest

from customers.actions import do_link_customer, do_propose_link
from tests.conftest import repair_start
from tickets import actions
from tickets.escalation import do_sweep_sla
from tickets.models import HumanTask

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def test_linking_a_vip_raises_the_priority_and_replans_the_clock(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    accept = HumanTask.objects.get(ticket=ticket, bpmn_id="accept")
    start = accept.sla_started_at
    assert ticket.priority == 1 and accept.due_at == start + 40 * H  # repair x Normal

    vip, _ = do_link_customer({"name": "Wang Fang", "phone": "13812341234"})
    vip.tier = "VIP"
    vip.save(update_fields=["tier"])
    proposal = do_propose_link(ticket.id, vip, {"phone": "13812341234"}, "phone")
    actions.do_confirm_customer_link(cast["alice"], proposal.id, ticket_id=ticket.id)

    accept.refresh_from_db()
    # repair x VIP: 8 hours from when the clock started, warnings at 50/80/100 %
    assert accept.priority == 4 and accept.due_at == start + 8 * H
    assert accept.sla_started_at == start and accept.next_sla_at == start + 4 * H
    event = ticket.events.get(kind="customer_linked")
    moved = dt.datetime.fromisoformat(event.detail["due_at"].replace("Z", "+00:00"))
    assert abs(moved - (start + 8 * H)) < dt.timedelta(milliseconds=1)
    do_sweep_sla(now=start + 4 * H + dt.timedelta(seconds=1))  # the new plan is swept
    assert ticket.events.filter(kind="sla_warning").last().detail["level"] == 1


def test_linking_a_standard_customer_leaves_the_clock_alone(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    accept = HumanTask.objects.get(ticket=ticket, bpmn_id="accept")
    plan = (accept.due_at, accept.sla_marks)
    customer, _ = do_link_customer({"name": "Wang Fang", "phone": "13812341234"})
    proposal = do_propose_link(ticket.id, customer, {"phone": "13812341234"}, "phone")
    actions.do_confirm_customer_link(cast["alice"], proposal.id, ticket_id=ticket.id)
    accept.refresh_from_db()
    assert (accept.due_at, accept.sla_marks) == plan
    assert "due_at" not in ticket.events.get(kind="customer_linked").detail
