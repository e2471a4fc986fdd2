"""Form defaults over /api/v1: a field the caller leaves out gets the schema's `default`,
as the web form would have sent it (forms.fields.default_value serves both), so the
process never meets it missing; a required field without a default is a 422 naming it."""

import datetime as dt
import json

import pytest
from django.test import Client

from scheduling.models import Booking
from tickets import appointments
from tickets.models import HumanTask, Ticket

from .conftest import next_monday
from .test_medical_clinic_story import PATIENT, clinic  # noqa: F401

pytestmark = pytest.mark.django_db

# What an integrator sends: the required fields only, no temperature, pain or service.
REQUIRED_ONLY = {k: PATIENT[k] for k in ("customer_name", "customer_phone", "age", "symptoms")}


def _api(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_start_without_the_defaulted_fields_runs_on_their_defaults(clinic):  # noqa: F811
    answer = _post(
        _api(clinic["alice"]),
        "/api/v1/tickets",
        {"process": "medical_clinic", "data": {**REQUIRED_ONLY, "department": "general"}},
    )
    assert answer.status_code == 201, answer.content
    ticket = Ticket.objects.get(number=answer.json()["number"])
    assert ticket.incident is None
    assert (ticket.data["temperature"], ticket.data["pain_level"]) == (36.5, 0)
    assert ticket.data["appointment_service"] == "clinic-consultation"
    assert ticket.data["urgency"] != "emergency"


def test_a_missing_required_field_without_a_default_is_a_422_naming_it(clinic):  # noqa: F811
    answer = _post(
        _api(clinic["alice"]),
        "/api/v1/tickets",
        {"process": "medical_clinic", "data": REQUIRED_ONLY},  # no department
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"department": "This field is required."}
    assert "department" in answer.json()["detail"]
    assert not Ticket.objects.exists()


def test_completing_a_consultation_without_the_defaulted_answers(clinic):  # noqa: F811
    ticket = Ticket.objects.get(
        number=_post(
            _api(clinic["alice"]), "/api/v1/tickets", {"process": "medical_clinic", "data": PATIENT}
        ).json()["number"]
    )
    first = next_monday(9).astimezone(dt.UTC).isoformat()
    appointments.do_book_appointment(ticket.id, f"drwu@{first}", clinic["alice"])
    desk = _api(clinic["alice"])
    register = HumanTask.objects.get(ticket=ticket, bpmn_id="register")
    if register.assignee_id is None:
        assert _post(desk, f"/api/v1/tasks/{register.id}/claim", {}).status_code == 200
    checked = {"data": {"id_checked": True, "payer": "self_pay"}}
    assert _post(desk, f"/api/v1/tasks/{register.id}/complete", checked).status_code == 200
    task = HumanTask.objects.get(ticket=ticket, bpmn_id="consultation")
    doctor = _api(clinic["drwu"].user)
    if task.assignee_id is None:
        assert _post(doctor, f"/api/v1/tasks/{task.id}/claim", {}).status_code == 200
    # `attended` (required, default yes) left out: the gateway after the consultation reads
    # it. (`follow_up_needed` has no default: the doctor must answer it.)
    data = {"diagnosis": "a cold", "follow_up_needed": False}
    done = _post(doctor, f"/api/v1/tasks/{task.id}/complete", {"data": data})
    assert done.status_code == 200, done.content
    ticket.refresh_from_db()
    assert ticket.incident is None
    assert (ticket.data["attended"], ticket.data["follow_up_needed"]) == (True, False)
    # discharged: reception's satisfaction call is all that is left
    assert [t["bpmn_id"] for t in done.json()["open_tasks"]] == ["csat"]
    assert Booking.objects.filter(ticket_id=ticket.id).exclude(status="cancelled").count() == 1


def test_what_the_caller_sends_wins_over_the_default(clinic):  # noqa: F811
    data = {**PATIENT, "temperature": 37.2, "pain_level": 5}
    answer = _post(
        _api(clinic["alice"]), "/api/v1/tickets", {"process": "medical_clinic", "data": data}
    )
    ticket = Ticket.objects.get(number=answer.json()["number"])
    assert (ticket.data["temperature"], ticket.data["pain_level"]) == (37.2, 5)
