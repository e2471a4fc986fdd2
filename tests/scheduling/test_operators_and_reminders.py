import datetime as dt

import pytest

from bpmn import services
from notify.models import OutboxMessage
from scheduling import actions
from scheduling.errors import SlotTaken
from scheduling.models import Booking
from scheduling.reminders import send_due_reminders

from .conftest import next_monday


def _call(name, params, data=None):
    with services.running_for(None):
        return services.call(name, params, data or {})


def test_offer_book_dispatch_and_cancel_as_a_service_task_calls_them(shop):
    data = {"appointment_service": "aircon-repair", "ticket_number": "SV-9"}
    offered = _call(
        "scheduling.offer_slots",
        {"region": "east", "since": next_monday(0).isoformat(), "days": 1, "limit": 3},
        data,
    )["slots"]
    assert [s["key"].split("@")[0] for s in offered] == ["jerry", "tom", "jerry"]
    booked = _call("scheduling.book", {"slot": offered[0]["key"]}, data)
    assert booked["technician"] == "jerry"
    assert booked["appointment_start"] == next_monday(9).astimezone(dt.UTC).isoformat()
    sent = _call(
        "scheduling.dispatch",
        {"region": "east", "start": next_monday(9).isoformat()},
        data,
    )
    assert sent["technician"] == "tom"
    assert _call("scheduling.cancel", {"appointment_id": sent["appointment_id"]})["cancelled"] == 1
    assert Booking.objects.get(id=sent["appointment_id"]).status == "cancelled"


def test_a_slot_taken_or_malformed_becomes_an_error_the_incident_shows(shop):
    data = {"appointment_service": "aircon-repair"}
    _call("scheduling.book", {"resource": "tom", "start": next_monday(9).isoformat()}, data)
    with pytest.raises(SlotTaken, match="booked by someone else"):
        _call("scheduling.book", {"resource": "tom", "start": next_monday(9).isoformat()}, data)
    with pytest.raises(ValueError, match="needs a UTC offset"):
        _call("scheduling.book", {"resource": "tom", "start": "2026-12-07T09:00"}, data)


def test_the_reminder_goes_out_once_before_the_appointment(shop):
    booking = actions.do_book(
        shop["tom"],
        next_monday(9),
        shop["repair"],
        ticket_number="SV-7",
        notify_address="sms:13812341234",
    )
    assert send_due_reminders(now=booking.starts_at - dt.timedelta(days=2)) == 0
    due = booking.starts_at - dt.timedelta(hours=23)
    assert send_due_reminders(now=due) == 1
    assert send_due_reminders(now=due) == 0
    rows = OutboxMessage.objects.filter(event_type="appointment.reminder")
    assert {(r.recipient.username if r.recipient else r.address) for r in rows} >= {
        "tom",
        "13812341234",
    }
    body = rows.first().body
    assert "Aircon repair" in body and "Tom" in body and "09:00" in body


def test_a_cancelled_appointment_is_not_reminded(shop):
    booking = actions.do_book(shop["tom"], next_monday(9), shop["repair"])
    actions.do_cancel(booking.id)
    assert send_due_reminders(now=booking.starts_at - dt.timedelta(hours=1)) == 0


def test_each_reader_gets_the_reminder_in_one_language(shop, settings):
    from notify.actions import do_set_preferences

    settings.LANGUAGE_CODE = "zh-hans"
    do_set_preferences(shop["tom"].user, language="en")
    booking = actions.do_book(
        shop["tom"],
        next_monday(9),
        shop["repair"],
        ticket_number="SV-8",
        notify_address="sms:13812341234",
    )
    assert send_due_reminders(now=booking.starts_at - dt.timedelta(hours=1)) == 1
    rows = OutboxMessage.objects.filter(event_type="appointment.reminder")
    tom = rows.get(recipient__username="tom")
    customer = rows.get(address="13812341234")
    assert tom.subject == "[SV-8] Appointment reminder: " + f"{next_monday(9):%Y-%m-%d %H:%M}"
    assert customer.subject.startswith("[SV-8] 预约提醒：")
    assert "预约" not in tom.subject + tom.body and "Your appointment: Aircon repair" in tom.body
    assert customer.body.startswith("您的预约：Aircon repair") and "Your" not in customer.body
