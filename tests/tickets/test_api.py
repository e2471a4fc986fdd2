"""The /api/v1 endpoints as an integrator and an agent use them."""

import json

import pytest
from django.test import Client

from definitions.models import DecisionVersion, ProcessVersion
from tests.conftest import FIXTURES, PROCESSES, repair_start

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def repair_bundle():
    from definitions.deploy import read_bundle_folder

    name, text, files = read_bundle_folder(PROCESSES / "repair.bpmn")
    return {"bpmn_filename": name, "bpmn": text, "files": files}


def test_deploy_start_work_and_read_a_ticket_over_the_api(cast):
    dave, alice = client_for(cast["dave"]), client_for(cast["alice"])
    response = post(dave, "/api/v1/processes", repair_bundle())
    assert response.status_code == 201, response.content
    assert (
        response.json()["version"]["key"] == "repair" and response.json()["version"]["version"] == 1
    )
    assert post(dave, "/api/v1/processes", repair_bundle()).status_code == 200  # unchanged

    response = post(
        alice,
        "/api/v1/tickets",
        {"process": "repair", "data": repair_start(), "channel": "phone"},
    )
    assert response.status_code == 201, response.content
    ticket = response.json()
    assert ticket["channel"] == "phone" and ticket["open_tasks"][0]["bpmn_id"] == "accept"

    mine = alice.get("/api/v1/tasks").json()  # the assignment table: round robin, alice
    assert [(t["bpmn_id"], t["assignee"]) for t in mine] == [("accept", "alice")]
    task_id = mine[0]["id"]
    assert post(alice, f"/api/v1/tasks/{task_id}/claim", {}).status_code == 409
    assert post(alice, f"/api/v1/tasks/{task_id}/release", {}).status_code == 200
    assert [t["id"] for t in alice.get("/api/v1/tasks?scope=group").json()] == [task_id]
    assert post(alice, f"/api/v1/tasks/{task_id}/claim", {}).json()["assignee"] == "alice"
    done = post(alice, f"/api/v1/tasks/{task_id}/complete", {"data": {"accepted": True}})
    assert done.status_code == 200 and done.json()["open_tasks"][0]["bpmn_id"] == "schedule_visit"
    again = post(alice, f"/api/v1/tasks/{task_id}/complete", {"data": {"accepted": True}})
    assert again.status_code == 409 and "done" in again.json()["detail"]

    read = alice.get(f"/api/v1/tickets/{ticket['number']}/events").json()
    kinds = [e["kind"] for e in read["items"]]
    assert kinds[:5] == ["created", "decision", "task_created", "assigned", "sla_started"]
    assert client_for(cast["carol"]).get(f"/api/v1/tickets/{ticket['number']}").status_code == 404


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda b: b.update(bpmn="<bpmn:definitions"), "malformed XML"),
        (
            lambda b: b.update(
                bpmn=b["bpmn"]
                .replace('<bpmn:process id="repair"', "<bpmn:process id='repair'")
                .replace("</bpmn:definitions>", "")
            ),
            "malformed XML",
        ),
        (lambda b: b["files"].pop("triage.dmn"), "'triage'"),
        (lambda b: b["files"].pop("repair-accept.schema.json"), "repair-accept.schema.json"),
        (
            lambda b: b.update(bpmn=b["bpmn"].replace("pricing.quote", "pricing.nope")),
            "pricing.nope",
        ),
        (
            lambda b: b.update(
                bpmn='<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
            ),
            "DOCTYPE",
        ),
    ],
)
def test_a_bad_bundle_is_rejected_with_a_clear_message_and_nothing_stored(cast, mutate, message):
    bundle = repair_bundle()
    mutate(bundle)
    response = post(client_for(cast["dave"]), "/api/v1/processes", bundle)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert ProcessVersion.objects.count() == 0 and DecisionVersion.objects.count() == 0


def test_a_call_activity_to_an_unknown_process_is_rejected(cast):
    text = (
        (FIXTURES / "payment.bpmn")
        .read_text()
        .replace(
            '<bpmn:userTask id="send_invoice" name="Send the invoice">',
            '<bpmn:callActivity id="send_invoice" name="Send the invoice" calledElement="no_such_process">',
        )
        .replace(
            "</bpmn:userTask>\n    <bpmn:intermediateCatchEvent",
            "</bpmn:callActivity>\n    <bpmn:intermediateCatchEvent",
            1,
        )
    )
    response = post(
        client_for(cast["dave"]),
        "/api/v1/processes",
        {"bpmn_filename": "payment.bpmn", "bpmn": text},
    )
    assert response.status_code == 400 and "no_such_process" in response.json()["detail"]


def test_only_users_allowed_to_deploy_may_deploy(cast):
    response = post(client_for(cast["alice"]), "/api/v1/processes", repair_bundle())
    assert response.status_code == 403


def test_starting_an_unknown_process_is_a_404(cast):
    response = post(client_for(cast["alice"]), "/api/v1/tickets", {"process": "nope"})
    assert response.status_code == 404 and "nope" in response.json()["detail"]


def test_message_endpoint_correlates_by_key(cast):
    dave = client_for(cast["dave"])
    text = (FIXTURES / "payment.bpmn").read_text()
    assert (
        post(dave, "/api/v1/processes", {"bpmn_filename": "payment.bpmn", "bpmn": text}).status_code
        == 201
    )
    ticket = post(
        dave, "/api/v1/tickets", {"process": "payment", "correlation_key": "INV-1"}
    ).json()
    post(dave, f"/api/v1/tasks/{ticket['open_tasks'][0]['id']}/complete", {"data": {}})
    missing = post(
        dave, "/api/v1/messages", {"name": "payment_received", "correlation_key": "INV-2"}
    )
    assert missing.status_code == 404
    ok = post(
        dave,
        "/api/v1/messages",
        {"name": "payment_received", "correlation_key": "INV-1", "payload": {"amount": 5}},
    )
    assert ok.status_code == 200 and ok.json()["data"]["paid_amount"] == 5


def test_openapi_document_lists_the_endpoints(cast):
    doc = client_for(cast["alice"]).get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/processes",
        "/api/v1/tickets",
        "/api/v1/tasks/{task_id}/complete",
        "/api/v1/messages",
    ):
        assert path in doc["paths"]
