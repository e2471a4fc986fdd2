"""GET /api/v1/tickets: filters, visibility and keyset pagination."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.actions import do_link_customer, do_set_tier
from tests.conftest import FIXTURES, deploy_file, repair_start
from tests.integrations.support import session_client, token_client, token_for
from tickets import actions, operations
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _start(user, *, title="", channel="api", customer=None, process="repair"):
    data = repair_start() if process == "repair" else {}
    return actions.do_start_ticket(
        user, process, data, title=title, channel=channel, customer=customer
    )


@pytest.fixture
def tickets(cast, repair):
    """Wang Fang (VIP, gas leak), Li Lei by phone, a payment ticket, a cancelled one."""
    deploy_file(FIXTURES / "payment.bpmn")
    wang, _ = do_link_customer({"name": "Wang Fang", "phone": "138 1234 1234"})
    do_set_tier(wang.id, "VIP")
    wang.refresh_from_db()
    li, _ = do_link_customer({"name": "Li Lei", "email": "li.lei@example.cn"})
    alice = cast["alice"]
    made = {
        "wang": _start(alice, title="Fridge is warm", channel="phone", customer=wang),
        "li": _start(alice, title="TV has no sound", channel="email", customer=li),
        "payment": _start(cast["dave"], title="Invoice 7", process="payment"),
        "cancelled": _start(alice, title="Duplicate request"),
    }
    actions.do_cancel_ticket(alice, made["cancelled"].id, "duplicate")
    return made


def _numbers(response):
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


def test_filters(cast, tickets):
    bob = session_client(cast["bob"])  # a supervisor sees every ticket
    n = {key: t.number for key, t in tickets.items()}
    assert _numbers(bob.get("/api/v1/tickets")) == [
        n["cancelled"],
        n["payment"],
        n["li"],
        n["wang"],
    ]
    assert _numbers(bob.get("/api/v1/tickets?status=cancelled")) == [n["cancelled"]]
    assert _numbers(bob.get("/api/v1/tickets?process=payment")) == [n["payment"]]
    assert _numbers(bob.get("/api/v1/tickets?channel=email")) == [n["li"]]
    assert _numbers(bob.get("/api/v1/tickets?min_priority=4")) == [n["wang"]]
    wang = tickets["wang"].customer
    assert _numbers(bob.get(f"/api/v1/tickets?customer={wang.id}")) == [n["wang"]]
    assert _numbers(bob.get("/api/v1/tickets?customer_phone=%2B86-138-1234-1234")) == [n["wang"]]
    assert _numbers(bob.get("/api/v1/tickets?customer_phone=13900000000")) == []
    assert _numbers(bob.get("/api/v1/tickets?q=sound")) == [n["li"]]
    assert _numbers(bob.get(f"/api/v1/tickets?q={n['payment'][-6:]}")) == [n["payment"]]

    Ticket.objects.filter(id=tickets["wang"].id).update(
        created_at=timezone.now() - dt.timedelta(days=3)
    )
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    after = bob.get("/api/v1/tickets", {"created_after": since})
    assert n["wang"] not in _numbers(after) and len(_numbers(after)) == 3
    assert _numbers(bob.get("/api/v1/tickets", {"created_before": since})) == [n["wang"]]

    task = tickets["li"].tasks.get()  # every accept step went to alice, the only dispatcher
    operations.do_transfer(cast["bob"], task.id, to_user="bob", reason="search test")
    assert _numbers(bob.get("/api/v1/tickets?assignee=bob")) == [n["li"]]

    item = bob.get("/api/v1/tickets?channel=phone").json()["items"][0]
    assert item["customer"] == {"id": wang.id, "name": "Wang Fang", "tier": "VIP"}
    assert item["process"] == "repair" and item["priority"] == 4


def test_only_visible_tickets_are_found(cast, tickets):
    assert _numbers(session_client(cast["carol"]).get("/api/v1/tickets")) == []
    found = _numbers(token_client(token_for(cast["dave"], "tickets:read")).get("/api/v1/tickets"))
    assert tickets["payment"].number in found  # dave created it
    alice = set(_numbers(session_client(cast["alice"]).get("/api/v1/tickets")))
    assert tickets["payment"].number not in alice and tickets["wang"].number in alice


def test_cursor_pagination_walks_every_ticket_once(cast, repair):
    made = [_start(cast["alice"], title=f"ticket {i}").number for i in range(7)]
    same_instant = timezone.now() - dt.timedelta(hours=1)  # ties broken by id
    Ticket.objects.filter(number__in=made[:4]).update(created_at=same_instant)
    client = session_client(cast["bob"])
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/tickets", params).json()
        seen += [item["number"] for item in page["items"]]
        pages += 1
        if pages == 1:  # a ticket raised meanwhile is newer: it does not shift later pages
            _start(cast["alice"], title="late")
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(made))


def test_bad_paging_arguments(cast, repair):
    client = session_client(cast["bob"])
    assert client.get("/api/v1/tickets?cursor=zzz").json() == {"detail": "invalid cursor"}
    assert client.get("/api/v1/tickets?limit=101").status_code == 400
    assert client.get("/api/v1/tickets?limit=0").json() == {
        "detail": "limit must be between 1 and 100"
    }
    wrong = client.get("/api/v1/tickets?status=open")
    assert wrong.status_code == 422 and wrong.json()["detail"].startswith("query.status")
