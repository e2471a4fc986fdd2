"""The workbench pages and the field-permission matrix: three roles x three steps of the
repair ticket, in the HTML pages and the API alike (repair.fields.json holds the rules)."""

import json

import pytest
from django.test import Client

from tests.conftest import repair_start
from tickets import actions
from tickets.models import HumanTask

pytestmark = pytest.mark.django_db

PHONE, MASKED = "13812341234", "138****1234"
NOTE = "customer asks for a morning visit"


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def open_task(ticket, bpmn_id):
    return HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=actions.OPEN_STATES)


def test_pages_need_a_login(repair):
    response = Client().get("/tasks/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_agent_raises_and_works_a_ticket_through_html_form_posts(cast, repair):
    alice = client_for(cast["alice"])
    page = alice.get("/tickets/new/repair/")
    assert page.status_code == 200 and 'name="customer_phone"' in page.content.decode()

    bad = alice.post(
        "/tickets/new/repair/",
        {"customer_name": "Wang Fang", "customer_phone": "call me", "region": "tier2"},
    )
    html = bad.content.decode()
    assert bad.status_code == 422
    assert "Please fix" in html and 'value="call me"' in html and 'value="Wang Fang"' in html

    raised = alice.post(
        "/tickets/new/repair/", repair_start(category="fridge", description="no cooling")
    )
    assert raised.status_code == 302
    number = raised["Location"].rstrip("/").rsplit("/", 1)[-1]
    ticket = actions.Ticket.objects.get(number=number)
    assert ticket.channel == "pc" and ticket.data["category"] == "fridge"

    accept = open_task(ticket, "accept")
    assert alice.get("/tasks/").content.decode().count(f"/tasks/{accept.id}/") >= 1
    assert alice.post(f"/tasks/{accept.id}/claim/").status_code == 302
    done = alice.post(f"/tasks/{accept.id}/", {"accepted": "true", "note": NOTE})
    assert done.status_code == 302 and done["Location"] == f"/tickets/{number}/"
    schedule = open_task(ticket, "schedule_visit")
    invalid = alice.post(
        f"/tasks/{schedule.id}/", {"visit_date": "tomorrow", "technician": "nobody"}
    )
    assert invalid.status_code == 422
    assert open_task(ticket, "schedule_visit").id == schedule.id  # nothing changed
    alice.post(f"/tasks/{schedule.id}/", {"visit_date": "2026-11-24", "technician": "tom"})
    page = alice.get(f"/tickets/{number}/").content.decode()
    assert "Diagnose on site" in page and NOTE in page and "alice accepted the ticket" in page


def walk_to(cast, step):
    """A repair ticket with an internal note, advanced to `step`."""
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start(customer_phone=PHONE))
    plan = [
        ("accept", cast["alice"], {"accepted": True, "note": NOTE}),
        ("schedule_visit", cast["alice"], {"visit_date": "2026-11-24", "technician": "tom"}),
        (
            "diagnose",
            cast["tom"],
            {"diagnosis": "compressor", "needs_parts": True, "labor_hours": 1, "parts_cost": "80"},
        ),
    ]
    for bpmn_id, user, data in plan:
        if bpmn_id == step:
            break
        ticket = actions.do_complete_task(user, open_task(ticket, bpmn_id).id, data)
    return ticket


# role -> what they see of the two protected fields: None = the ticket is not theirs (404)
MATRIX = {
    "accept": {"alice": "clear", "tom": None, "carol": None},
    "diagnose": {"alice": "clear", "tom": "no-note", "carol": None},
    "approve_quote": {"alice": "clear", "tom": "no-note", "carol": "masked"},
}


@pytest.mark.parametrize("step", list(MATRIX))
@pytest.mark.parametrize("who", ["alice", "tom", "carol"])
def test_field_permission_matrix_in_html_and_api(cast, repair, step, who):
    ticket = walk_to(cast, step)
    client = client_for(cast[who])
    expected = MATRIX[step][who]
    api = client.get(f"/api/v1/tickets/{ticket.number}")
    task_page = client.get(f"/tasks/{open_task(ticket, step).id}/")
    if expected is None:
        assert api.status_code == 404 and task_page.status_code == 404
        return
    data = api.json()["data"]
    pages = task_page.content.decode() + client.get(f"/tickets/{ticket.number}/").content.decode()
    api_text = json.dumps(api.json(), ensure_ascii=False)
    if step == "accept":
        assert "note" not in data  # not written yet
    elif expected == "clear":
        assert data["note"] == NOTE and NOTE in pages
    else:  # hidden from technicians and finance: absent from API, pages and timeline
        assert "note" not in data and NOTE not in pages and NOTE not in api_text
    if expected == "masked":
        assert data["customer_phone"] == MASKED and MASKED in pages
        assert PHONE not in pages and PHONE not in api_text
    else:
        assert data["customer_phone"] == PHONE


def test_a_read_only_field_cannot_be_written_and_nothing_changes(cast, repair):
    ticket = walk_to(cast, "approve_quote")
    carol = client_for(cast["carol"])
    task = open_task(ticket, "approve_quote")
    html = carol.get(f"/tasks/{task.id}/").content.decode()
    assert 'name="approved"' in html and 'name="diagnosis"' not in html  # shown as text only
    response = carol.post(
        f"/api/v1/tasks/{task.id}/complete",
        json.dumps({"data": {"approved": True, "diagnosis": "nothing wrong"}}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "diagnosis" in response.json()["errors"]
    ticket.refresh_from_db()
    assert ticket.data["diagnosis"] == "compressor"
    assert open_task(ticket, "approve_quote").id == task.id
    ok = carol.post(
        f"/api/v1/tasks/{task.id}/complete",
        json.dumps({"data": {"approved": True}}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["open_tasks"][0]["bpmn_id"] == "repair_work"
