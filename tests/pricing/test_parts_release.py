"""Held parts go back to the shelf when a ticket is cancelled or sent back before them."""

from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from pricing.actions import do_reserve_part
from pricing.models import Reservation, StockLevel
from tests.conftest import deploy_file
from tests.pricing.support import catalog
from tickets import actions, operations
from tickets.models import HumanTask

FIXTURE = Path(__file__).parent / "fixtures" / "reserve_flow.bpmn"
PARTS = {"parts": [{"sku": "P-1", "warehouse": "WH-BJ", "quantity": 3}]}


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("stock moves are row-locked PostgreSQL updates")


def _open(ticket, bpmn_id):
    return HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=actions.OPEN_STATES)


def _shelf():
    stock = StockLevel.objects.get()
    return stock.on_hand, stock.reserved


def _at_work(cast):
    catalog()
    deploy_file(FIXTURE)
    ticket = actions.do_start_ticket(cast["alice"], "reserve_flow", {})
    ticket = actions.do_complete_task(cast["tom"], _open(ticket, "diagnose").id, PARTS)
    assert ticket.incident is None and _shelf() == (10, 3)
    return actions.do_complete_task(cast["alice"], _open(ticket, "approve").id, {})


@pytest.mark.django_db
def test_cancelling_a_ticket_releases_its_parts(cast):
    ticket = _at_work(cast)
    do_reserve_part(ticket_id="OTHER-1", sku="P-1", warehouse="WH-BJ", quantity=2)
    actions.do_cancel_ticket(cast["bob"], ticket.id, "customer withdrew")
    assert _shelf() == (10, 2)  # the other ticket's hold stays
    assert list(Reservation.objects.filter(ticket_id=ticket.number).values_list("state")) == [
        ("released",)
    ]
    event = ticket.events.get(kind="parts_released")
    assert event.actor == cast["bob"] and event.detail["reason"] == "cancelled"
    assert event.detail["parts"] == [
        {"sku": "P-1", "name": "Refrigerant R32", "warehouse": "WH-BJ", "quantity": 3}
    ]


@pytest.mark.django_db
def test_a_send_back_releases_only_the_parts_reserved_since_the_target_step_opened(cast):
    ticket = _at_work(cast)
    # Back to the approval: the parts were reserved before it opened, so they stay held.
    ticket = operations.do_send_back(cast["tom"], _open(ticket, "work").id, "approve", "ask again")
    assert _shelf() == (10, 3) and not ticket.events.filter(kind="parts_released").exists()
    again = _open(ticket, "approve")
    ticket = actions.do_complete_task(again.assignee or cast["alice"], again.id, {})

    # Back to the diagnosis: its reservation is undone with it, then made afresh.
    ticket = operations.do_send_back(cast["tom"], _open(ticket, "work").id, "diagnose", "recheck")
    assert _shelf() == (10, 0)
    assert ticket.events.get(kind="parts_released").detail["reason"] == "sent_back"
    page = Client()
    page.force_login(cast["tom"])
    shown = page.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Parts went back to stock because the work was sent back" in shown
    ticket = actions.do_complete_task(cast["tom"], _open(ticket, "diagnose").id, PARTS)
    assert _shelf() == (10, 3)
    states = Reservation.objects.filter(ticket_id=ticket.number).values_list("state", flat=True)
    assert sorted(states) == ["released", "reserved"]


@pytest.mark.django_db
def test_consumed_parts_stay_consumed_when_the_ticket_is_cancelled(cast):
    from pricing.actions import do_consume_reservations

    ticket = _at_work(cast)
    do_consume_reservations(ticket.number)
    actions.do_cancel_ticket(cast["bob"], ticket.id, "")
    assert _shelf() == (7, 0)
    assert not ticket.events.filter(kind="parts_released").exists()
