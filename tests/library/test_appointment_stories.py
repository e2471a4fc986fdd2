"""The appointment and workshop templates started over the API and driven to their end by
the real roles, the appointment booked through /api/v1/appointments (as the other
templates' stories in test_stories.py)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User

from scheduling.models import Resource, Service
from tests.library.conftest import WANG_FANG
from tests.pricing.test_auto_repair_story import CHECK_IN, DIAGNOSIS, workshop  # noqa: F401
from tests.scheduling.conftest import next_monday, shop  # noqa: F401
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


def _slot(code: str, at: dt.datetime) -> str:
    return f"{code}@{at.astimezone(dt.UTC).isoformat()}"


def _staff(desk, username: str, group: str) -> User:
    user = User.objects.create_user(username, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    desk.people[username] = user
    return user


@pytest.fixture
def salon(desk, deployed, shop):  # noqa: F811
    lily = _staff(desk, "lily", "beauticians")
    desk.people["alice"].groups.add(Group.objects.get_or_create(name="front_desk")[0])
    Resource.objects.create(
        code="lily-room", name="Lily (Room 2)", kind="room", user=lily, calendar=shop["calendar"]
    )
    Service.objects.filter(code="facial").update(resource_kind="room")
    deployed("beauty_salon")


@pytest.fixture
def clinic(desk, deployed, shop):  # noqa: F811
    desk.people["alice"].groups.add(Group.objects.get_or_create(name="reception")[0])
    _staff(desk, "nina", "nurses")
    for code in ("drli", "drwu"):
        Resource.objects.create(
            code=code,
            name=code,
            user=_staff(desk, code, "doctors"),
            region="general",
            calendar=shop["calendar"],
        )
    Service.objects.create(code="clinic-consultation", name="Consultation", minutes=20)
    Service.objects.create(code="clinic-follow-up", name="Follow-up visit", minutes=20)
    deployed("medical_clinic")


def test_beauty_salon_booked_over_the_api_treated_and_followed_up(desk, salon):
    start = {**WANG_FANG, "appointment_service": "facial", "skin_type": "sensitive"}
    number = desk.start("alice", "beauty_salon", start)["number"]
    assert desk.open_steps(number) == [] and desk.ticket(number)["waiting_messages"] == [
        "appointment_booked"
    ]
    booked = desk.post(
        "alice",
        "/api/v1/appointments",
        {"ticket": number, "slot": _slot("lily-room", next_monday(13))},
        expect=201,
    )
    assert booked["resource"] == "lily-room"
    desk.complete(number, "treatment", {"showed_up": True, "products_used": "mask"}, by="lily")
    followed = desk.complete(
        number, "aftercare_followup", {"rating": 2, "skin_reaction": "serious"}, by="alice"
    )
    assert followed["status"] == "active" and desk.open_steps(number) == ["remedy"]
    done = desk.complete(number, "remedy", {"remedy": "soothing mask", "refund": True})
    assert done["status"] == "completed"


def test_clinic_emergency_referred_a_visit_sent_back_for_insurance_then_seen_and_rated(
    desk, clinic
):
    patient = {
        **WANG_FANG,
        "age": 34,
        "department": "general",
        "symptoms": "cough",
        "pain_level": 2,
        "appointment_service": "clinic-consultation",
    }
    urgent = desk.start("alice", "medical_clinic", {**patient, "temperature": 40.5})["number"]
    assert desk.open_steps(urgent) == ["refer_emergency"]
    referred = desk.complete(urgent, "refer_emergency", {"referred_to": "City Hospital"})
    assert referred["status"] == "completed"

    routine = desk.start("alice", "medical_clinic", {**patient, "temperature": 36.8})["number"]
    booking = desk.post(
        "alice",
        "/api/v1/appointments",
        {"ticket": routine, "slot": _slot("drwu", next_monday(9))},
        expect=201,
    )
    assert booking["resource"] == "drwu"
    assert "diagnosis" not in desk.ticket(routine, "alice")["data"]
    assert desk.open_steps(routine) == ["register"]
    desk.complete(
        routine, "register", {"id_checked": True, "payer": "medical_insurance"}, by="alice"
    )
    # The insurance card number is missing: the doctor sends the ticket back to reception.
    holder, consultation = desk.holder(routine, "consultation")
    assert holder == "drwu"
    operations = desk.client("drwu").get(f"/api/v1/tasks/{consultation['id']}/operations")
    assert operations.json()["send_back_targets"] == ["register"]
    url = f"/api/v1/tasks/{consultation['id']}/send-back"
    desk.post("drwu", url, {"to": "register", "reason": ""}, expect=400)  # say why
    desk.post("drwu", url, {"to": "wait_appointment", "reason": "x"}, expect=400)
    sent = desk.post("drwu", url, {"to": "register", "reason": "no insurance card number"})
    assert [t["bpmn_id"] for t in sent["open_tasks"]] == ["register"]
    event = TicketEvent.objects.get(ticket__number=routine, kind="sent_back")
    assert (event.detail["to"], event.detail["reason"]) == ("register", "no insurance card number")
    desk.complete(
        routine,
        "register",
        {
            "id_checked": True,
            "id_number": "310101199001011234",
            "payer": "medical_insurance",
            "insurance_number": "SH-88812345",
        },
        by="alice",
    )
    assert desk.ticket(routine, "drwu")["data"]["id_number"] != "310101199001011234"  # masked
    followed = desk.complete(
        routine,
        "consultation",
        {"attended": True, "diagnosis": "a cold", "follow_up_needed": False},
        by="drwu",  # the booked doctor again, not a queue
    )
    assert followed["status"] == "active" and desk.open_steps(routine) == ["csat"]
    assert "diagnosis" not in desk.ticket(routine, "alice")["data"]  # hidden from reception
    assert desk.ticket(routine, "drwu")["data"]["diagnosis"] == "a cold"
    done = desk.complete(routine, "csat", {"rating": 4, "feeling_better": True}, by="alice")
    assert done["status"] == "completed" and done["data"]["rating"] == 4


def test_auto_repair_checked_in_quoted_repaired_and_paid_in_two_parts(desk, workshop):  # noqa: F811
    number = desk.start("alice", "auto_repair", dict(CHECK_IN))["number"]
    assert desk.ticket(number)["priority"] == 4  # towed in with brake trouble
    desk.complete(number, "diagnose", DIAGNOSIS, by="tom")
    assert desk.ticket(number)["data"]["quote"]["total"] == "1965.21"
    assert desk.ticket(number, "tom")["data"]["customer_phone"] != "13812341234"  # masked
    desk.complete(number, "customer_approval", {"approved": True, "confirmed_via": "phone"})
    desk.complete(number, "work", {"work_done": "pads and discs", "road_test_passed": True})
    part = desk.complete(
        number,
        "collect_payment",
        {"amount": "1000.00", "method": "wechat_pay", "reference": "WX-1"},
        by="carol",
    )
    assert part["status"] == "active", part
    assert part["data"]["payment"]["outstanding"] == "965.21"
    paid = desk.complete(
        number, "collect_payment", {"amount": "965.21", "method": "cash", "reference": "R-2"}
    )
    assert paid["status"] == "active" and desk.open_steps(number) == ["csat"]
    advisor, task = desk.holder(number, "csat")
    assert task["candidate_groups"] == ["agents"] and advisor in ("alice", "bob")
    done = desk.complete(number, "csat", {"rating": 4, "feedback": "quick and clear"})
    assert done["status"] == "completed" and done["data"]["rating"] == 4
