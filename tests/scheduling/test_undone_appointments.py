"""A ticket's appointments are given up with the work they were booked for: cancelling
(or closing) the ticket frees every slot it still holds; sending the work back frees the
follow-up the discarded steps booked, while the appointment booked before them stays."""

import datetime as dt
import json
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone, translation

from definitions.deploy import deploy_bundle, read_bundle_folder
from scheduling import actions as scheduling
from scheduling.models import Booking
from tests.conftest import PROCESSES
from tests.tickets.test_timeline import line_of
from tickets import actions, appointments, operations
from tickets.models import HumanTask, TicketEvent

from .conftest import next_monday
from .test_medical_clinic_story import PATIENT, _work, clinic  # noqa: F401

pytestmark = pytest.mark.django_db


def _first_visit(clinic, doctor="drwu"):  # noqa: F811
    ticket = actions.do_start_ticket(clinic["alice"], "medical_clinic", PATIENT)
    first = next_monday(9).astimezone(dt.UTC).isoformat()
    return ticket, appointments.do_book_appointment(ticket.id, f"{doctor}@{first}", clinic["alice"])


def _cancel_over_the_api(user, ticket, reason="patient moved away"):
    client = Client()
    client.force_login(user)
    return client.post(
        f"/api/v1/tickets/{ticket.number}/cancel",
        json.dumps({"reason": reason}),
        content_type="application/json",
    )


def test_cancelling_the_ticket_frees_the_doctors_slot(clinic):  # noqa: F811
    ticket, booking = _first_visit(clinic)
    answer = _cancel_over_the_api(clinic["dave"], ticket)
    assert answer.status_code == 200, answer.content
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    # the slot is Dr Wu's to give again: another patient books exactly that time
    other, again = _first_visit(clinic)
    assert again.resource.code == "drwu" and again.starts_at == booking.starts_at
    event = TicketEvent.objects.get(ticket_id=ticket.id, kind="appointment_cancelled")
    assert event.detail["reason"] == "cancelled" and event.detail["resource"] == "Dr Wu"
    with translation.override("en"):
        line = line_of("appointment_cancelled", event.detail)
    assert line.sentence.endswith("was cancelled because the ticket was cancelled")
    assert line.note == "Consultation"


def test_a_started_visit_and_other_tickets_appointments_are_left_alone(clinic):  # noqa: F811
    ticket, checked_in = _first_visit(clinic)
    other, others = _first_visit(clinic, doctor="drli")
    Booking.objects.filter(id=checked_in.id).update(
        status="checked_in", checked_in_at=timezone.now()
    )
    actions.do_cancel_ticket(clinic["dave"], ticket.id, "walked out")
    assert Booking.objects.get(id=checked_in.id).status == "checked_in"
    assert Booking.objects.get(id=others.id).status == "booked"
    assert not TicketEvent.objects.filter(kind="appointment_cancelled").exists()


def test_cancelling_writes_the_bookings_in_two_statements(clinic, django_assert_num_queries):  # noqa: F811
    ticket, booking = _first_visit(clinic)
    with django_assert_num_queries(2):  # the rows locked and read, one UPDATE
        cancelled = scheduling.do_cancel_for_ticket(ticket.id)
    assert [b.id for b in cancelled] == [booking.id]


@pytest.fixture
def send_back_clinic(clinic):  # noqa: F811
    """The clinic whose reception may send the follow-up back to the doctor (the shipped
    template lets nobody: the operation is added here, as a process owner would)."""
    name, text, files = read_bundle_folder(PROCESSES / "medical_clinic.bpmn")
    anchor = (
        '<spiffworkflow:property name="formJsonSchemaFilename" value="clinic-tell.schema.json" />'
    )
    assert anchor in text
    operations_json = json.dumps({"claim": ["*"], "send_back": ["*"]}).replace('"', "&#34;")
    start = text.index('<bpmn:userTask id="tell_patient"')
    end = text.index("</bpmn:userTask>", start)
    task = re.sub(
        r'<spiffworkflow:property name="operations" value="[^"]*" />', "", text[start:end]
    )
    task = task.replace(
        anchor,
        anchor
        + f'<spiffworkflow:property name="operations" value="{operations_json}" />'
        + '<spiffworkflow:property name="sendBackTargets" value="consultation" />',
    )
    text = text[:start] + task + text[end:]
    deploy_bundle(name, text, files)
    return clinic


def _consult(clinic, ticket, day_offset, *, register=True):  # noqa: F811
    follow_day = (next_monday(9) + dt.timedelta(days=day_offset)).date().isoformat()
    data = {"attended": True, "follow_up_needed": True, "follow_up_date": follow_day}
    if register:  # reception checks ID and insurance before the first consultation
        _work(clinic["alice"], ticket, "register", {"id_checked": True, "payer": "self_pay"})
    _work(clinic["drwu"].user, ticket, "consultation", data)


def test_a_send_back_frees_the_follow_up_the_redone_steps_booked(send_back_clinic):
    clinic = dict(send_back_clinic)  # noqa: F811
    ticket, first = _first_visit(clinic)
    _consult(clinic, ticket, 7)
    ticket.refresh_from_db()
    follow_up = Booking.objects.get(id=ticket.data["follow_up"]["appointment_id"])
    tell = HumanTask.objects.get(ticket=ticket, bpmn_id="tell_patient")
    reception = clinic["alice"]
    reception.groups.add(Group.objects.get_or_create(name="doctors")[0])
    if tell.assignee_id is None:
        actions.do_claim_task(reception, tell.id)
    operations.do_send_back(reception, tell.id, "consultation", "wrong day, she travels")
    follow_up.refresh_from_db()
    first.refresh_from_db()
    assert follow_up.status == "cancelled"  # booked by the discarded step
    assert first.status == "booked"  # booked before the step sent back to: still hers
    event = TicketEvent.objects.get(ticket_id=ticket.id, kind="appointment_cancelled")
    assert event.detail["reason"] == "sent_back"
    with translation.override("zh-hans"):
        assert "退回" in line_of("appointment_cancelled", event.detail).sentence

    _consult(clinic, ticket, 8, register=False)  # the consultation redone books the follow-up anew
    ticket.refresh_from_db()
    live = Booking.objects.filter(ticket_id=ticket.id).exclude(status="cancelled")
    assert ticket.incident is None and live.count() == 2
    assert sorted(b.id for b in live) == sorted(
        [first.id, ticket.data["follow_up"]["appointment_id"]]
    )
