"""The appointments API as integrators use it: Wang Fang's app lists the salon's services
and free slots, books one for her ticket (idempotently), moves it, and Lily checks in and
out; Li Lei's token sees none of it; a slot taken meanwhile is a 409 that changes nothing,
also when several reschedules race for it on PostgreSQL."""

import datetime as dt
import json
import threading

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client

from integrations.actions import do_create_token
from scheduling.models import Booking, Resource, Service
from tests.conftest import PROCESSES, deploy_file
from tickets import actions
from tickets.models import HumanTask, Ticket

from .conftest import next_monday

READ, WRITE = "appointments:read", "appointments:write"
START = {
    "customer_name": "Wang Fang",
    "customer_phone": "13812341234",
    "appointment_service": "facial",
}


def key(code: str, at: dt.datetime) -> str:
    return f"{code}@{at.astimezone(dt.UTC).isoformat()}"


def token(user, *scopes) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {do_create_token(user, 'app', list(scopes))[1]}"}


def post(auth, path, body=None, **headers):
    return Client().post(
        path, json.dumps(body or {}), content_type="application/json", **auth, **headers
    )


def get(auth, path, **params):
    return Client().get(path, params, **auth)


@pytest.fixture
def salon(cast, shop):
    lily = User.objects.create_user("lily", is_staff=True)
    lily.groups.add(Group.objects.get_or_create(name="beauticians")[0])
    cast["alice"].groups.add(Group.objects.get_or_create(name="front_desk")[0])
    Resource.objects.create(
        code="lily-room",
        name="Lily (Room 2)",
        kind="room",
        user=lily,
        calendar=shop["calendar"],
        region="east",
    )
    Service.objects.filter(code="facial").update(resource_kind="room")
    deploy_file(PROCESSES / "beauty_salon.bpmn")
    wang = User.objects.create_user("wang")
    li = User.objects.create_user("li")
    return {**shop, **cast, "lily": lily, "wang": wang, "li": li}


def test_services_and_free_slots_with_filters_and_clear_errors(salon):
    auth = token(salon["wang"], READ)
    services = get(auth, "/api/v1/appointments/services").json()
    assert {s["code"]: s["minutes"] for s in services} == {"aircon-repair": 60, "facial": 90}
    assert next(s for s in services if s["code"] == "aircon-repair")["skill"] == "aircon"

    monday = next_monday(0)
    window = {"since": monday.isoformat(), "until": (monday + dt.timedelta(days=1)).isoformat()}
    slots = get(auth, "/api/v1/appointments/slots", service="facial", **window).json()
    assert [s["slot"] for s in slots][:2] == [
        key("lily-room", next_monday(9)),
        key("room-1", next_monday(9)),
    ]
    assert len(slots) == 10  # two rooms, five 90-minute slots each
    east = get(auth, "/api/v1/appointments/slots", service="facial", region="east", **window).json()
    assert {s["resource"] for s in east} == {"lily-room"}
    skilled = get(
        auth, "/api/v1/appointments/slots", service="aircon-repair", skill="aircon", **window
    )
    assert {s["resource"] for s in skilled.json()} == {"tom", "jerry"}
    assert (
        get(auth, "/api/v1/appointments/slots", service="facial", skill="nails", **window).json()
        == []
    )

    unknown = get(auth, "/api/v1/appointments/slots", service="botox")
    assert unknown.status_code == 404 and "botox" in unknown.json()["detail"]
    naive = get(auth, "/api/v1/appointments/slots", service="facial", since="2026-12-07T09:00:00")
    assert naive.status_code == 422 and "UTC offset" in json.dumps(naive.json())
    too_long = get(
        auth,
        "/api/v1/appointments/slots",
        service="facial",
        since=window["since"],
        until=(monday + dt.timedelta(days=90)).isoformat(),
    )
    assert too_long.status_code == 400 and "at most 62 days" in too_long.json()["detail"]
    assert (
        get(token(salon["wang"], "tickets:read"), "/api/v1/appointments/services").status_code
        == 403
    )


def test_the_customer_books_idempotently_moves_and_the_beautician_checks_in_and_out(salon):
    ticket = actions.do_start_ticket(salon["wang"], "beauty_salon", START)
    other = actions.do_start_ticket(salon["li"], "beauty_salon", {**START, "customer_name": "Li"})
    wang = token(salon["wang"], READ, WRITE)
    slot = key("lily-room", next_monday(9))

    first = post(
        wang,
        "/api/v1/appointments",
        {"ticket": ticket.number, "slot": slot},
        HTTP_IDEMPOTENCY_KEY="b-1",
    )
    again = post(
        wang,
        "/api/v1/appointments",
        {"ticket": ticket.number, "slot": slot},
        HTTP_IDEMPOTENCY_KEY="b-1",
    )
    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    booked = first.json()
    assert (booked["ticket"], booked["resource"], booked["status"]) == (
        ticket.number,
        "lily-room",
        "booked",
    )
    assert Booking.objects.filter(ticket_id=ticket.id).count() == 1
    assert HumanTask.objects.filter(ticket=ticket, bpmn_id="treatment").exists()

    li = token(salon["li"], READ, WRITE)
    assert get(li, f"/api/v1/appointments/{booked['id']}").status_code == 404
    assert get(li, "/api/v1/appointments").json() == []
    assert post(li, f"/api/v1/appointments/{booked['id']}/cancel").status_code == 404
    assert (
        post(li, "/api/v1/appointments", {"ticket": ticket.number, "slot": slot}).status_code == 404
    )
    taken = post(li, "/api/v1/appointments", {"ticket": other.number, "slot": slot})
    assert taken.status_code == 409
    assert (
        taken.json()["detail"]
        == "This time was booked by someone else meanwhile. Please pick another."
    )

    moved = post(
        wang,
        f"/api/v1/appointments/{booked['id']}/reschedule",
        {"slot": key("lily-room", next_monday(16))},
    )
    assert moved.status_code == 200
    new = moved.json()
    assert dt.datetime.fromisoformat(new["start"]) == next_monday(16) and new["id"] != booked["id"]
    ticket.refresh_from_db()
    assert ticket.data["appointment"]["appointment_id"] == new["id"]
    assert [
        b["status"] for b in get(wang, "/api/v1/appointments", ticket=ticket.number).json()
    ] == [
        "cancelled",
        "booked",
    ]
    stale = post(wang, f"/api/v1/appointments/{booked['id']}/reschedule", {"slot": slot})
    assert stale.status_code == 409 and "cancelled" in stale.json()["detail"]
    bad = post(wang, f"/api/v1/appointments/{new['id']}/reschedule", {"slot": "lily-room@tomorrow"})
    assert bad.status_code == 400 and bad.json()["detail"] == "Choose one of the times offered."

    assert post(wang, f"/api/v1/appointments/{new['id']}/check-in").status_code == 403
    lily = token(salon["lily"], READ, WRITE)
    came = post(lily, f"/api/v1/appointments/{new['id']}/check-in")
    assert came.status_code == 200 and came.json()["checked_in_at"]
    assert post(lily, f"/api/v1/appointments/{new['id']}/check-in").status_code == 400
    left = post(lily, f"/api/v1/appointments/{new['id']}/check-out").json()
    assert left["status"] == "done" and left["checked_out_at"] >= left["checked_in_at"]
    kinds = list(Ticket.objects.get(id=ticket.id).events.values_list("kind", flat=True))
    assert ["appointment_booked", "appointment_moved", "checked_in", "checked_out"] == [
        k for k in kinds if k.startswith(("appointment", "checked"))
    ]


def test_cancel_frees_the_slot_and_a_ticket_without_appointments_is_refused(salon, repair):
    ticket = actions.do_start_ticket(salon["wang"], "beauty_salon", START)
    wang = token(salon["wang"], READ, WRITE)
    slot = key("lily-room", next_monday(9))
    booked = post(wang, "/api/v1/appointments", {"ticket": ticket.number, "slot": slot}).json()
    cancelled = post(wang, f"/api/v1/appointments/{booked['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    monday = next_monday(0)
    free = get(
        wang, "/api/v1/appointments/slots", service="facial", since=monday.isoformat()
    ).json()
    assert slot in [s["slot"] for s in free]

    from tests.conftest import repair_start

    plain = actions.do_start_ticket(salon["wang"], "repair", repair_start())
    refused = post(wang, "/api/v1/appointments", {"ticket": plain.number, "slot": slot})
    assert refused.status_code == 409 and "does not take appointments" in refused.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_reschedules_racing_for_one_slot_give_it_to_exactly_one(salon):
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL's row locks and exclusion constraint")
    wang = token(salon["wang"], READ, WRITE)
    bookings = []
    for hour in (9, 13, 14.5):
        at = next_monday(int(hour)) + dt.timedelta(minutes=30 if hour % 1 else 0)
        ticket = actions.do_start_ticket(salon["wang"], "beauty_salon", START)
        bookings.append(
            post(
                wang, "/api/v1/appointments", {"ticket": ticket.number, "slot": key("room-1", at)}
            ).json()
        )
    target = key("lily-room", next_monday(16))
    barrier = threading.Barrier(len(bookings))
    outcomes: dict[int, int] = {}

    def move(booking):
        try:
            barrier.wait()
            outcomes[booking["id"]] = post(
                wang, f"/api/v1/appointments/{booking['id']}/reschedule", {"slot": target}
            ).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(b,)) for b in bookings]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == [200, 409, 409]
    assert Booking.objects.filter(resource__code="lily-room", status="booked").count() == 1
    for booking in bookings:  # the losers kept their old time, booked, in their ticket's data
        if outcomes[booking["id"]] == 409:
            assert Booking.objects.get(id=booking["id"]).status == "booked"
            data = Ticket.objects.get(number=booking["ticket"]).data
            assert data["appointment"]["appointment_id"] == booking["id"]


def test_the_api_document_lists_the_operations_with_their_scopes(salon):
    doc = Client().get("/api/v1/openapi.json", **token(salon["dave"], READ)).json()
    slots = doc["paths"]["/api/v1/appointments/slots"]["get"]
    book = doc["paths"]["/api/v1/appointments"]["post"]
    assert READ in json.dumps(slots["security"]) and WRITE in json.dumps(book["security"])
    assert (
        "409" in doc["paths"]["/api/v1/appointments/{booking_id}/reschedule"]["post"]["responses"]
    )
