"""Each library template started over the API and driven to its end by the real roles."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.library.conftest import RETURNS_VIP_REFUND, WANG_FANG
from tickets.actions import do_fire_due_timers
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_food_safety_late_response_escalates_and_finance_approves_the_compensation(desk, deployed):
    deployed("food_safety")
    ticket = desk.start(
        "alice",
        "food_safety",
        {**WANG_FANG, "store": "Jing'an Temple store", "severity": "illness"},
        channel="phone",
    )
    number = ticket["number"]
    assert ticket["priority"] >= 3 and ticket["data"]["sla_hours"] == 1
    assert desk.open_steps(number) == ["respond"]

    # Nobody called the customer back within the hour: the supervisor takes over.
    assert do_fire_due_timers(now=timezone.now() + dt.timedelta(hours=1, minutes=1)) == 1
    assert desk.open_steps(number) == ["escalate", "respond"]
    desk.complete(number, "escalate", {"escalation_action": "called the customer"}, by="bob")
    desk.complete(number, "respond", {"customer_reached": True, "samples_kept": True})

    desk.complete(
        number,
        "investigate",
        {"finding": "confirmed", "root_cause": "cold chain", "compensation_amount": "800.00"},
        by="lin",
    )
    holder, task = desk.holder(number, "approve_compensation")
    assert holder == "carol" and task["candidate_groups"] == ["finance"]
    # The field rules of the template: finance sees the customer's phone masked.
    assert desk.ticket(number, "carol")["data"]["customer_phone"] == "138****1234"
    assert desk.ticket(number, "alice")["data"]["customer_phone"] == "13812341234"
    desk.post("carol", f"/api/v1/tasks/{task['id']}/approve", {"comment": "within policy"})
    desk.complete(number, "notify", {"notified_by": "phone"})
    done = desk.complete(number, "csat", {"rating": 4, "feedback": "they called quickly"})
    assert done["status"] == "completed" and done["open_tasks"] == []
    assert done["data"]["approver_group"] == "finance" and done["data"]["approved"] is True
    kinds = set(TicketEvent.objects.filter(ticket__number=number).values_list("kind", flat=True))
    assert {"approved", "completed"} <= kinds


def test_food_safety_small_compensation_needs_no_approval(desk, deployed):
    deployed("food_safety")
    number = desk.start(
        "alice", "food_safety", {**WANG_FANG, "store": "Pudong", "severity": "foreign_object"}
    )["number"]
    desk.complete(number, "respond", {"customer_reached": True})
    desk.complete(number, "investigate", {"finding": "confirmed", "compensation_amount": "150"})
    assert desk.open_steps(number) == ["notify"]


def test_broken_goods_reshipped_and_closed_by_the_couriers_message(desk, deployed):
    deployed("damaged_goods")
    number = desk.start(
        "alice",
        "damaged_goods",
        {
            **WANG_FANG,
            "order_no": "JD-2026-8812",
            "damage": "broken",
            "order_value": "320.00",
            "address": "上海市静安区南京西路 1266 号",
        },
        correlation_key="JD-2026-8812",
    )["number"]
    desk.complete(number, "verify_photos", {"photos_ok": True})
    desk.complete(number, "reship", {"courier": "sf", "tracking_no": "SF1234567890"}, by="ming")
    waiting = desk.ticket(number)
    assert waiting["open_tasks"][0]["bpmn_id"] == "track_delivery"
    assert waiting["waiting_messages"] == ["delivery_confirmed"]

    unknown = {"name": "delivery_confirmed", "correlation_key": "JD-0000", "payload": {}}
    desk.post("dave", "/api/v1/messages", unknown, expect=404)
    message = {
        "name": "delivery_confirmed",
        "correlation_key": "JD-2026-8812",
        "payload": {"tracking_no": "SF1234567890", "signed_by": "Wang Fang"},
    }
    delivered = desk.post("dave", "/api/v1/messages", message)
    assert [t["bpmn_id"] for t in delivered["open_tasks"]] == ["confirm_receipt"]
    assert delivered["data"]["delivery"]["signed_by"] == "Wang Fang"
    assert delivered["waiting_messages"] == []
    desk.post("dave", "/api/v1/messages", message, expect=404)  # delivered once only

    done = desk.complete(number, "confirm_receipt", {"goods_ok": True, "rating": 5})
    assert done["status"] == "completed"


def test_broken_goods_photos_refused(desk, deployed):
    deployed("damaged_goods")
    number = desk.start(
        "alice", "damaged_goods", {**WANG_FANG, "order_no": "JD-1", "damage": "broken"}
    )["number"]
    desk.complete(number, "verify_photos", {"photos_ok": False})
    done = desk.complete(number, "refuse", {"refusal_reason": "another product"})
    assert done["status"] == "completed"


def test_course_refund_sent_back_for_a_receipt_then_approved_by_finance_and_paid(desk, deployed):
    deployed("course_refund")
    start = {
        "student_name": "Wang Xiaoming",
        "parent_phone": "13812341234",
        "course": "english",
        "amount_paid": "12000.00",
        "lessons_total": 48,
        "lessons_taken": 12,
        "days_since_purchase": 60,
    }
    number = desk.start("alice", "course_refund", start)["number"]
    desk.complete(number, "review_request", {"contract_checked": False})
    holder, task = desk.holder(number, "approve_refund")
    assert holder == "carol" and task["candidate_groups"] == ["finance"]
    assert desk.ticket(number)["data"]["refund_amount"] in ("8100.00", "8100.0", 8100)
    desk.complete(number, "approve_refund", {"outcome": "more_info", "approver_note": "receipt?"})
    desk.complete(number, "review_request", {"contract_checked": True, "review_note": "found"})
    desk.complete(number, "approve_refund", {"outcome": "approve"}, by="carol")
    desk.complete(number, "settle_refund", {"payment_method": "original", "transaction_no": "T1"})
    done = desk.complete(number, "notify_parent", {"parent_told": True})
    assert done["status"] == "completed"


def test_course_refund_over_ten_thousand_goes_to_the_directors(desk, deployed):
    deployed("course_refund")
    start = {
        "student_name": "Zhao Lei",
        "parent_phone": "13700002222",
        "course": "coding",
        "amount_paid": "30000.00",
        "lessons_total": 100,
        "lessons_taken": 40,
        "days_since_purchase": 200,
    }
    number = desk.start("alice", "course_refund", start)["number"]
    desk.complete(number, "review_request", {"contract_checked": True})
    desk.complete(number, "approve_refund", {"outcome": "reject"}, by="qian")
    assert desk.open_steps(number) == ["notify_parent"]


def test_trial_lesson_no_show_arranged_again_then_enrolled(desk, deployed):
    deployed("trial_lesson")
    start = {"student_name": "Li Hua", "parent_phone": "13900001111", "subject": "piano"}
    number = desk.start("alice", "trial_lesson", start)["number"]
    desk.complete(number, "arrange_trial", {"trial_date": "2026-12-05", "teacher": "Mr Liu"})
    desk.complete(number, "record_trial", {"attended": False, "rearrange": True}, by="zhou")
    desk.complete(number, "arrange_trial", {"trial_date": "2026-12-12", "teacher": "Mr Liu"})
    desk.complete(number, "record_trial", {"attended": True, "level": "beginner"})
    done = desk.complete(number, "follow_up", {"enrolled": True})
    assert done["status"] == "completed" and done["data"]["trial_date"] == "2026-12-12"


def test_returns_vip_refund_received_and_settled(desk, deployed):
    deployed("returns")
    number = desk.start("alice", "returns", RETURNS_VIP_REFUND)["number"]
    assert desk.ticket(number)["data"]["resolution"] == "refund"
    seen_by_warehouse = desk.ticket(number, "wei")["data"]
    assert "price" not in seen_by_warehouse and seen_by_warehouse["item"] == "Headphones"
    desk.complete(number, "receive_goods", {"goods_as_described": True}, by="wei")
    settled = desk.complete(
        number, "settle_refund", {"payment_method": "original", "transaction_no": "R1"}, by="carol"
    )
    assert settled["data"]["refund_amount"] in ("1161.00", 1161)
    done = desk.complete(number, "notify_customer", {"customer_told": True, "rating": 5})
    assert done["status"] == "completed"


def test_returns_damaged_by_the_customer_is_refused_without_the_warehouse(desk, deployed):
    deployed("returns")
    start = {
        **WANG_FANG,
        "item": "Phone case",
        "price": "89.00",
        "days_since_purchase": 2,
        "condition": "damaged_by_customer",
        "request": "exchange",
    }
    number = desk.start("alice", "returns", start)["number"]
    assert desk.open_steps(number) == ["inform_refusal"]
