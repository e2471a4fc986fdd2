"""Acting on a task needs seeing its ticket; messages answer only what the caller may read;
webhook subscriptions made in the admin pass the API's URL check and get a secret."""

import pytest

from notify.models import WebhookSubscription
from tests.conftest import FIXTURES, deploy_file
from tests.integrations.support import post, session_client, token_client, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(cast):
    """dave's payment ticket: its steps name no candidates, so only staff who see it act."""
    deploy_file(FIXTURES / "payment.bpmn")
    dave = session_client(cast["dave"])
    ticket = post(dave, "/api/v1/tickets", {"process": "payment", "correlation_key": "INV-9"})
    assert ticket.status_code == 201, ticket.content
    return ticket.json()


def test_a_staff_user_who_cannot_see_the_ticket_cannot_complete_its_open_task(cast, invoice):
    task_id = invoice["open_tasks"][0]["id"]
    tom = token_client(token_for(cast["tom"], "tasks:write", "tickets:read"))
    assert tom.get(f"/api/v1/tickets/{invoice['number']}").status_code == 404
    refused = post(tom, f"/api/v1/tasks/{task_id}/complete", {"data": {}})
    assert refused.status_code == 403, refused.content
    assert "data" not in refused.json() and invoice["number"] not in refused.content.decode()
    for operation in ("claim", "release", "request-info"):
        body = {"question": "which invoice?"} if operation == "request-info" else {}
        answer = post(tom, f"/api/v1/tasks/{task_id}/{operation}", body)
        assert answer.status_code == 403, (operation, answer.content)
    # the HTML form refuses him too (the same check)
    page = session_client(cast["tom"]).get(f"/tasks/{task_id}/")
    assert page.status_code in (403, 404)

    done = post(session_client(cast["dave"]), f"/api/v1/tasks/{task_id}/complete", {"data": {}})
    assert done.status_code == 200 and done.json()["waiting_messages"] == ["payment_received"]


def test_a_message_needs_its_own_scope_and_returns_no_ticket_the_caller_cannot_see(cast, invoice):
    dave = session_client(cast["dave"])
    post(dave, f"/api/v1/tasks/{invoice['open_tasks'][0]['id']}/complete", {"data": {}})
    message = {"name": "payment_received", "correlation_key": "INV-9", "payload": {"amount": 7}}

    writer = token_client(token_for(cast["alice"], "tickets:write", "tasks:write"))
    assert post(writer, "/api/v1/messages", message).json() == {
        "detail": "token lacks scope messages:write"
    }
    gateway = token_client(token_for(cast["alice"], "messages:write"))
    delivered = post(gateway, "/api/v1/messages", message)
    assert delivered.status_code == 202, delivered.content
    assert delivered.json() == {"detail": "message payment_received delivered"}
    ticket = dave.get(f"/api/v1/tickets/{invoice['number']}").json()
    assert ticket["data"]["paid_amount"] == 7  # delivered, but alice saw none of it


def test_the_admin_checks_webhook_urls_and_generates_the_secret(cast, settings):
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = False
    admin = session_client(cast["dave"])
    url = "/admin/notify/webhooksubscription/add/"
    refused = admin.post(
        url, {"url": "http://127.0.0.1:9/hook", "event_types": '["*"]', "scope": "customer"}
    )
    assert refused.status_code == 200 and "private or loopback" in refused.content.decode()
    assert not WebhookSubscription.objects.exists()

    created = admin.post(
        url,
        {
            "url": "https://93.184.215.14/hook",
            "event_types": '["ticket.created"]',
            "scope": "staff",
            "active": "on",
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    sub = WebhookSubscription.objects.get()
    assert len(sub.secret) >= 32 and sub.created_by == cast["dave"]
    assert sub.event_types == ["ticket.created"] and sub.active
    assert sub.scope == "staff" and sub.reader() == cast["dave"]
