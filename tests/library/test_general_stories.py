"""The general templates (home appliance repair, inquiry) started over /api/v1 and driven to
their end by the real roles: dispatchers, technicians, finance and agents, and the
customer on the portal."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.library.conftest import WANG_FANG
from tickets.actions import do_fire_due_timers
from tickets.models import Ticket, TicketEvent, TicketRating

pytestmark = pytest.mark.django_db(transaction=True)


def _kinds(number: str) -> set[str]:
    return set(TicketEvent.objects.filter(ticket__number=number).values_list("kind", flat=True))


def test_repair_sent_back_to_dispatch_quote_rejected_then_repaired_and_rated(desk, deployed):
    deployed("repair", "follow_up")
    start = {**WANG_FANG, "customer_tier": "VIP", "category": "air conditioner", "region": "tier1"}
    ticket = desk.start("alice", "repair", start, channel="phone")
    number = ticket["number"]
    assert ticket["priority"] == 4 and desk.open_steps(number) == ["accept"]
    holder, accept = desk.holder(number, "accept")
    assert accept["candidate_groups"] == ["dispatchers"] and holder == "alice"
    desk.complete(number, "accept", {"accepted": True, "note": "gate code 4411"})
    desk.complete(number, "schedule_visit", {"visit_date": "2026-12-07", "technician": "tom"})

    # Nobody is home on that day: the technician sends it back to dispatch.
    holder, diagnose = desk.holder(number, "diagnose")
    assert holder == "tom"
    assert "note" not in desk.ticket(number, "tom")["data"]  # the agents' note is theirs
    url = f"/api/v1/tasks/{diagnose['id']}/send-back"
    desk.post("tom", url, {"to": "accept", "reason": "x"}, expect=400)  # not a target
    sent = desk.post("tom", url, {"to": "schedule_visit", "reason": "nobody home on Monday"})
    assert [t["bpmn_id"] for t in sent["open_tasks"]] == ["schedule_visit"]
    desk.complete(number, "schedule_visit", {"visit_date": "2026-12-09", "technician": "tom"})

    diagnosis = {"diagnosis": "compressor relay", "needs_parts": True, "labor_hours": 2}
    desk.complete(number, "diagnose", {**diagnosis, "parts_cost": "900"}, by="tom")
    holder, approval = desk.holder(number, "approve_quote")
    assert holder == "carol" and approval["candidate_groups"] == ["finance"]
    seen_by_finance = desk.ticket(number, "carol")["data"]
    assert seen_by_finance["customer_phone"] == "138****1234" and "note" not in seen_by_finance
    reject = f"/api/v1/tasks/{approval['id']}/reject"
    desk.post("carol", reject, {"comment": ""}, expect=400)  # a rejection says why
    desk.post("carol", reject, {"comment": "the relay costs 300 at our supplier"})
    assert desk.open_steps(number) == ["diagnose"]  # back to the technician
    desk.complete(number, "diagnose", {**diagnosis, "parts_cost": "300"}, by="tom")
    _holder, approval = desk.holder(number, "approve_quote")
    desk.post("carol", f"/api/v1/tasks/{approval['id']}/approve", {"comment": "ok"})

    desk.complete(number, "repair_work", {"work_done": "relay replaced"}, by="tom")
    holder, confirm = desk.holder(number, "confirm")
    assert confirm["candidate_groups"] == ["agents"]
    done = desk.complete(number, "confirm", {"rating": 5, "feedback": "cool again"})
    assert done["status"] == "completed" and done["open_tasks"] == []
    assert done["data"]["approved"] is True and done["data"]["parts_cost"] in ("300", 300)
    assert {"sent_back", "rejected", "approved", "completed"} <= _kinds(number)

    # The customer follows the ticket on the portal and rates it there.
    token = Ticket.objects.get(number=number).tracking_token
    portal = Client()
    assert "Resolved" in portal.get(f"/t/{token}/?lang=en").content.decode()
    assert portal.post(f"/t/{token}/rate/", {"score": "5"}).status_code == 302
    assert TicketRating.objects.get(ticket__number=number).score == 5
    assert TicketEvent.objects.get(ticket__number=number, kind="rated").detail["follow_up"] is None


def test_inquiry_vip_billing_question_passed_to_finance_who_answer_it(desk, deployed):
    deployed("inquiry")
    start = {**WANG_FANG, "customer_tier": "VIP", "category": "billing"}
    ticket = desk.start("alice", "inquiry", {**start, "description": "Charged twice?"})
    number = ticket["number"]
    assert ticket["priority"] == 4 and ticket["data"]["sla_hours"] == 2
    holder, respond = desk.holder(number, "respond")
    assert respond["candidate_groups"] == ["agents"]
    desk.complete(
        number,
        "respond",
        {"answer": "Our billing team checks it.", "resolved": False, "escalate_to": "finance"},
    )
    holder, specialist = desk.holder(number, "specialist")
    assert holder == "carol" and specialist["candidate_groups"] == ["finance"]
    answer = "The second charge is a pre-authorisation, released within 3 days."
    done = desk.complete(number, "specialist", {"specialist_answer": answer}, by="carol")
    assert done["status"] == "completed" and done["data"]["specialist_answer"] == answer


def test_inquiry_the_customer_is_asked_replies_on_the_portal_and_is_answered(desk, deployed):
    deployed("inquiry")
    number = desk.start("alice", "inquiry", {**WANG_FANG, "category": "product"})["number"]
    question = {"answer": "Which order is it?", "resolved": False}
    asked = desk.complete(number, "respond", question)
    assert asked["status"] == "active" and desk.open_steps(number) == ["await_reply"]
    assert desk.ticket(number)["next_timer_at"] is not None  # three days to reply

    token = Ticket.objects.get(number=number).tracking_token
    assert Client().post(f"/t/{token}/reply/", {"body": "JD-2026-0042"}).status_code == 302
    desk.complete(number, "await_reply", {"customer_reply": "JD-2026-0042"})
    assert desk.open_steps(number) == ["respond"]  # back to first line with the reply
    done = desk.complete(number, "respond", {"answer": "Under warranty.", "resolved": True})
    assert done["status"] == "completed" and done["data"]["customer_reply"] == "JD-2026-0042"
    assert do_fire_due_timers(now=timezone.now() + dt.timedelta(days=4)) == 0  # nothing left


def test_inquiry_without_a_reply_in_three_days_closes(desk, deployed):
    deployed("inquiry")
    number = desk.start("alice", "inquiry", {**WANG_FANG, "category": "other"})["number"]
    desk.complete(number, "respond", {"answer": "Which model is it?", "resolved": False})
    assert do_fire_due_timers(now=timezone.now() + dt.timedelta(days=2)) == 0
    assert desk.open_steps(number) == ["await_reply"]
    assert do_fire_due_timers(now=timezone.now() + dt.timedelta(days=3, minutes=1)) == 1
    closed = desk.ticket(number)
    assert closed["status"] == "completed" and closed["open_tasks"] == []
    assert "customer_reply" not in closed["data"]
