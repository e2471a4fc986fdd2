"""A feverish patient is triaged, books a consultation, sees Dr Li and gets a follow-up
visit booked by the process itself (scheduling.dispatch), all through the real engine."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User

from scheduling.models import Booking, Resource, Service
from tests.conftest import PROCESSES, deploy_file
from tickets import actions, appointments
from tickets.models import HumanTask

from .conftest import next_monday

PATIENT = {
    "customer_name": "Zhao Min",
    "customer_phone": "13812341234",
    "age": 34,
    "department": "general",
    "symptoms": "cough and fever",
    "temperature": 38.4,
    "pain_level": 3,
    "appointment_service": "clinic-consultation",
}


@pytest.fixture
def clinic(cast, shop):
    doctors = Group.objects.get_or_create(name="doctors")[0]
    reception = Group.objects.get_or_create(name="reception")[0]
    cast["alice"].groups.add(reception)
    resources = []
    for code in ("drli", "drwu"):
        user = User.objects.create_user(code, first_name=f"Dr {code[2:].title()}", is_staff=True)
        user.groups.add(doctors)
        resources.append(
            Resource.objects.create(
                code=code,
                name=f"Dr {code[2:].title()}",
                user=user,
                region="general",
                calendar=shop["calendar"],
            )
        )
    Service.objects.create(code="clinic-consultation", name="Consultation", minutes=20)
    Service.objects.create(code="clinic-follow-up", name="Follow-up visit", minutes=20)
    deploy_file(PROCESSES / "medical_clinic.bpmn")
    return {**cast, "drli": resources[0], "drwu": resources[1]}


def _work(user, ticket, bpmn_id, data):
    task = HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=["open", "claimed"])
    if task.assignee_id is None:
        actions.do_claim_task(user, task.id)
    actions.do_complete_task(user, task.id, data)


def test_triage_appointment_consultation_and_a_follow_up_booked_by_the_process(clinic):
    ticket = actions.do_start_ticket(clinic["alice"], "medical_clinic", PATIENT)
    ticket.refresh_from_db()
    assert (ticket.data["urgency"], ticket.data["priority"]) == ("urgent", 2)
    first = next_monday(9).astimezone(dt.UTC).isoformat()
    appointments.do_book_appointment(ticket.id, f"drwu@{first}", clinic["alice"])
    ticket.refresh_from_db()
    assert ticket.data["appointment"]["technician"] == "drwu"

    _work(clinic["alice"], ticket, "register", {"id_checked": True, "payer": "self_pay"})
    follow_day = (next_monday(9) + dt.timedelta(days=7)).date().isoformat()
    doctor = clinic["drwu"].user
    _work(
        doctor,
        ticket,
        "consultation",
        {
            "attended": True,
            "diagnosis": "bronchitis",
            "follow_up_needed": True,
            "follow_up_date": follow_day,
        },
    )
    ticket.refresh_from_db()
    assert ticket.incident is None
    follow_up = ticket.data["follow_up"]
    # Dr Wu already has the first visit; on the follow-up day both are free, Li sorts first.
    assert follow_up["technician"] == "drli"
    assert (
        follow_up["appointment_start"]
        == (next_monday(9) + dt.timedelta(days=7)).astimezone(dt.UTC).isoformat()
    )
    live = Booking.objects.filter(ticket_id=ticket.id).exclude(status="cancelled")
    assert live.count() == 2

    _work(clinic["alice"], ticket, "tell_patient", {"patient_informed": True})
    _work(clinic["alice"], ticket, "csat", {"rating": 5, "feeling_better": True})
    ticket.refresh_from_db()
    assert ticket.status == "completed" and ticket.data["rating"] == 5


def test_an_emergency_is_referred_and_books_nothing(clinic):
    ticket = actions.do_start_ticket(
        clinic["alice"], "medical_clinic", {**PATIENT, "temperature": 40.5}
    )
    ticket.refresh_from_db()
    assert (
        ticket.data["urgency"] == "emergency"
        and "appointment_booked" not in ticket.waiting_messages
    )
    nurse = User.objects.create_user("nina")
    nurse.groups.add(Group.objects.get_or_create(name="nurses")[0])
    _work(
        nurse, ticket, "refer_emergency", {"referred_to": "City Hospital", "ambulance_called": True}
    )
    ticket.refresh_from_db()
    assert ticket.status == "completed" and not Booking.objects.exists()


def test_no_doctor_free_on_the_follow_up_day_leaves_a_visible_incident(clinic):
    ticket = actions.do_start_ticket(clinic["alice"], "medical_clinic", PATIENT)
    appointments.do_book_appointment(
        ticket.id, f"drli@{next_monday(9).astimezone(dt.UTC).isoformat()}", clinic["alice"]
    )
    _work(clinic["alice"], ticket, "register", {"id_checked": True, "payer": "self_pay"})
    saturday = (next_monday(9) + dt.timedelta(days=5)).date().isoformat()
    _work(
        clinic["drli"].user,
        ticket,
        "consultation",
        {
            "attended": True,
            "follow_up_needed": True,
            "follow_up_date": saturday,
        },
    )
    ticket.refresh_from_db()
    assert ticket.incident and "Nobody qualified is free" in str(ticket.incident)
