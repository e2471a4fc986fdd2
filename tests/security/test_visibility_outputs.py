"""Outputs found outside tickets.visibility in the review, now through it: the file names of
message attachments in the API, and the values an incident names (its message code's
parameters) on the ticket page, for a reader the form hides or masks a field from."""

import base64

import pytest

from tests.conftest import _user, repair_start
from tests.integrations.support import post, session_client, token_client, token_for
from tickets import actions
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
PHONE = "13812341234"


@pytest.fixture
def fiona(db):
    """Finance: the repair form masks the customer's phone for her."""
    return _user("fiona", ["finance"])


@pytest.fixture
def ticket(cast, repair, fiona):
    """Alice's repair ticket for Wang Fang, which Fiona raised for her (so she may read it)."""
    started = actions.do_start_ticket(cast["alice"], "repair", repair_start(customer_phone=PHONE))
    Ticket.objects.filter(id=started.id).update(created_by=fiona)
    return Ticket.objects.get(id=started.id)


def test_an_attachment_name_is_scrubbed_like_the_message_body(cast, fiona, ticket):
    photo = {"name": f"call-{PHONE}.png", "content_base64": base64.b64encode(PNG).decode()}
    answer = post(
        session_client(cast["alice"]),
        f"/api/v1/tickets/{ticket.number}/messages/notes",
        {"body": "the photo", "attachments": [photo]},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["attachments"][0]["name"] == f"call-{PHONE}.png"  # alice sees it
    listed = token_client(token_for(fiona, "tickets:read")).get(
        f"/api/v1/tickets/{ticket.number}/messages"
    )
    assert listed.status_code == 200, listed.content
    [attachment] = listed.json()["items"][0]["attachments"]
    assert attachment["name"] == "call-138****1234.png"
    page = session_client(fiona).get(f"/tickets/{ticket.number}/")  # the ticket page too
    assert page.status_code == 200
    assert "call-138****1234.png" in page.text and PHONE not in page.text


def test_the_values_an_incident_names_are_scrubbed_before_they_are_worded(fiona, ticket):
    incident = {
        "task_id": "",
        "bpmn_id": "lookup",
        "task_name": "Look up the customer",
        "error": f"service 'crm.lookup' failed: ValueError: no customer {PHONE}",
        "code": "service_failed",
        "params": {"operator": "crm.lookup", "reason": f"no customer {PHONE}"},
    }
    Ticket.objects.filter(id=ticket.id).update(incident=incident)
    client = session_client(fiona)
    page = client.get(f"/tickets/{ticket.number}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "服务 “crm.lookup” 调用失败：no customer 138****1234。" in text
    assert PHONE not in text


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
