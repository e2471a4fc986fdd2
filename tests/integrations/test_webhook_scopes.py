"""Webhook subscriptions have a scope: a customer-facing one gets payloads as the customer
may read them and never an internal note; a staff one gets its creator's view, notes
included. Both over real HTTP, signed."""

import pytest

from notify.delivery import deliver_pending
from notify.fanout import run_pending_fanout
from notify.models import WebhookSubscription
from tests.conftest import repair_start
from tests.integrations.support import post, token_client, token_for
from tests.notify.conftest import Receiver, _start
from tickets import actions, operations
from tickets.visibility import Reader, redact_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def receivers(settings):
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = True  # they listen on 127.0.0.1
    found, servers = {}, []
    for name in ("customer", "staff"):
        found[name] = Receiver()
        servers.append(_start(found[name]))
    yield found
    for server in servers:
        server.shutdown()
        server.server_close()


def subscribe(client, receiver, scope):
    body = {"url": receiver.url + "/hook", "event_types": ["message.created"], "scope": scope}
    created = post(client, "/api/v1/webhooks", body)
    assert created.status_code == 201, created.content
    assert created.json()["subscription"]["scope"] == scope
    receiver.secret = created.json()["secret"]
    return created.json()["subscription"]


def test_a_customer_scope_never_gets_a_note_and_a_staff_scope_gets_its_creators_view(
    cast, repair, receivers
):
    client = token_client(token_for(cast["alice"], "webhooks:manage"))
    cast["alice"].user_permissions.add(_permission("add_webhooksubscription"))
    subscribe(client, receivers["customer"], "customer")
    subscribe(client, receivers["staff"], "staff")
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start(), title="TV")
    phone = ticket.data["customer_phone"]
    operations.do_post_message(cast["alice"], ticket.id, f"NOTE: he is rude, {phone}", public=False)
    reply = f"We will call you at {phone} tomorrow."
    operations.do_post_message(cast["alice"], ticket.id, reply, public=True)
    run_pending_fanout()
    deliver_pending()

    [public] = [r.json()["data"] for r in receivers["customer"].received]
    assert public["visibility"] == "public" and "NOTE" not in str(public)
    assert public["text"] == redact_for(Reader.customer(), ticket, reply)
    assert phone not in public["text"]  # masked for a customer, as on the portal
    staff = [r.json()["data"] for r in receivers["staff"].received]
    assert [d["visibility"] for d in staff] == ["internal", "public"]
    as_alice = Reader.staff(cast["alice"])
    assert staff[0]["text"] == redact_for(as_alice, ticket, f"NOTE: he is rude, {phone}")
    assert staff[1]["text"] == redact_for(as_alice, ticket, reply)
    assert phone in staff[1]["text"]  # an agent reads the phone in clear
    assert all(receiver.signature_results == [True] * len(receiver.received)
               for receiver in receivers.values())  # fmt: skip


def test_a_staff_scope_follows_its_creator(cast, repair, receivers):
    """A creator who leaves (deactivated) leaves the subscription the customer's view."""
    client = token_client(token_for(cast["dave"], "webhooks:manage"))
    sub = subscribe(client, receivers["staff"], "staff")
    cast["dave"].is_active = False
    cast["dave"].save(update_fields=["is_active"])
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start(), title="TV")
    operations.do_post_message(cast["alice"], ticket.id, "internal only", public=False)
    operations.do_post_message(cast["alice"], ticket.id, "Hello", public=True)
    run_pending_fanout()
    deliver_pending()
    assert [r.json()["data"]["text"] for r in receivers["staff"].received] == ["Hello"]
    assert WebhookSubscription.objects.get(id=sub["id"]).reader() is None


def test_an_unknown_scope_is_refused_and_nothing_is_stored(cast):
    client = token_client(token_for(cast["dave"], "webhooks:manage"))
    body = {"url": "https://93.184.215.14/hook", "event_types": ["*"], "scope": "everyone"}
    refused = post(client, "/api/v1/webhooks", body)
    assert 400 <= refused.status_code < 500 and "scope" in refused.content.decode()
    assert not WebhookSubscription.objects.exists()
    default = post(client, "/api/v1/webhooks", {**body, "scope": "customer"})
    assert default.json()["subscription"]["scope"] == "customer"


def _permission(codename):
    from django.contrib.auth.models import Permission

    return Permission.objects.get(codename=codename)
