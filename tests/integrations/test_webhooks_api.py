"""The webhook subscriptions API, down to a signed delivery received over real HTTP."""

import pytest

from notify.actions import do_notify
from notify.delivery import deliver_pending
from notify.models import WebhookSubscription
from tests.integrations.support import post, session_client, token_client, token_for
from tests.notify.conftest import Receiver, _start

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    receiver = Receiver()
    server = _start(receiver)
    yield receiver
    server.shutdown()
    server.server_close()


def test_subscribe_receive_a_signed_delivery_and_unsubscribe(cast, receiver, settings):
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    client = token_client(token_for(cast["dave"], "webhooks:manage"))
    created = post(
        client,
        "/api/v1/webhooks",
        {"url": receiver.url + "/hook", "event_types": ["ticket.closed"]},
    )
    assert created.status_code == 201, created.content
    secret, sub = created.json()["secret"], created.json()["subscription"]
    assert len(secret) >= 32 and sub["event_types"] == ["ticket.closed"] and sub["active"]
    listed = client.get("/api/v1/webhooks").json()
    assert [s["id"] for s in listed] == [sub["id"]]
    assert "secret" not in listed[0] and secret not in str(listed)

    receiver.secret = secret  # the receiver checks signatures with what the API gave us
    do_notify("ticket.closed", ticket_id=7, context={"rating": 5})
    do_notify("ticket.created", ticket_id=8, context={})  # not subscribed
    assert deliver_pending() == 1
    (request,) = receiver.received
    assert receiver.signature_results == [True]
    assert request.path == "/hook" and request.json()["event"] == "ticket.closed"

    deleted = client.delete(f"/api/v1/webhooks/{sub['id']}")
    assert deleted.status_code == 200 and deleted.json()["active"] is False
    assert client.get("/api/v1/webhooks").json() == []
    assert client.delete("/api/v1/webhooks/999999").status_code == 404
    do_notify("ticket.closed", ticket_id=9, context={})
    assert deliver_pending() == 0 and len(receiver.received) == 1


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://93.184.215.14/hook", "http or https"),
        ("https://user:pw@93.184.215.14/hook", "credentials"),
        ("http://127.0.0.1:8080/hook", "private or loopback address (127.0.0.1)"),
        ("http://localhost/hook", "private or loopback"),
        ("http://10.1.2.3/hook", "(10.1.2.3)"),
        ("http://192.168.0.10/hook", "private or loopback"),
        ("http://169.254.169.254/latest/meta-data", "(169.254.169.254)"),
        ("http://[::1]/hook", "(::1)"),
        ("http://[::ffff:10.0.0.1]/hook", "private or loopback"),
        ("http://0.0.0.0/hook", "private or loopback"),
        ("not a url", "http or https"),
    ],
)
def test_internal_and_odd_urls_are_refused(cast, url, message):
    response = post(session_client(cast["dave"]), "/api/v1/webhooks", {"url": url})
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not WebhookSubscription.objects.exists()


def test_a_public_address_is_accepted_and_event_types_are_required(cast):
    client = session_client(cast["dave"])
    ok = post(client, "/api/v1/webhooks", {"url": "https://93.184.215.14/hook"})
    assert ok.status_code == 201 and ok.json()["subscription"]["event_types"] == ["*"]
    none = post(client, "/api/v1/webhooks", {"url": "https://93.184.215.14/h", "event_types": []})
    assert none.status_code == 400 and "event type" in none.json()["detail"]


def test_only_permitted_users_manage_webhooks(cast):
    alice = session_client(cast["alice"])
    assert alice.get("/api/v1/webhooks").json() == {
        "detail": "you may not manage webhook subscriptions"
    }
    # the scope does not lift the user's own permissions
    scoped = token_client(token_for(cast["alice"], "webhooks:manage"))
    refused = post(scoped, "/api/v1/webhooks", {"url": "https://93.184.215.14/hook"})
    assert refused.status_code == 403
    sub = WebhookSubscription.objects.create(url="https://93.184.215.14/x", secret="s")
    assert scoped.delete(f"/api/v1/webhooks/{sub.id}").status_code == 403
    assert WebhookSubscription.objects.get(id=sub.id).active
