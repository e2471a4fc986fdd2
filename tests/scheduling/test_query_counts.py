"""The appointment sections read slots and bookings in a fixed number of statements,
however many resources and bookings there are."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling import actions as scheduling
from scheduling.models import Resource
from tests.conftest import PROCESSES, deploy_file
from tickets import actions

from .conftest import next_monday


def _rooms(calendar, first, count):
    for i in range(first, first + count):
        Resource.objects.create(code=f"room-{i}", name=f"Room {i}", kind="room", calendar=calendar)


def _statements(client, url) -> int:
    client.get(url)  # the first request of a process version loads and caches it
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_portal_and_ticket_page_do_not_query_per_slot_or_booking(cast, shop, client):
    deploy_file(PROCESSES / "beauty_salon.bpmn")
    ticket = actions.do_start_ticket(
        cast["alice"],
        "beauty_salon",
        {"customer_name": "Wang", "customer_phone": "13812341234", "appointment_service": "facial"},
    )
    portal = reverse("intake:track", args=[ticket.tracking_token])
    page = reverse("tickets:ticket", args=[ticket.number])
    client.force_login(cast["alice"])
    _rooms(shop["calendar"], 10, 1)
    few = (_statements(client, portal), _statements(client, page))
    _rooms(shop["calendar"], 20, 6)
    for room in Resource.objects.filter(kind="room")[:4]:
        scheduling.do_book(room, next_monday(9), shop["facial"])
        scheduling.do_book(room, next_monday(9) + dt.timedelta(days=1), shop["facial"])
    many = (_statements(client, portal), _statements(client, page))
    assert many == few
