"""The ticket runtime on SpiffWorkflow: the repair ticket from start to close, pinning,
messages, timers, incidents, exactly-once completion, and saved state."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from bpmn import services
from definitions.deploy import deploy_bundle
from definitions.models import ProcessVersion
from tests.conftest import FIXTURES, PROCESSES, deploy_file, repair_start
from tickets import actions
from tickets.models import HumanTask, Ticket

pytestmark = pytest.mark.django_db


def open_task(ticket, bpmn_id=None):
    tasks = HumanTask.objects.filter(ticket=ticket, state__in=actions.OPEN_STATES)
    if bpmn_id:
        tasks = tasks.filter(bpmn_id=bpmn_id)
    return tasks.get()


def finish(user, ticket, bpmn_id, data):
    return actions.do_complete_task(user, open_task(ticket, bpmn_id).id, data)


def test_repair_ticket_runs_from_intake_to_close(cast, repair):
    alice, tom, carol = cast["alice"], cast["tom"], cast["carol"]
    ticket = actions.do_start_ticket(
        alice,
        "repair",
        repair_start(customer_tier="VIP", category="air conditioner", region="tier1"),
    )
    assert ticket.number.startswith("SV-") and ticket.status == "active"
    # The triage table decided before the first human step; VIP gets priority 4 and 2 hours.
    assert ticket.data["priority"] == 4 and ticket.data["sla_hours"] == 2
    decision = ticket.events.get(kind="decision")
    assert decision.detail["decision_id"] == "triage" and decision.detail["version"] == "v1"
    accept = open_task(ticket)
    assert accept.bpmn_id == "accept" and [g.name for g in accept.candidate_groups.all()] == [
        "dispatchers"
    ]

    ticket = finish(alice, ticket, "accept", {"accepted": True})
    ticket = finish(
        alice, ticket, "schedule_visit", {"visit_date": "2026-11-24", "technician": "tom"}
    )
    assert ticket.next_timer_at is not None  # the diagnosis SLA timer is armed
    ticket = finish(
        tom, ticket, "diagnose", {"needs_parts": True, "labor_hours": 1.5, "parts_cost": "200"}
    )
    # Pricing table and the pricing.quote operator ran: (1.5 h x 120 + 200) x 1.2
    assert ticket.data["quote"] == {"labor": "180.00", "parts": "200.00", "total": "456.00"}
    ticket = finish(carol, ticket, "approve_quote", {"approved": True})
    ticket = finish(tom, ticket, "repair_work", {"work_done": "replaced the compressor"})
    ticket = finish(alice, ticket, "confirm", {"rating": 5})

    ticket.refresh_from_db()
    assert ticket.status == "completed" and ticket.closed_at is not None
    assert ticket.next_timer_at is None
    assert not HumanTask.objects.filter(ticket=ticket, state__in=actions.OPEN_STATES).exists()
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert (
        kinds.count("task_completed") == 6
        and kinds.count("decision") == 2
        and kinds[-1] == "completed"
    )


def test_a_user_outside_the_candidate_groups_may_not_complete(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start(category="fridge"))
    with pytest.raises(actions.Forbidden):
        finish(cast["carol"], ticket, "accept", {"accepted": True})
    task = open_task(ticket)
    assert task.bpmn_id == "accept" and task.assignee == cast["alice"]


def test_repeated_completion_is_a_conflict_and_runs_nothing_twice(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start(category="fridge"))
    task = open_task(ticket)
    actions.do_complete_task(cast["alice"], task.id, {"accepted": True})
    before = ticket.events.count()
    with pytest.raises(actions.Conflict):
        actions.do_complete_task(cast["alice"], task.id, {"accepted": True})
    assert ticket.events.count() == before
    assert open_task(ticket).bpmn_id == "schedule_visit"


def test_publishing_v2_never_changes_a_running_v1_ticket(cast, repair):
    v1_ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start(category="fridge"))
    text = (PROCESSES / "repair.bpmn").read_text().replace("Accept ticket (受理)", "Accept (v2)")
    v2, created = deploy_bundle("repair.bpmn", text, repair.files)
    assert created and v2.version == 2 and v2.key == "repair"
    v2_ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start(category="fridge"))

    assert v1_ticket.process_version_id == repair.id and v2_ticket.process_version_id == v2.id
    assert open_task(v1_ticket).name == "Accept ticket (受理)"
    assert open_task(v2_ticket).name == "Accept (v2)"
    ticket = finish(cast["alice"], v1_ticket, "accept", {"accepted": True})
    assert ticket.process_version_id == repair.id and open_task(ticket).bpmn_id == "schedule_visit"


def test_redeploying_identical_content_is_a_no_op(repair):
    again = deploy_file(PROCESSES / "repair.bpmn")
    assert again.id == repair.id
    assert ProcessVersion.objects.filter(key="repair").count() == 1


def test_a_message_is_correlated_to_the_waiting_ticket(cast):
    deploy_file(FIXTURES / "payment.bpmn")
    ticket = actions.do_start_ticket(cast["alice"], "payment", correlation_key="ORDER-77")
    other = actions.do_start_ticket(cast["alice"], "payment", correlation_key="ORDER-78")
    with pytest.raises(actions.NotFound):  # nobody waits yet: the invoice is not sent
        actions.do_correlate_message(None, "payment_received", {"amount": 10}, "ORDER-77")
    ticket = finish(cast["alice"], ticket, "send_invoice", {})
    finish(cast["alice"], other, "send_invoice", {})
    assert ticket.waiting_messages == ["payment_received"]

    ticket = actions.do_correlate_message(None, "payment_received", {"amount": "99.50"}, "ORDER-77")
    assert ticket.data["paid_amount"] == 99.5 and ticket.data["paid_on"] == "2026-11-23"
    assert open_task(ticket).bpmn_id == "close"
    other.refresh_from_db()
    assert other.waiting_messages == ["payment_received"]  # the other order still waits


def test_the_sweep_fires_due_timers_with_a_controllable_clock(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start(customer_tier="gold"))
    ticket = finish(cast["alice"], ticket, "accept", {"accepted": True})
    ticket = finish(
        cast["alice"], ticket, "schedule_visit", {"visit_date": "2026-11-24", "technician": "tom"}
    )
    due = ticket.next_timer_at
    assert dt.timedelta(hours=3, minutes=59) < due - timezone.now() <= dt.timedelta(hours=4)

    assert actions.do_fire_due_timers(now=due - dt.timedelta(seconds=1)) == 0
    assert actions.do_fire_due_timers(now=due + dt.timedelta(seconds=1)) == 1
    ticket.refresh_from_db()
    assert ticket.data.get("sla_warned") is True
    assert ticket.next_timer_at is None
    assert ticket.events.filter(kind="timer_fired", bpmn_id="diagnose_sla").count() == 1
    # The warning is non-interrupting: the diagnosis is still open.
    assert open_task(ticket).bpmn_id == "diagnose"


@pytest.fixture
def flaky_crm():
    state = {"down": True, "calls": 0}

    @services.register("test.crm_lookup", params=("phone",))
    def lookup(params, call):
        state["calls"] += 1
        if state["down"]:
            raise ConnectionError("CRM is down")
        return {"name": "Wang Fang", "phone": params["phone"], "ticket_id": call.instance_id}

    return state


def test_a_failing_service_task_leaves_an_incident_that_can_be_retried(cast, flaky_crm):
    deploy_file(FIXTURES / "flaky.bpmn")
    ticket = actions.do_start_ticket(
        cast["alice"], "flaky", {"phone": "13812341234", "owner": "alice"}
    )
    assert ticket.status == "active"
    assert ticket.incident["bpmn_id"] == "lookup" and "CRM is down" in ticket.incident["error"]
    assert ticket.events.filter(kind="incident").count() == 1
    assert not HumanTask.objects.filter(ticket=ticket).exists()

    ticket = actions.do_retry_incident(cast["bob"], ticket.id)  # still down: incident stays
    assert ticket.incident is not None and flaky_crm["calls"] == 2

    flaky_crm["down"] = False
    ticket = actions.do_retry_incident(cast["bob"], ticket.id)
    assert ticket.incident is None
    assert ticket.data["customer"] == {
        "name": "Wang Fang",
        "phone": "13812341234",
        "ticket_id": ticket.id,
    }
    handle = open_task(ticket)
    assert (
        handle.assignee == cast["alice"] and handle.state == "claimed"
    )  # camunda:assignee="${owner}"


def test_state_saved_mid_process_restores_and_continues(cast, repair):
    from bpmn import runtime
    from definitions.deploy import compiled_for

    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    ticket = finish(cast["alice"], ticket, "accept", {"accepted": True})
    ticket = finish(
        cast["alice"], ticket, "schedule_visit", {"visit_date": "2026-11-24", "technician": "tom"}
    )
    ticket = finish(
        cast["tom"],
        ticket,
        "diagnose",
        {"needs_parts": True, "labor_hours": 1, "parts_cost": "12.3"},
    )
    compiled = compiled_for(ticket.process_version)
    workflow = runtime.load(compiled, ticket.state)
    data = runtime.current_data(workflow)
    # Form values keep their types through save and restore.
    assert data["parts_cost"] == Decimal("12.30") and data["visit_date"] == dt.date(2026, 11, 24)
    again = runtime.load(compiled, runtime.dump(workflow))
    assert runtime.dump(again) == runtime.dump(workflow)
    assert [t.bpmn_id for t in runtime.human_tasks(again)] == ["approve_quote"]
    ticket = finish(cast["carol"], ticket, "approve_quote", {"approved": True})
    assert open_task(ticket).bpmn_id == "repair_work"
    assert len(ticket.state) < 15_000  # the spec is stored by reference, not embedded


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_completions_complete_the_task_once(cast, repair):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under threads need PostgreSQL (CI sets DATABASE_URL)")
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    task_id = open_task(ticket).id
    outcomes, barrier = [], threading.Barrier(20)

    def attempt():
        from django.db import connections

        barrier.wait()
        try:
            actions.do_complete_task(cast["alice"], task_id, {"accepted": True})
            outcomes.append("ok")
        except actions.Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 19 + ["ok"]
    ticket.refresh_from_db()
    assert ticket.events.filter(kind="task_completed").count() == 1
    assert HumanTask.objects.filter(ticket=ticket, bpmn_id="schedule_visit").count() == 1


def test_cancel_closes_the_ticket_and_its_tasks(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    ticket = actions.do_cancel_ticket(cast["bob"], ticket.id, "duplicate")
    assert ticket.status == Ticket.Status.CANCELLED
    assert HumanTask.objects.get(ticket=ticket).state == "cancelled"
    with pytest.raises(actions.Conflict):
        actions.do_cancel_ticket(cast["bob"], ticket.id)
