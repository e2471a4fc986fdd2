"""Part reservations: held, consumed, released; never more than the shelf holds."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from pricing.actions import (
    InsufficientStock,
    UnknownStock,
    do_consume_reservations,
    do_release_reservations,
    do_reserve_part,
)
from pricing.models import Part, Reservation, StockLevel, Warehouse
from tests.integrations.support import post, token_client, token_for
from tickets.models import Ticket


def _stock(on_hand=10, sku="P-1"):
    part = Part.objects.create(
        sku=sku, name="Compressor", unit_cost=Decimal("300"), unit_price=Decimal("450")
    )
    warehouse, _ = Warehouse.objects.get_or_create(code="WH-BJ", defaults={"name": "Beijing"})
    return StockLevel.objects.create(part=part, warehouse=warehouse, on_hand=on_hand)


@pytest.mark.django_db
def test_reserve_consume_and_release_move_the_counts():
    stock = _stock(10)
    do_reserve_part(ticket_id="T1", sku="P-1", warehouse="WH-BJ", quantity=3)
    do_reserve_part(ticket_id="T1", sku="P-1", warehouse="WH-BJ", quantity=2)
    other = do_reserve_part(ticket_id="T2", sku="P-1", warehouse="WH-BJ", quantity=4)
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved, stock.available) == (10, 9, 1)
    with pytest.raises(InsufficientStock, match="only 1 of P-1 available"):
        do_reserve_part(ticket_id="T3", sku="P-1", warehouse="WH-BJ", quantity=2)

    assert [r.quantity for r in do_consume_reservations("T1")] == [3, 2]
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (5, 4)
    assert do_consume_reservations("T1") == []  # nothing held any more: no second booking
    do_release_reservations("T2", [other.id])
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (5, 0)
    assert set(Reservation.objects.values_list("state", flat=True)) == {"consumed", "released"}


@pytest.mark.django_db
def test_bad_reservations_are_refused():
    _stock(5)
    for quantity in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="whole number"):
            do_reserve_part(ticket_id="T", sku="P-1", warehouse="WH-BJ", quantity=quantity)
    with pytest.raises(UnknownStock, match="unknown SKU 'P-9'"):
        do_reserve_part(ticket_id="T", sku="P-9", warehouse="WH-BJ", quantity=1)
    with pytest.raises(UnknownStock, match="unknown warehouse 'WH-X'"):
        do_reserve_part(ticket_id="T", sku="P-1", warehouse="WH-X", quantity=1)


@pytest.mark.django_db
def test_reservation_api(cast, repair):
    from tests.conftest import repair_start
    from tickets.actions import do_start_ticket

    _stock(3)
    number = do_start_ticket(cast["alice"], "repair", repair_start()).number
    client = token_client(token_for(cast["dave"], "pricing:read", "pricing:write"))
    body = {"ticket_id": number, "sku": "P-1", "warehouse": "WH-BJ", "quantity": 2}
    nowhere = post(client, "/api/v1/pricing/reservations", {**body, "ticket_id": "SV-404"})
    assert nowhere.status_code == 404 and nowhere.json() == {"detail": "ticket SV-404 not found"}
    assert post(client, "/api/v1/pricing/reservations/SV-404/release", {}).status_code == 404
    created = post(client, "/api/v1/pricing/reservations", body)
    assert created.status_code == 201 and created.json()["state"] == "reserved"
    assert created.json()["ticket_id"] == number
    assert post(client, "/api/v1/pricing/reservations", body).status_code == 409
    assert post(client, "/api/v1/pricing/reservations", {**body, "sku": "X"}).status_code == 404
    assert post(client, "/api/v1/pricing/reservations", {**body, "quantity": 0}).status_code == 400
    parts = client.get("/api/v1/pricing/parts").json()
    assert parts[0]["stock"] == [
        {"warehouse": "WH-BJ", "on_hand": 3, "reserved": 2, "available": 1}
    ]
    done = post(client, f"/api/v1/pricing/reservations/{number}/consume", {})
    assert [r["state"] for r in done.json()] == ["consumed"]
    listed = client.get(f"/api/v1/pricing/reservations?ticket_id={number}").json()
    assert [(r["quantity"], r["state"]) for r in listed] == [(2, "consumed")]
    ticket_id = Ticket.objects.get(number=number).id  # by id, kept under the number
    again = post(
        client, "/api/v1/pricing/reservations", {**body, "ticket_id": str(ticket_id), "quantity": 1}
    )
    assert again.json()["ticket_id"] == number
    released = post(client, f"/api/v1/pricing/reservations/{ticket_id}/release", {})
    assert [r["id"] for r in released.json()] == [again.json()["id"]]
    reader = token_client(token_for(cast["dave"], "pricing:read", name="ro"))
    assert post(reader, "/api/v1/pricing/reservations", body).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_reservations_never_oversell():
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency is PostgreSQL behaviour")
    stock = _stock(7)
    start = threading.Barrier(20)
    outcomes = []

    def reserve(n):
        try:
            start.wait(10)
            do_reserve_part(ticket_id=f"T{n}", sku="P-1", warehouse="WH-BJ", quantity=1)
            outcomes.append("ok")
        except InsufficientStock:
            outcomes.append("short")
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stock.refresh_from_db()
    assert outcomes.count("ok") == 7 and outcomes.count("short") == 13
    assert (stock.on_hand, stock.reserved) == (7, 7)
    assert Reservation.objects.count() == 7


@pytest.mark.django_db
def test_a_tickets_reservations_are_read_only_by_who_may_see_the_ticket(cast, repair):
    """Alice raised the repair ticket and reads its parts; Tom the technician has no task on
    it and learns nothing, not even that it exists; Carol keeps the stock and reads all."""
    from tests.conftest import repair_start
    from tickets.actions import do_start_ticket

    _stock(5)
    ticket = do_start_ticket(cast["alice"], "repair", repair_start())
    do_reserve_part(ticket_id=ticket.number, sku="P-1", warehouse="WH-BJ", quantity=2)

    def read(user, ref):
        client = token_client(token_for(user, "pricing:read", name=f"ro-{user.username}"))
        return client.get(f"/api/v1/pricing/reservations?ticket_id={ref}")

    for ref in (ticket.number, ticket.id):  # by number or by id, as the ticket endpoints take
        mine = read(cast["alice"], ref)
        assert mine.status_code == 200
        assert [(r["ticket_id"], r["quantity"]) for r in mine.json()] == [(ticket.number, 2)]
    hidden = read(cast["tom"], ticket.number)
    assert hidden.status_code == 404
    assert hidden.json() == {"detail": f"ticket {ticket.number} not found"}
    assert read(cast["tom"], "SV-404").status_code == 404  # absent and hidden look alike
    assert [r["quantity"] for r in read(cast["carol"], ticket.number).json()] == [2]
