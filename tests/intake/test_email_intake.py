"""Inbound e-mail: a new message raises a ticket, a reply naming it becomes a comment."""

import io
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from customers.actions import do_link_customer
from customers.models import Customer, CustomerLinkProposal
from tests.conftest import deploy_file
from tests.integrations.support import token_client, token_for
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db
INQUIRY = Path(__file__).parent / "fixtures" / "inquiry.bpmn"

NEW_MAIL = """\
From: =?utf-8?b?546L6Iqz?= <Wang.Fang@Example.CN>
To: service@flowdesk.example
Subject: =?utf-8?b?5Yaw566x5LiN5Yi25Ya3?= fridge not cooling
Message-ID: <m1@example.cn>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

The fridge stopped cooling yesterday.
--b1
Content-Type: text/html; charset=utf-8

<p>The fridge <b>stopped</b> cooling yesterday.</p>
--b1--
"""


def reply(number: str, sender="wang.fang@example.cn", message_id="") -> str:
    message_id = message_id or f"<{uuid.uuid4().hex}@example.cn>"
    return (
        f"From: Wang Fang <{sender}>\nSubject: Re: [{number}] fridge not cooling\n"
        f"Message-ID: {message_id}\nContent-Type: text/html; charset=utf-8\n\n"
        "<p>Tomorrow <i>after 3pm</i> suits me.</p>\n"
    )


@pytest.fixture
def inquiry(db, settings):
    settings.FLOWDESK_INTAKE_PROCESS = "inquiry"
    return deploy_file(INQUIRY)


def test_the_command_raises_a_ticket_then_threads_the_reply(inquiry, tmp_path):
    message = tmp_path / "new.eml"
    message.write_text(NEW_MAIL, encoding="utf-8")
    out = io.StringIO()
    call_command("ingest_email", str(message), stdout=out)
    ticket = Ticket.objects.get()
    assert out.getvalue().strip() == f"created {ticket.number}"
    assert ticket.channel == "email" and ticket.title == "冰箱不制冷 fridge not cooling"
    assert ticket.process_version.key == "inquiry"
    assert ticket.customer.email == "wang.fang@example.cn" and ticket.customer.name == "王芳"
    assert ticket.data["description"] == "The fridge stopped cooling yesterday."
    assert ticket.data["customer_tier"] == "standard"

    answer = tmp_path / "reply.eml"
    answer.write_text(reply(ticket.number.lower()), encoding="utf-8")
    out = io.StringIO()
    call_command("ingest_email", str(answer), stdout=out)
    assert out.getvalue().strip() == f"commented on {ticket.number}"
    assert Ticket.objects.count() == 1
    comment = TicketEvent.objects.get(ticket=ticket, kind="message_posted")
    assert comment.detail["from"] == "wang.fang@example.cn"
    assert comment.detail["subject"] == f"Re: [{ticket.number.lower()}] fridge not cooling"
    assert comment.detail["source"] == "email" and comment.detail["author_kind"] == "customer"
    message = ticket.messages.get()
    assert message.body == "Tomorrow after 3pm suits me." and message.visibility == "public"
    assert message.author_name == "Wang Fang"  # as the mail names its sender


def test_the_endpoint_does_the_same_for_a_mail_gateway(cast, inquiry):
    do_link_customer({"name": "Wang Fang", "phone": "13812341234", "email": "wang.fang@example.cn"})
    gateway = token_client(token_for(cast["dave"], "tickets:write"))
    created = gateway.post("/api/v1/intake/email", NEW_MAIL.encode(), content_type="message/rfc822")
    assert created.status_code == 201, created.content
    number = created.json()["ticket"]
    assert created.json()["action"] == "created"
    ticket = Ticket.objects.get(number=number)
    # A From header proves nothing: the known customer is proposed, not linked or changed.
    assert Customer.objects.count() == 1 and ticket.customer is None
    proposal = CustomerLinkProposal.objects.get(ticket_id=ticket.id)
    assert (proposal.customer.phone, proposal.matched_by) == ("+8613812341234", "email")
    assert ticket.data["customer_name"] == "王芳" and ticket.data["customer_tier"] == "standard"

    threaded = gateway.post("/api/v1/intake/email", reply(number), content_type="message/rfc822")
    assert threaded.status_code == 200
    assert threaded.json() == {"action": "commented", "ticket": number, "ticket_id": ticket.id}
    assert ticket.events.filter(kind="message_posted").count() == 1

    # a number that does not exist is a new conversation, not an error
    unknown = gateway.post(
        "/api/v1/intake/email", reply("SV-2020-999999"), content_type="message/rfc822"
    )
    assert unknown.status_code == 201 and Ticket.objects.count() == 2
    empty = gateway.post("/api/v1/intake/email", b"", content_type="message/rfc822")
    assert empty.status_code == 400
    anonymous = gateway.post(
        "/api/v1/intake/email", "Subject: x\n\nno sender", content_type="message/rfc822"
    )
    assert anonymous.status_code == 400 and "From" in anonymous.json()["detail"]


def test_a_process_whose_start_form_needs_more_than_a_mail_says_what(cast, repair, inquiry):
    gateway = token_client(token_for(cast["dave"], "tickets:write"))
    response = gateway.post(
        "/api/v1/intake/email?process=repair", NEW_MAIL, content_type="message/rfc822"
    )
    assert response.status_code == 422
    assert {"customer_phone", "category", "region"} <= set(response.json()["errors"])
    assert not Ticket.objects.exists() and not Customer.objects.exists()
    with pytest.raises(CommandError, match="no process 'nope'"):
        call_command("ingest_email", "-", "--process", "nope", stdin=io.StringIO(NEW_MAIL))
