"""Wang Fang books a facial on the portal, Lily gives it (checking in and out on site),
the front desk calls after-care: through the real engine, the portal and the ticket page."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import translation

from scheduling.models import Booking, Resource, Service
from tests.conftest import PROCESSES, deploy_file
from tickets import actions
from tickets.models import HumanTask

from .conftest import next_monday

START = {
    "customer_name": "Wang Fang",
    "customer_phone": "13812341234",
    "appointment_service": "facial",
    "skin_type": "sensitive",
}


@pytest.fixture
def salon(cast, shop):
    lily = User.objects.create_user("lily", password="pw", first_name="Lily", is_staff=True)
    lily.groups.add(Group.objects.get_or_create(name="beauticians")[0])
    cast["alice"].groups.add(Group.objects.get_or_create(name="front_desk")[0])
    room = Resource.objects.create(
        code="lily-room", name="Lily (Room 2)", kind="room", user=lily, calendar=shop["calendar"]
    )
    Service.objects.filter(code="facial").update(resource_kind="room")
    deploy_file(PROCESSES / "beauty_salon.bpmn")
    return {**shop, "lily": lily, "lily_room": room, **cast}


def _open_task(ticket, bpmn_id):
    return HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=["open", "claimed"])


def _complete(user, task, data):
    if task.assignee_id is None:
        actions.do_claim_task(user, task.id)
    actions.do_complete_task(user, task.id, data)


def test_the_customer_books_on_the_portal_and_the_salon_works_the_ticket(salon, client):
    ticket = actions.do_start_ticket(salon["alice"], "beauty_salon", START)
    ticket.refresh_from_db()
    assert "appointment_booked" in ticket.waiting_messages
    assert ticket.data["followup_hours"] == 24  # the after-care decision for sensitive skin

    page = client.get(reverse("intake:track", args=[ticket.tracking_token]), {"lang": "en"})
    text = page.content.decode()
    assert "Please pick a time that suits you." in text and "Lily (Room 2)" in text
    slot = f"lily-room@{next_monday(13).astimezone(dt.UTC).isoformat()}"
    assert f'value="{slot}"' in text

    booked = client.post(reverse("intake:book", args=[ticket.tracking_token]), {"slot": slot})
    assert booked.status_code == 302
    booking = Booking.objects.get(ticket_id=ticket.id)
    assert (booking.resource.code, booking.starts_at) == ("lily-room", next_monday(13))
    assert booking.notify_address == "sms:13812341234"
    ticket.refresh_from_db()
    assert ticket.data["appointment"]["technician"] == "lily"
    treatment = _open_task(ticket, "treatment")

    client.force_login(salon["lily"])
    with translation.override("en"):
        page = client.get(reverse("tickets:ticket", args=[ticket.number])).content.decode()
    assert "The customer booked an appointment for" in page and "Check in on site" in page
    visit = reverse("tickets:appointment_visit", args=[ticket.number, booking.id, "in"])
    assert client.post(visit).status_code == 302
    _complete(salon["lily"], treatment, {"showed_up": True, "products_used": "mask"})
    out = reverse("tickets:appointment_visit", args=[ticket.number, booking.id, "out"])
    assert client.post(out).status_code == 302
    booking.refresh_from_db()
    assert booking.status == "done" and booking.checked_in_at <= booking.checked_out_at

    followup = _open_task(ticket, "aftercare_followup")
    _complete(salon["alice"], followup, {"rating": 5, "skin_reaction": "none"})
    ticket.refresh_from_db()
    assert ticket.status == "completed"
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert (
        kinds.index("appointment_booked") < kinds.index("checked_in") < kinds.index("checked_out")
    )
    with translation.override("en"):
        page = client.get(reverse("tickets:ticket", args=[ticket.number])).content.decode()
    assert "Lily checked in on site at" in page and "Lily checked out on site at" in page


def test_a_slot_taken_meanwhile_is_a_409_with_a_clear_message(salon, client):
    first = actions.do_start_ticket(salon["alice"], "beauty_salon", START)
    second = actions.do_start_ticket(
        salon["alice"], "beauty_salon", {**START, "customer_phone": "13900001111"}
    )
    slot = f"lily-room@{next_monday(9).astimezone(dt.UTC).isoformat()}"
    assert (
        client.post(reverse("intake:book", args=[first.tracking_token]), {"slot": slot}).status_code
        == 302
    )
    taken = client.post(
        reverse("intake:book", args=[second.tracking_token]),
        {"slot": slot},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert taken.status_code == 409
    assert "该时段刚刚被他人预约" in taken.content.decode()
    second.refresh_from_db()
    assert "appointment_booked" in second.waiting_messages
    assert not Booking.objects.filter(ticket_id=second.id).exists()


def test_a_made_up_slot_or_another_tickets_token_books_nothing(salon, client):
    ticket = actions.do_start_ticket(salon["alice"], "beauty_salon", START)
    url = reverse("intake:book", args=[ticket.tracking_token])
    assert client.post(url, {"slot": "lily-room@yesterday"}).status_code == 400
    off_shift = f"lily-room@{next_monday(12).astimezone(dt.UTC).isoformat()}"
    assert client.post(url, {"slot": off_shift}).status_code == 400
    assert (
        client.post(reverse("intake:book", args=["nope"]), {"slot": off_shift}).status_code == 404
    )
    assert not Booking.objects.exists()


def test_the_agent_moves_the_appointment_from_the_ticket_page(salon, client):
    ticket = actions.do_start_ticket(salon["alice"], "beauty_salon", START)
    client.force_login(salon["alice"])
    url = reverse("tickets:appointment_book", args=[ticket.number])
    client.post(url, {"slot": f"lily-room@{next_monday(9).astimezone(dt.UTC).isoformat()}"})
    client.post(url, {"slot": f"lily-room@{next_monday(16).astimezone(dt.UTC).isoformat()}"})
    live = Booking.objects.filter(ticket_id=ticket.id).exclude(status="cancelled").get()
    assert live.starts_at == next_monday(16)
    with translation.override("en"):
        page = client.get(reverse("tickets:ticket", args=[ticket.number])).content.decode()
    assert "Alice" in page or "alice" in page
    assert "moved the appointment from" in page
    # Not Lily's appointment: Alice sees no check-in button and may not check in.
    assert "Check in on site" not in page
    visit = reverse("tickets:appointment_visit", args=[ticket.number, live.id, "in"])
    client.post(visit)
    live.refresh_from_db()
    assert live.status == "booked"
