"""Canary scan: a value planted in every masked and hidden field of the repair process must
not come out of any output for a reader who may not see it.

repair.fields.json masks `customer_phone` for finance and hides `note` from finance and
technicians. The ticket runs the repair forms and rules through the steps that carry data
elsewhere (tests/security/fixtures/repair.bpmn): a notification (in-app, e-mail, SMS to an
outside address, webhook), a decision fed with both fields (inputs keyed by label, one
output copying the phone under another name), a comment quoting them, a title naming the
phone, and a check script whose failure message quotes both. Then every output is fetched
as carol (finance: neither in clear), tom (technician: no note), the customer's tracking
page and the webhook subscriber (neither); alice (dispatcher) is the control who sees both,
so the scan cannot pass by the canaries never having been planted.
"""

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from definitions.deploy import deploy_bundle, read_bundle_folder
from notify.delivery import deliver_pending
from notify.models import ChannelPreference, OutboxMessage, WebhookSubscription
from tests.conftest import PROCESSES, repair_start
from tickets import actions, operations
from tickets.models import HumanTask, Ticket

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PHONE = "13755501234"  # customer_phone: masked for finance
PHONE_MASKED = "137****1234"
NOTE = "NOTE-CANARY-7Q2X-door-code-4411"  # note: hidden from finance and technicians


def deploy_canary_repair():
    _name, _text, files = read_bundle_folder(PROCESSES / "repair.bpmn")
    files["contact_audit.dmn"] = (FIXTURES / "contact_audit.dmn").read_text(encoding="utf-8")
    text = (FIXTURES / "repair.bpmn").read_text(encoding="utf-8")
    return deploy_bundle("repair.bpmn", text, files)[0]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def leaks(text: str) -> list[str]:
    """The canaries found in `text`, also when the phone is spelled with separators."""
    found = [c for c in (PHONE, NOTE) if c.lower() in text.lower()]
    if PHONE not in found and PHONE in re.sub(r"[\s()+-]", "", text):
        found.append(PHONE + " (with separators)")
    return found


def task_of(ticket: Ticket, bpmn_id: str) -> HumanTask:
    return ticket.tasks.get(bpmn_id=bpmn_id, state__in=actions.OPEN_STATES)


@pytest.fixture
def canary_ticket(cast, settings):
    settings.FLOWDESK_SMS_URL = ""  # the SMS provider is not configured: the row stays put
    for name in ("alice", "tom", "carol"):
        cast[name].email = f"{name}@flowdesk.example"
        cast[name].save(update_fields=["email"])
        ChannelPreference.objects.create(user=cast[name], phone="13900000001")
    deploy_canary_repair()
    WebhookSubscription.objects.create(
        url="https://hooks.example.com/flowdesk", secret="s3cret", event_types=["*"]
    )
    alice = login(cast["alice"])
    started = alice.post(
        "/api/v1/tickets",
        json.dumps(
            {
                "process": "repair",
                "title": f"Call back on {PHONE}",
                "data": repair_start(customer_phone=PHONE, description=f"ring {PHONE}"),
            }
        ),
        content_type="application/json",
    )
    assert started.status_code == 201, started.content
    ticket = Ticket.objects.get(number=started.json()["number"])
    accept = task_of(ticket, "accept")
    actions.do_complete_task(cast["alice"], accept.id, {"accepted": True, "note": NOTE})
    operations.do_comment(cast["alice"], ticket.id, f"Customer: ring {PHONE} first. {NOTE}")
    diagnose = task_of(ticket, "diagnose")
    actions.do_complete_task(
        cast["tom"], diagnose.id, {"needs_parts": False, "labor_hours": 1, "diagnosis": "fan"}
    )
    approve = task_of(ticket, "approve_quote")
    carol = login(cast["carol"])
    completed = carol.post(
        f"/api/v1/tasks/{approve.id}/complete",
        json.dumps({"data": {"approved": True}}),
        content_type="application/json",
    )
    assert completed.status_code == 200, completed.content
    ticket.refresh_from_db()
    # The canaries were planted where the scan will look.
    assert (
        ticket.incident and NOTE in ticket.incident["error"] and PHONE in ticket.incident["error"]
    )
    decision = ticket.events.get(kind="decision", detail__decision_id="contact_audit").detail
    assert PHONE in decision["inputs"].values() and decision["outputs"]["callback_number"] == PHONE
    assert ticket.data["note"] == NOTE and ticket.data["callback_number"] == PHONE
    webhook_rows = list(OutboxMessage.objects.filter(channel="webhook"))
    assert webhook_rows
    # No network here: the subscriber is switched off before the delivery pass, which turns
    # the in-app rows into inbox messages; the payload scanned is the one it would be sent.
    WebhookSubscription.objects.update(active=False)
    deliver_pending()
    return ticket, completed.content.decode()


def outputs_for(client: Client, ticket: Ticket, user) -> dict[str, str]:
    """Every page and response this user can read about the ticket."""
    pages = {
        "api ticket": f"/api/v1/tickets/{ticket.number}",
        "api events": f"/api/v1/tickets/{ticket.number}/events?limit=200",
        "api search": "/api/v1/tickets",
        "api search by text": "/api/v1/tickets?q=Call",
        "api tasks": "/api/v1/tasks?scope=all",
        "html ticket": f"/tickets/{ticket.number}/",
        "html list": "/tickets/",
        "html worklist": "/tasks/",
        "inbox": "/notify/inbox/",
    }
    seen = {}
    for label, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (label, response.status_code)
        seen[label] = response.content.decode()
    for task in ticket.tasks.all():
        response = client.get(f"/tasks/{task.id}/")
        if response.status_code == 200:
            seen[f"html task {task.bpmn_id}"] = response.content.decode()
    for row in OutboxMessage.objects.filter(recipient=user):
        seen[f"outbox {row.channel}"] = f"{row.subject}\n{row.body}\n{json.dumps(row.payload)}"
    return seen


def test_the_canaries_come_out_only_where_the_reader_may_see_them(cast, canary_ticket):
    ticket, carols_completion = canary_ticket

    alice = outputs_for(login(cast["alice"]), ticket, cast["alice"])
    assert NOTE in alice["api ticket"] and PHONE in alice["api ticket"]  # the control
    assert NOTE in alice["inbox"] and NOTE in alice["html ticket"]

    carol = outputs_for(login(cast["carol"]), ticket, cast["carol"])
    carol["api completion"] = carols_completion
    assert {"outbox inapp", "outbox email", "html task approve_quote"} <= set(carol)
    for label, text in carol.items():
        assert not leaks(text), f"finance sees {leaks(text)} in {label}"
    api = json.loads(carol["api ticket"])
    assert api["data"]["customer_phone"] == PHONE_MASKED and "note" not in api["data"]
    assert PHONE_MASKED in api["incident"]["error"] and "[hidden]" in api["incident"]["error"]
    assert api["title"] == f"Call back on {PHONE_MASKED}"
    events = json.loads(carol["api events"])["items"]
    audit = next(e for e in events if e["detail"].get("decision_id") == "contact_audit")
    assert audit["detail"]["outputs"]["callback_number"] == PHONE_MASKED
    assert "[hidden]" in audit["detail"]["inputs"].values()
    assert f"on {PHONE_MASKED}. Note: . Callback: {PHONE_MASKED}" in carol["outbox inapp"]

    # Searching for the hidden value is no oracle either.
    found = login(cast["carol"]).get(f"/api/v1/tickets?q={PHONE}").json()["items"]
    assert found == []
    assert len(login(cast["alice"]).get(f"/api/v1/tickets?q={PHONE}").json()["items"]) == 1

    tom = outputs_for(login(cast["tom"]), ticket, cast["tom"])
    assert PHONE in tom["api ticket"]  # technicians call the customer
    for label, text in tom.items():
        assert NOTE not in text, f"a technician sees the note in {label}"

    outside = {
        "tracking page": Client().get(f"/t/{ticket.tracking_token}/").content.decode(),
        **{
            f"{row.channel} to {row.address}": json.dumps(
                {"subject": row.subject, "body": row.body, "payload": row.payload}
            )
            for row in OutboxMessage.objects.filter(recipient=None)
        },
    }
    assert any(label.startswith("webhook") for label in outside)
    assert any(label.startswith("sms to 13900000000") for label in outside)
    for label, text in outside.items():
        assert not leaks(text), f"{leaks(text)} in {label}"
    payload = OutboxMessage.objects.filter(channel="webhook").first().payload
    assert payload["data"]["customer_phone"] == PHONE_MASKED and "note" not in payload["data"]


def test_a_reader_computes_access_once_per_template_version(
    cast, repair, django_assert_num_queries
):
    from tickets.visibility import Reader

    first = actions.do_start_ticket(cast["alice"], "repair", repair_start(customer_phone=PHONE))
    second = actions.do_start_ticket(cast["alice"], "repair", repair_start(customer_phone=PHONE))
    first, second = (Ticket.objects.get(id=t.id) for t in (first, second))
    reader = Reader.staff(cast["carol"])
    reader.view(first)  # roles and the template's access
    with django_assert_num_queries(0):
        assert reader.view(second).text(f"call {PHONE}") == f"call {PHONE_MASKED}"
        assert reader.view(first).data(first.data)["customer_phone"] == PHONE_MASKED
