"""Node operations on the repair ticket: each one permission-checked and on the timeline."""

import json

import pytest
from django.test import Client

from tests.conftest import repair_start
from tickets import actions, operations
from tickets.models import HumanTask

pytestmark = pytest.mark.django_db


def open_task(ticket, bpmn_id=None):
    tasks = HumanTask.objects.filter(ticket=ticket, state__in=actions.OPEN_STATES)
    return tasks.get(bpmn_id=bpmn_id) if bpmn_id else tasks.get()


def at_diagnose(cast):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    ticket = actions.do_complete_task(cast["alice"], open_task(ticket).id, {"accepted": True})
    data = {"visit_date": "2026-11-24", "technician": "tom"}
    return actions.do_complete_task(cast["alice"], open_task(ticket).id, data)


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def kinds(ticket):
    return list(ticket.events.values_list("kind", flat=True))


def test_operations_offered_follow_the_bpmn_declaration(cast, repair):
    ticket = at_diagnose(cast)
    task = open_task(ticket)
    assert operations.allowed_operations(cast["tom"], task) == [
        "claim",
        "comment",
        "release",
        "request_info",
        "send_back",
        "transfer",
    ]
    assert operations.allowed_operations(cast["carol"], task) == []  # not her step
    assert operations.allowed_operations(cast["bob"], task)  # supervisors may do all
    response = client_for(cast["tom"]).get(f"/api/v1/tasks/{task.id}/operations").json()
    assert response["send_back_targets"] == ["schedule_visit"]


def test_release_and_transfer(cast, repair):
    ticket = at_diagnose(cast)
    task = open_task(ticket)
    assert task.assignee == cast["tom"]  # the only technician: least loaded
    with pytest.raises(actions.Forbidden):
        operations.do_release(cast["carol"], task.id)
    released = post(client_for(cast["tom"]), f"/api/v1/tasks/{task.id}/release")
    assert released.status_code == 200 and released.json()["assignee"] is None

    tom = client_for(cast["tom"])
    moved = post(
        tom,
        f"/api/v1/tasks/{task.id}/transfer",
        {"to_user": "alice", "reason": "she knows the customer"},
    )
    assert moved.status_code == 200 and moved.json()["assignee"] == "alice"
    assert (
        post(tom, f"/api/v1/tasks/{task.id}/transfer", {"to_user": "alice"}).status_code == 403
    )  # no longer his
    queue = operations.do_transfer(
        cast["bob"], task.id, to_group="technicians", reason="back to the pool"
    )
    assert queue.assignee is None and [g.name for g in queue.candidate_groups.all()] == [
        "technicians"
    ]
    assert kinds(ticket).count("transferred") == 2 and "released" in kinds(ticket)
    bad = post(
        client_for(cast["bob"]),
        f"/api/v1/tasks/{task.id}/transfer",
        {"to_user": "alice", "to_group": "x"},
    )
    assert bad.status_code == 400


def test_send_back_resets_to_the_earlier_step(cast, repair):
    ticket = at_diagnose(cast)
    task = open_task(ticket)
    with pytest.raises(actions.ActionError, match="reason"):
        operations.do_send_back(cast["tom"], task.id, "schedule_visit", "")
    with pytest.raises(actions.ActionError, match="cannot send back"):
        operations.do_send_back(cast["tom"], task.id, "accept", "wrong step")
    response = post(
        client_for(cast["tom"]),
        f"/api/v1/tasks/{task.id}/send-back",
        {"to": "schedule_visit", "reason": "customer not home"},
    )
    assert response.status_code == 200
    again = open_task(ticket)
    assert again.bpmn_id == "schedule_visit" and again.assignee == cast["alice"]
    assert HumanTask.objects.get(id=task.id).state == "cancelled"
    assert "sent_back" in kinds(ticket)
    ticket = actions.do_complete_task(
        cast["alice"], again.id, {"visit_date": "2026-11-25", "technician": "tom"}
    )
    assert open_task(ticket).bpmn_id == "diagnose" and ticket.data["visit_date"] == "2026-11-25"


def test_reject_sends_the_quote_back_to_diagnosis_and_approve_moves_on(cast, repair):
    ticket = at_diagnose(cast)
    data = {"diagnosis": "fan", "needs_parts": True, "labor_hours": 1, "parts_cost": "50"}
    ticket = actions.do_complete_task(cast["tom"], open_task(ticket).id, data)
    approval = open_task(ticket)
    with pytest.raises(actions.Forbidden):
        operations.do_decide(cast["tom"], approval.id, True)
    carol = client_for(cast["carol"])
    rejected = post(carol, f"/api/v1/tasks/{approval.id}/reject", {"comment": "too expensive"})
    assert rejected.status_code == 200 and rejected.json()["open_tasks"][0]["bpmn_id"] == "diagnose"
    ticket = actions.do_complete_task(
        cast["tom"], open_task(ticket).id, {**data, "parts_cost": "30"}
    )
    approved = post(carol, f"/api/v1/tasks/{open_task(ticket).id}/approve", {})
    assert (
        approved.status_code == 200 and approved.json()["open_tasks"][0]["bpmn_id"] == "repair_work"
    )


def test_request_info_pauses_until_the_customer_replies(cast, repair):
    ticket = at_diagnose(cast)
    task = open_task(ticket)
    asked = post(
        client_for(cast["tom"]),
        f"/api/v1/tasks/{task.id}/request-info",
        {"question": "Which model?"},
    )
    assert asked.status_code == 200
    task.refresh_from_db()
    assert task.sla_paused_at is not None and task.next_sla_at is None
    operations.do_comment(None, ticket.id, "It is a Gree KFR-35", source="customer")
    task.refresh_from_db()
    assert task.sla_paused_at is None
    assert kinds(ticket)[-4:] == [
        "info_requested",
        "message_posted",  # the question, a public reply
        "message_posted",  # the customer's answer
        "info_received",
    ]


def test_comments_need_access_to_the_ticket(cast, repair):
    ticket = at_diagnose(cast)
    ok = post(
        client_for(cast["tom"]), f"/api/v1/tickets/{ticket.number}/comments", {"body": "on my way"}
    )
    assert ok.status_code == 201
    timeline = client_for(cast["tom"]).get(f"/api/v1/tickets/{ticket.number}/events").json()
    assert timeline["items"][-1]["kind"] == "message_posted"
    assert timeline["items"][-1]["detail"]["visibility"] == "internal"
    assert ticket.messages.get().body == "on my way"
    assert (
        post(
            client_for(cast["carol"]), f"/api/v1/tickets/{ticket.number}/comments", {"body": "x"}
        ).status_code
        == 404
    )
    assert (
        post(
            client_for(cast["tom"]), f"/api/v1/tickets/{ticket.number}/comments", {"body": " "}
        ).status_code
        == 400
    )


def test_operations_from_the_task_page(cast, repair):
    ticket = at_diagnose(cast)
    task = open_task(ticket)
    tom = client_for(cast["tom"])
    page = tom.get(f"/tasks/{task.id}/").content.decode()
    assert "Send back" in page and "Ask the customer" in page and "Approve" not in page
    refused = tom.post(f"/tasks/{task.id}/op/send_back/", {"to": "accept", "reason": "x"})
    assert refused.status_code == 302 and open_task(ticket).id == task.id
    done = tom.post(
        f"/tasks/{task.id}/op/send_back/", {"to": "schedule_visit", "reason": "wrong date"}
    )
    assert done.status_code == 302 and open_task(ticket).bpmn_id == "schedule_visit"
    assert (
        client_for(cast["carol"]).post(f"/tasks/{task.id}/op/comment/", {"body": "hi"}).status_code
        == 404
    )


def test_the_approval_page_offers_one_way_to_decide(cast, repair):
    ticket = at_diagnose(cast)
    data = {"diagnosis": "fan", "needs_parts": True, "labor_hours": 1, "parts_cost": "50"}
    ticket = actions.do_complete_task(cast["tom"], open_task(ticket).id, data)
    approval = open_task(ticket)
    carol = client_for(cast["carol"])
    page = carol.get(f"/tasks/{approval.id}/").content.decode()
    # The form's decision field is the Approve and Reject buttons; no second pair of
    # operation dialogs and no "Decision" radios beside them.
    assert 'name="approved" value="true"' in page and 'name="approved" value="false"' in page
    assert 'type="radio" name="approved"' not in page
    assert f"op{approval.id}-approve" not in page and f"op{approval.id}-reject" not in page

    refused = carol.post(f"/tasks/{approval.id}/", {"approved": "false"}, follow=True)
    assert "say why it is rejected" in refused.content.decode()
    assert open_task(ticket).bpmn_id == "approve_quote"

    carol.post(f"/tasks/{approval.id}/", {"approved": "false", "comment": "too expensive"})
    assert open_task(ticket).bpmn_id == "diagnose"
    assert ticket.events.filter(kind="rejected", detail__reason="too expensive").exists()
    ticket = actions.do_complete_task(
        cast["tom"], open_task(ticket).id, {**data, "parts_cost": "30"}
    )
    again = open_task(ticket)
    carol.post(f"/tasks/{again.id}/", {"approved": "true", "comment": "fine"})
    assert open_task(ticket).bpmn_id == "repair_work"
    assert ticket.events.filter(kind="approved", task=again).exists()
