"""Routing and service levels on real tickets: the assignment table picks the handler, the
sla table sets the clock, the sweep (with a controllable clock) warns three times and
escalates to the supervisor, the clock stands still while waiting for the customer, and
VIP tickets jump the queue."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from notify.models import OutboxMessage
from org import actions as org_actions
from tests.conftest import repair_start
from tickets import actions, bulk, routing
from tickets.access import worklist
from tickets.display import when
from tickets.escalation import do_sweep_sla
from tickets.models import HumanTask

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


@pytest.fixture
def supervised(cast):
    dispatchers = Group.objects.get(name="dispatchers")
    org_actions.do_save_group_profile(cast["dave"], dispatchers, supervisor=cast["bob"])
    return cast


def accept_of(ticket):
    return HumanTask.objects.get(ticket=ticket, bpmn_id="accept")


def kinds(ticket):
    return list(ticket.events.values_list("kind", flat=True))


def test_the_tables_pick_the_handler_and_the_clock(supervised, repair):
    before = timezone.now()
    ticket = actions.do_start_ticket(
        supervised["alice"], "repair", repair_start(customer_tier="VIP")
    )
    task = accept_of(ticket)
    assert ticket.priority == 4 and task.priority == 4
    assert task.assignee == supervised["alice"]  # round robin among the dispatchers
    # repair x VIP: 8 hours to resolve (24x7 without a team calendar), warnings at 50/80/100%
    assert before + 8 * H <= task.due_at <= timezone.now() + 8 * H
    assert task.next_sla_at == task.sla_started_at + 4 * H
    assigned = ticket.events.get(kind="assigned").detail
    assert assigned["strategy"] == "round_robin" and assigned["decision"]["id"] == "assignment"
    assert ticket.events.get(kind="sla_started").detail["decision"]["id"] == "sla"


def test_three_warnings_then_escalation_to_the_supervisor(supervised, repair):
    ticket = actions.do_start_ticket(
        supervised["alice"], "repair", repair_start(customer_tier="VIP")
    )
    start = accept_of(ticket).sla_started_at
    assert do_sweep_sla(now=start + 3 * H) == 0
    assert do_sweep_sla(now=start + 4 * H + dt.timedelta(seconds=1)) == 1
    warning = ticket.events.filter(kind="sla_warning").last().detail
    assert warning["level"] == 1 and warning["to"] == ["alice"]  # level 1: the assignee
    assert do_sweep_sla(now=start + 4 * H + dt.timedelta(minutes=1)) == 0  # never twice
    do_sweep_sla(now=start + 6.5 * H)
    assert ticket.events.filter(kind="sla_warning").last().detail["level"] == 2
    do_sweep_sla(now=start + 8 * H + dt.timedelta(seconds=1))
    levels = [
        e.detail["level"] for e in ticket.events.filter(kind__in=["sla_warning", "sla_breached"])
    ]
    assert levels == [1, 2, 3, 4]
    assert ticket.events.filter(kind="sla_warning").last().detail["to"] == ["bob"]  # level 3
    task = accept_of(ticket)
    assert task.assignee == supervised["bob"] and task.sla_level == 4 and task.next_sla_at is None
    assert ticket.events.get(kind="escalated").detail == {"to_user": "bob"}
    assert OutboxMessage.objects.filter(ticket_id=ticket.id, event_type="sla_breached").exists()
    assert do_sweep_sla(now=start + 30 * H) == 0


def test_the_clock_stands_still_while_waiting_for_the_customer(supervised, repair):
    ticket = actions.do_start_ticket(
        supervised["alice"], "repair", repair_start(customer_tier="VIP")
    )
    task = accept_of(ticket)
    due = task.due_at
    # (request information pauses the same way: tests/tickets/test_operations.py)
    routing.pause_sla(task, timezone.now())
    assert do_sweep_sla(now=task.sla_started_at + 30 * H) == 0  # paused: nothing fires
    routing.resume_sla(ticket, task, timezone.now() + 2 * H)
    task.refresh_from_db()
    assert task.sla_paused >= 2 * H and task.due_at >= due + 2 * H - dt.timedelta(seconds=1)
    assert task.next_sla_at == task.sla_started_at + 4 * H + task.sla_paused


def test_vip_tickets_jump_the_queue(supervised, repair):
    normal = actions.do_start_ticket(supervised["alice"], "repair", repair_start())
    vip = actions.do_start_ticket(supervised["alice"], "repair", repair_start(customer_tier="VIP"))
    mine = list(worklist(supervised["alice"], "mine"))
    assert [t.ticket_id for t in mine] == [vip.id, normal.id]
    assert "sla_started" in kinds(vip)


def test_worklist_scopes_overdue_due_soon_and_template_filter(supervised, repair):
    ticket = actions.do_start_ticket(
        supervised["alice"], "repair", repair_start(customer_tier="VIP")
    )
    alice = supervised["alice"]
    due = accept_of(ticket).due_at
    assert list(worklist(alice, "overdue", now=due - H)) == []
    assert [t.ticket_id for t in worklist(alice, "due_soon", now=due - H)] == [ticket.id]
    assert [t.ticket_id for t in worklist(alice, "overdue", now=due + H)] == [ticket.id]
    assert list(worklist(alice, "all", process="inquiry")) == []
    assert len(worklist(alice, "all", process="repair")) == 1
    with pytest.raises(ValueError):
        worklist(alice, "everything")
    from django.test import Client

    client = Client()
    client.force_login(alice)
    assert client.get("/api/v1/tasks?scope=due_soon&process=repair").status_code == 200
    assert client.get("/api/v1/tasks?scope=nope").status_code == 400


def test_a_priority_change_replans_the_open_step_from_the_sla_table(supervised, repair):
    alice = supervised["alice"]
    ticket = actions.do_start_ticket(alice, "repair", repair_start())
    task = accept_of(ticket)
    start = task.sla_started_at
    assert ticket.priority == 1 and task.due_at == start + 40 * H  # repair x Normal: 40 h
    bob = supervised["bob"]  # the supervisor re-ranks the step
    done = bulk.do_bulk(bob, bulk.BulkRequest("priority", [task.id], priority=3, reason="gas"))
    assert done[0].ok, done[0].detail
    task = accept_of(ticket)
    # repair x Urgent: 8 hours from when the clock started, warnings at 50/80/100 %
    assert task.priority == 3 and task.due_at == start + 8 * H
    assert task.next_sla_at == start + 4 * H and task.sla_started_at == start
    assert [level for level, _at in task.sla_marks] == [1, 2, 3, 4]
    event = ticket.events.get(kind="priority_changed")
    moved = dt.datetime.fromisoformat(event.detail["due_at"].replace("Z", "+00:00"))
    assert abs(moved - (start + 8 * H)) < dt.timedelta(milliseconds=1)
    do_sweep_sla(now=start + 4 * H + dt.timedelta(seconds=1))  # the new plan is the one swept
    assert ticket.events.filter(kind="sla_warning").last().detail["level"] == 1

    client = Client()
    client.force_login(alice)
    page = client.get(f"/tickets/{ticket.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    due = when(start + 8 * H)
    assert f"bob raised the priority from Normal to Urgent; due time moved to {due}" in page
    page = client.get(f"/tickets/{ticket.number}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "将优先级从 普通 提高到 紧急；截止时间改为" in page.content.decode()


def test_a_priority_change_while_waiting_keeps_the_clock_paused(supervised, repair):
    alice = supervised["alice"]
    ticket = actions.do_start_ticket(alice, "repair", repair_start())
    task = accept_of(ticket)
    routing.pause_sla(task, timezone.now())
    done = bulk.do_bulk(supervised["bob"], bulk.BulkRequest("priority", [task.id], priority=4))
    assert done[0].ok, done[0].detail
    task = accept_of(ticket)
    assert task.due_at == task.sla_started_at + 8 * H  # repair x VIP: 8 h
    assert task.next_sla_at is None and task.sla_paused_at is not None  # nothing fires yet
    assert do_sweep_sla(now=task.sla_started_at + 9 * H) == 0
