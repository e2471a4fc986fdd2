"""`load_demo` leaves the appointment templates bookable: rooms, doctors, services."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from scheduling.models import Resource
from tickets import actions, appointments

pytestmark = pytest.mark.django_db


def test_the_demo_salon_offers_slots_right_after_load_demo():
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())  # again: nothing doubles
    assert Resource.objects.count() == 9  # rooms, doctors, tom; four field technicians
    assert Resource.objects.get(code="tom").user.username == "tom"
    ticket = actions.do_start_ticket(
        User.objects.get(username="alice"),
        "beauty_salon",
        {"customer_name": "王芳", "customer_phone": "13812341234", "appointment_service": "facial"},
    )
    offer = appointments.offer_for(ticket)
    assert offer.wanted and offer.slots
    assert {s.resource.code for s in offer.slots} == {"salon-room-1", "salon-room-2"}
    patient = actions.do_start_ticket(
        User.objects.get(username="alice"),
        "medical_clinic",
        {
            "customer_name": "刘洋",
            "customer_phone": "13522223333",
            "department": "general",
            "age": 34,
            "symptoms": "咳嗽三天",
            "appointment_service": "clinic-consultation",
        },
    )
    offer = appointments.offer_for(patient)
    assert offer.wanted and offer.slots
    # the doctors only: no field technician's time for a patient
    assert {s.resource.code for s in offer.slots} == {"dr-li", "dr-wu"}
