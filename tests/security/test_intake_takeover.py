"""A VIP's phone typed into the anonymous form: the visitor gets no VIP treatment and the
VIP's record is not touched; an agent who has checked confirms the proposed link."""

import json

import pytest
from django.test import Client

from customers.actions import do_link_customer, do_set_tier
from customers.models import Customer, CustomerLinkProposal
from intake.actions import do_publish_intake
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

VISITOR = {
    "name": "韩梅梅",
    "phone": "138 0000 0001",  # 李雷's phone
    "email": "han.meimei@example.cn",
    "title": "Washing machine leaks",
    "description": "Water on the floor after every wash.",
    "category": "washing machine",
    "region": "tier1",
}


@pytest.fixture
def vip(cast, repair):
    do_publish_intake(cast["dave"], "repair")
    customer, _ = do_link_customer(
        {"name": "李雷", "phone": "13800000001", "email": "li.lei@example.cn"}
    )
    return do_set_tier(customer.id, "VIP")


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot(customer: Customer) -> tuple:
    customer.refresh_from_db()
    return (
        customer.name,
        customer.phone,
        customer.email,
        customer.tier,
        customer.wecom_id,
        customer.updated_at,
    )


def test_a_vip_phone_typed_anonymously_grants_nothing_and_changes_nothing(cast, vip):
    before = snapshot(vip)
    response = Client().post("/intake/repair/", VISITOR)
    assert response.status_code == 200, response.content.decode()
    ticket = Ticket.objects.get()
    assert ticket.customer is None
    assert ticket.priority == Ticket.Priority.NORMAL
    assert ticket.tasks.get().priority == Ticket.Priority.NORMAL
    assert ticket.data["customer_tier"] == "standard"
    # The visitor's own details are on the ticket, not the VIP's.
    assert ticket.data["customer_name"] == "韩梅梅"
    assert ticket.data["customer_phone"] == "138 0000 0001"
    assert snapshot(vip) == before
    assert Customer.objects.count() == 1  # no second customer claims the VIP's phone
    proposal = CustomerLinkProposal.objects.get(ticket_id=ticket.id)
    assert (proposal.customer_id, proposal.matched_by, proposal.state) == (
        vip.id,
        "phone",
        "pending",
    )
    assert (proposal.name, proposal.email) == ("韩梅梅", "han.meimei@example.cn")


def test_an_agent_confirms_the_link_and_the_ticket_gets_the_customers_tier(cast, vip):
    Client().post("/intake/repair/", VISITOR)
    ticket = Ticket.objects.get()
    alice = login(cast["alice"])  # the dispatcher whose queue has the ticket
    pending = alice.get(f"/api/v1/tickets/{ticket.number}/customer-links")
    assert pending.status_code == 200
    [link] = pending.json()
    assert link["customer"] == {"id": vip.id, "name": "李雷", "tier": "VIP"}
    assert link["name"] == "韩梅梅" and link["matched_by"] == "phone"
    page = alice.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Link to 李雷" in page and "Unverified" in page

    # Finance has nothing to do with this ticket: it does not exist for them.
    carol = login(cast["carol"])
    url = f"/api/v1/tickets/{ticket.number}/customer-links/{link['id']}/confirm"
    assert carol.post(url).status_code == 404

    confirmed = alice.post(url)
    assert confirmed.status_code == 200, confirmed.content
    body = confirmed.json()
    assert body["customer"] == {"id": vip.id, "name": "李雷", "tier": "VIP"}
    assert body["priority"] == Ticket.Priority.VIP
    ticket.refresh_from_db()
    assert ticket.customer == vip and ticket.tasks.get().priority == Ticket.Priority.VIP
    event = ticket.events.get(kind="customer_linked")
    assert event.actor == cast["alice"] and event.detail["tier"] == "VIP"
    assert CustomerLinkProposal.objects.get().state == "confirmed"
    again = alice.post(url)
    assert again.status_code == 409 and "confirmed already" in again.json()["detail"]
    vip.refresh_from_db()
    assert (vip.name, vip.email) == ("李雷", "li.lei@example.cn")


def test_not_them_drops_the_proposal_from_the_ticket_page(cast, vip):
    Client().post("/intake/repair/", VISITOR)
    ticket = Ticket.objects.get()
    proposal = CustomerLinkProposal.objects.get()
    alice = login(cast["alice"])
    url = f"/tickets/{ticket.number}/customer-links/{proposal.id}/reject/"
    response = alice.post(url)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.customer is None and ticket.priority == Ticket.Priority.NORMAL
    assert CustomerLinkProposal.objects.get().state == "rejected"
    assert "Link to 李雷" not in alice.get(f"/tickets/{ticket.number}/").content.decode()
    assert ticket.events.filter(kind="customer_link_rejected").count() == 1
    wrong = alice.post(
        f"/api/v1/tickets/{ticket.number}/customer-links/{proposal.id}/promote",
        json.dumps({}),
        content_type="application/json",
    )
    assert wrong.status_code == 404
