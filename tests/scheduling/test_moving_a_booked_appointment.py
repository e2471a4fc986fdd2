"""Moving an appointment after the process took it: the ticket's data, the timer that
waits for the appointment and the booking's reminder all follow the new time, and the
timeline says from when to when (issue 17, the known bug)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone, translation

from scheduling.models import Booking, Resource, Service
from scheduling.reminders import send_due_reminders
from tests.conftest import FIXTURES, PROCESSES, deploy_file
from tests.tickets.test_timeline import line_of
from tickets import actions, appointments
from tickets.models import HumanTask

from .conftest import next_monday

BOOKED = {"start": "2026-12-07T08:00:00+00:00", "resource": "Lily (Room 2)", "service": "Facial"}


def _key(code: str, at: dt.datetime) -> str:
    return f"{code}@{at.astimezone(dt.UTC).isoformat()}"


@pytest.fixture
def salon(cast, shop):
    lily = User.objects.create_user("lily", password="pw", is_staff=True)
    lily.groups.add(Group.objects.get_or_create(name="beauticians")[0])
    cast["alice"].groups.add(Group.objects.get_or_create(name="front_desk")[0])
    Resource.objects.create(
        code="lily-room", name="Lily (Room 2)", kind="room", user=lily, calendar=shop["calendar"]
    )
    Service.objects.filter(code="facial").update(resource_kind="room", remind_minutes=60)
    return {**shop, **cast, "lily": lily}


def test_the_portal_move_after_the_booking_step_updates_the_ticket_and_its_timeline(salon, client):
    deploy_file(PROCESSES / "beauty_salon.bpmn")
    ticket = actions.do_start_ticket(
        salon["alice"],
        "beauty_salon",
        {
            "customer_name": "Wang Fang",
            "customer_phone": "13812341234",
            "appointment_service": "facial",
        },
    )
    url = reverse("intake:book", args=[ticket.tracking_token])
    assert client.post(url, {"slot": _key("lily-room", next_monday(9))}).status_code == 302
    ticket.refresh_from_db()
    first = ticket.data["appointment"]
    assert HumanTask.objects.filter(ticket=ticket, bpmn_id="treatment", state="claimed").exists()

    assert client.post(url, {"slot": _key("lily-room", next_monday(16))}).status_code == 302
    ticket.refresh_from_db()
    moved = ticket.data["appointment"]
    live = Booking.objects.exclude(status="cancelled").get(ticket_id=ticket.id)
    assert moved["appointment_id"] == live.id != first["appointment_id"]
    assert dt.datetime.fromisoformat(moved["appointment_start"]) == next_monday(16)
    assert moved["technician"] == "lily"
    assert live.remind_at == next_monday(15)  # the reminder moved with it

    client.force_login(salon["alice"])
    with translation.override("en"):
        page = client.get(reverse("tickets:ticket", args=[ticket.number])).content.decode()
    assert "The customer moved the appointment from" in page


def test_the_move_reads_from_when_to_when_in_both_languages():
    moved = {**BOOKED, "previous": "2026-12-07T01:00:00+00:00", "by_customer": True}
    with translation.override("en"), timezone.override("Asia/Shanghai"):
        english = line_of("appointment_moved", moved).sentence
    with translation.override("zh-hans"), timezone.override("Asia/Shanghai"):
        chinese = line_of("appointment_moved", moved).sentence
    assert english.startswith("The customer moved the appointment from 12/07/2026 9 a.m. to ")
    assert english.endswith("4 p.m. with Lily (Room 2)")
    assert chinese.startswith("客户 将预约从 ") and "16:00" in chinese


def test_the_timer_waiting_for_the_appointment_fires_at_the_new_time(salon):
    deploy_file(FIXTURES / "visit_at_appointment.bpmn")
    ticket = actions.do_start_ticket(
        salon["alice"], "visit_at_appointment", {"appointment_service": "facial"}
    )
    appointments.do_book_appointment(ticket.id, _key("lily-room", next_monday(9)), salon["alice"])
    ticket.refresh_from_db()
    assert ticket.next_timer_at == next_monday(9)

    appointments.do_book_appointment(ticket.id, _key("lily-room", next_monday(16)), salon["alice"])
    ticket.refresh_from_db()
    assert ticket.next_timer_at == next_monday(16)
    assert dt.datetime.fromisoformat(ticket.data["appointment"]["appointment_start"]) == (
        next_monday(16)
    )

    assert actions.do_fire_due_timers(now=next_monday(10)) == 0  # the old time fires nothing
    assert not HumanTask.objects.filter(ticket=ticket, bpmn_id="visit").exists()
    assert actions.do_fire_due_timers(now=next_monday(16) + dt.timedelta(minutes=1)) == 1
    assert HumanTask.objects.filter(ticket=ticket, bpmn_id="visit").exists()


def test_the_reminder_goes_out_for_the_new_time_only(salon):
    deploy_file(FIXTURES / "visit_at_appointment.bpmn")
    ticket = actions.do_start_ticket(
        salon["alice"], "visit_at_appointment", {"appointment_service": "facial"}
    )
    appointments.do_book_appointment(ticket.id, _key("lily-room", next_monday(9)), salon["alice"])
    appointments.do_book_appointment(ticket.id, _key("lily-room", next_monday(16)), salon["alice"])
    assert send_due_reminders(now=next_monday(8) + dt.timedelta(minutes=30)) == 0
    assert send_due_reminders(now=next_monday(15) + dt.timedelta(minutes=30)) == 1
    assert timezone.is_aware(Booking.objects.get(status="booked").reminded_at)
