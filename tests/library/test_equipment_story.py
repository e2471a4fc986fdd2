"""Equipment maintenance (processes/equipment_maintenance.bpmn) started over the API and
driven to its end by the real roles: customer service raises it, a key-account dispatcher
plans the visit, scheduling books the least-busy technician with the skill in the site's
region, the technician checks in and out on the ticket page and records the work and the
parts, finance collects the instalments, and the customer follows it on the portal."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from org.models import BusinessCalendar, SkillTag
from pricing.actions import do_import_catalog_folder
from pricing.models import Reservation, Settlement, StockLevel
from scheduling.models import Booking, Resource, Service
from tests.conftest import PROCESSES, _user
from tickets.actions import do_fire_due_timers
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
SITE = {"province": "上海市", "city": "上海市", "district": "浦东新区", "street": "张江路 88 号"}
CHILLER = {
    "customer_name": "Huadong Cold Chain",
    "customer_phone": "13812341234",
    "customer_tier": "VIP",
    "sla_level": "premium",
    "equipment_model": "Carrier 30XA chiller",
    "serial_number": "CX30-2291",
    "warranty_status": "out_of_warranty",
    "region": "city",
    "site_address": SITE,
    "fault_severity": "down",
    "fault_description": "The compressor trips after five minutes",
    "payment_method": "transfer",
}
CONVEYOR = {
    **CHILLER,
    "customer_name": "Li Lei",
    "customer_phone": "13900001111",
    "customer_tier": "standard",
    "sla_level": "standard",
    "equipment_model": "Bosch packaging line",
    "serial_number": "BPL-2024-17",
    "warranty_status": "in_warranty",
    "fault_severity": "minor",
    "fault_description": "The belt slips under load",
    "payment_method": "wechat_pay",
}


def next_monday() -> str:
    today = dt.datetime.now(SHANGHAI).date()
    return (today + dt.timedelta(days=7 - today.weekday())).isoformat()


@pytest.fixture
def field_service(desk, deployed):
    """Two city technicians with the HVAC skill (Tom and Jun), one in the suburbs (Kai),
    the equipment catalog, and Mei who dispatches for key accounts."""
    for folder in (PROCESSES / "catalog", PROCESSES / "catalog" / "equipment"):
        assert all(r.ok for r in do_import_catalog_folder(folder).values())
    hours = {
        d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
    }
    calendar = BusinessCalendar.objects.create(name="field shifts", hours=hours)
    hvac = SkillTag.objects.create(code="hvac", name="HVAC")
    mechanical = SkillTag.objects.create(code="mechanical", name="Mechanical")
    desk.people["mei"] = _user("mei", ["key_account_dispatchers"])
    desk.people["jun"] = _user("jun", ["technicians"])
    desk.people["kai"] = _user("kai", ["technicians"])
    for code, username, region, skills in (
        ("fs-tom", "tom", "city", [hvac, mechanical]),
        ("fs-jun", "jun", "city", [hvac]),
        ("fs-kai", "kai", "suburb", [hvac, mechanical]),
    ):
        resource = Resource.objects.create(
            code=code, name=username, user=desk.people[username], region=region, calendar=calendar
        )
        resource.skills.set(skills)
    Service.objects.create(code="eq-hvac", name="HVAC visit", minutes=120, skill=hvac)
    Service.objects.create(
        code="eq-mechanical", name="Mechanical visit", minutes=120, skill=mechanical
    )
    deployed("equipment_maintenance")
    return desk


def _shelf(sku):
    stock = StockLevel.objects.get(part__sku=sku, warehouse__code="WH-SH")
    return stock.on_hand, stock.reserved


def _visit(desk, number: str, technician: str, step: str) -> None:
    booking = Booking.objects.exclude(status="cancelled").get(ticket_number=number)
    url = reverse("tickets:appointment_visit", args=[number, booking.id, step])
    assert desk.client(technician).post(url).status_code == 302


def test_a_chiller_down_at_a_vip_is_dispatched_repaired_settled_in_instalments_and_rated(
    field_service,
):
    desk = field_service
    ticket = desk.start("alice", "equipment_maintenance", CHILLER, channel="phone")
    number = ticket["number"]
    assert (ticket["priority"], ticket["data"]["sla_hours"]) == (4, 2)
    holder, task = desk.holder(number, "plan_dispatch")
    assert task["candidate_groups"] == ["key_account_dispatchers"] and holder == "mei"

    plan = {"field_service": "eq-hvac", "skill_level": "senior", "visit_date": next_monday()}
    desk.complete(number, "plan_dispatch", plan, by="mei")
    # Tom and Jun both work HVAC in the city and are free: the first by code is booked,
    # at the start of the day, and the on-site step is his.
    booking = Booking.objects.get(ticket_number=number)
    assert booking.resource.code == "fs-jun" and booking.status == "booked"
    assert booking.starts_at == dt.datetime.fromisoformat(f"{plan['visit_date']}T09:00+08:00")
    holder, task = desk.holder(number, "onsite")
    assert holder == "jun"
    assert desk.ticket(number, "jun")["data"]["visit"]["technician"] == "jun"

    _visit(desk, number, "jun", "in")
    onsite = {
        "info_missing": False,
        "diagnosis": "Compressor windings burnt",
        "work_done": "Compressor replaced, refrigerant recharged",
        "labour_hours": 5,
        "parts_used": [
            {"sku": "EQ-COMP-5HP", "warehouse": "WH-SH", "quantity": 1},
            {"sku": "EQ-REFRIG-R410A", "warehouse": "WH-SH", "quantity": 1},
        ],
    }
    desk.complete(number, "onsite", onsite, by="jun")
    _visit(desk, number, "jun", "out")
    booking.refresh_from_db()
    assert booking.status == "done" and booking.checked_in_at <= booking.checked_out_at
    assert (_shelf("EQ-COMP-5HP"), _shelf("EQ-REFRIG-R410A")) == ((3, 1), (8, 1))

    # The quote: call-out in the city, 5 h at the senior rate, the parts, the premium
    # contract's 15% off the service and labour, then the VIP tier's discount.
    quote = Settlement.objects.get(ticket_id=number)
    lines = [(x.code, x.amount) for x in quote.lines.all()]
    assert lines[:4] == [
        ("EQ-CALLOUT-CITY", D("120.00")),
        ("LABOUR", D("1100.00")),
        ("EQ-COMP-5HP", D("4200.00")),
        ("EQ-REFRIG-R410A", D("760.00")),
    ]
    assert ("R9", D("-183.00")) in lines  # premium contract: 15% of 1,220.00
    assert quote.status == "draft" and quote.plan == "single"

    # The customer sees the quote on the portal.
    customer = Client()
    track = f"/t/{Ticket.objects.get(number=number).tracking_token}/"
    assert f'href="{track}statement/"' in customer.get(track).content.decode()
    assert "压缩机（5 匹） Compressor 5 HP" in customer.get(f"{track}statement/").content.decode()

    desk.complete(number, "confirm_fix", {"fixed": True, "rating": 5, "feedback": "Cold again"})
    statement = Settlement.objects.get(ticket_id=number)
    assert statement.status == "confirmed" and statement.plan == "instalments"
    dues = list(statement.schedule.values_list("amount", flat=True))
    assert len(dues) == 3 and sum(dues) == statement.total  # over 3,000: three instalments
    assert (_shelf("EQ-COMP-5HP"), _shelf("EQ-REFRIG-R410A")) == ((2, 0), (7, 0))

    holder, task = desk.holder(number, "collect_payment")
    no_receipt = {"data": {"amount": str(dues[0]), "method": "cash"}}  # every payment has one
    desk.post(holder, f"/api/v1/tasks/{task['id']}/complete", no_receipt, expect=422)
    first = {"amount": str(dues[0]), "method": "transfer", "reference": "TR-20261207-1"}
    paid = desk.complete(number, "collect_payment", first, by="carol")
    assert paid["data"]["payment"]["paid_in_full"] is False
    assert desk.ticket(number, "carol")["data"]["customer_phone"] == "138****1234"
    rest = {"amount": str(dues[1] + dues[2]), "method": "transfer", "reference": "TR-2"}
    done = desk.complete(number, "collect_payment", rest, by="carol")
    assert done["status"] == "completed" and done["open_tasks"] == []

    rated = customer.post(f"{track}rate/", {"score": "5", "comment": "fast"})
    assert rated.status_code == 302
    kinds = list(Ticket.objects.get(number=number).events.values_list("kind", flat=True))
    assert kinds.index("checked_in") < kinds.index("checked_out") < kinds.index("completed")
    assert "rated" in kinds


def test_a_late_dispatch_escalates_and_the_customer_cancels_before_anyone_is_sent(
    field_service,
):
    desk = field_service
    number = desk.start("alice", "equipment_maintenance", CONVEYOR)["number"]
    ticket = desk.ticket(number)
    assert (ticket["priority"], ticket["data"]["sla_hours"]) == (2, 24)
    assert desk.holder(number, "plan_dispatch")[1]["candidate_groups"] == ["dispatchers"]

    assert do_fire_due_timers(now=timezone.now() + dt.timedelta(hours=24, minutes=1)) == 1
    assert desk.open_steps(number) == ["escalate", "plan_dispatch"]
    desk.complete(number, "escalate", {"escalation_action": "Called Li Lei"}, by="bob")

    # The customer cancels in the company's app: its backend tells the ticket.
    cancel = {"name": "service_cancelled", "ticket": number, "payload": {"reason": "fixed it"}}
    cancelled = desk.post("dave", "/api/v1/messages", cancel)
    assert cancelled["status"] == "completed" and cancelled["open_tasks"] == []
    assert cancelled["data"]["cancellation"] == {"reason": "fixed it"}
    assert cancelled["data"]["consumed"] == {"parts_used": 0}  # nothing was fitted yet
    assert not Booking.objects.filter(ticket_number=number).exists()
    desk.post("dave", "/api/v1/messages", cancel, expect=404)  # once only


def test_missing_information_is_sent_back_the_warranty_repair_costs_nothing_and_a_failed_fix_is_revisited(  # noqa: E501
    field_service,
):
    desk = field_service
    number = desk.start("alice", "equipment_maintenance", CONVEYOR)["number"]
    plan = {
        "field_service": "eq-mechanical",
        "skill_level": "standard",
        "visit_date": next_monday(),
    }
    desk.complete(number, "plan_dispatch", plan)
    assert desk.holder(number, "onsite")[0] == "tom"  # the one mechanical technician in the city

    missing = {"info_missing": True, "missing_info": "Two lines on site: which serial number?"}
    desk.complete(number, "onsite", missing, by="tom")
    assert Booking.objects.get(ticket_number=number).status == "cancelled"  # the slot is free
    desk.complete(number, "complete_info", {"info_answer": "Line 2", "serial_number": "BPL-2"})
    assert desk.ticket(number)["data"]["serial_number"] == "BPL-2"
    desk.complete(number, "plan_dispatch", plan)
    belt = {"sku": "EQ-BELT-A42", "warehouse": "WH-SH", "quantity": 2}
    work = {"info_missing": False, "work_done": "Belt replaced", "labour_hours": 1}
    desk.complete(number, "onsite", {**work, "parts_used": [belt]}, by="tom")
    # Under warranty: the belts leave the shelf, nobody is billed.
    assert _shelf("EQ-BELT-A42") == (18, 0)
    assert not Settlement.objects.filter(ticket_id=number).exists()

    revisit = desk.complete(number, "confirm_fix", {"fixed": False, "rating": 2})
    assert revisit["data"]["repeat_visit"] is True
    assert [t["bpmn_id"] for t in revisit["open_tasks"]] == ["plan_dispatch"]
    desk.complete(number, "plan_dispatch", plan)
    # The second visit's sheet starts blank: no hours, no parts carried over from the first.
    desk.complete(number, "onsite", {"info_missing": False, "work_done": "Re-tensioned"}, by="tom")
    done = desk.complete(number, "confirm_fix", {"fixed": True, "rating": 4})
    assert done["status"] == "completed" and done["data"]["visit_count"] == 2
    assert done["data"]["billed_hours"] == 1 and done["data"]["parts_used"] == []
    assert _shelf("EQ-BELT-A42") == (18, 0)
    assert set(Reservation.objects.values_list("state", flat=True)) == {"consumed"}
    assert not Settlement.objects.filter(ticket_id=number).exists()


def test_an_unknown_part_or_a_missing_date_is_refused_in_words_and_nothing_is_booked(
    field_service,
):
    desk = field_service
    number = desk.start("alice", "equipment_maintenance", CHILLER)["number"]
    holder, task = desk.holder(number, "plan_dispatch")
    url = f"/api/v1/tasks/{task['id']}/complete"
    refused = desk.post(holder, url, {"data": {"field_service": "eq-hvac"}}, expect=422)
    assert "visit_date" in str(refused) and "Traceback" not in str(refused)
    assert not Booking.objects.exists()

    plan = {"field_service": "eq-hvac", "skill_level": "expert", "visit_date": next_monday()}
    desk.complete(number, "plan_dispatch", plan)
    holder, task = desk.holder(number, "onsite")
    wrong = {"info_missing": False, "parts_used": [{"sku": "NOPE", "warehouse": "WH-SH"}]}
    refused = desk.post(holder, f"/api/v1/tasks/{task['id']}/complete", {"data": wrong}, 422)
    assert "NOPE" in str(refused) and not Reservation.objects.exists()


def test_the_report_form_and_the_quoted_ticket_read_as_words_in_both_languages(field_service):
    desk = field_service
    english = desk.client("alice").get("/tickets/new/equipment_maintenance/?lang=en")
    html = english.content.decode()
    assert english.status_code == 200 and "Serial number" in html and "Site address" in html
    chinese = desk.client("alice").get(
        "/tickets/new/equipment_maintenance/", headers={"Accept-Language": "zh-hans"}
    )
    html = chinese.content.decode()
    assert "设备序列号" in html and "保修期内" in html and "Serial number" not in html

    number = desk.start("alice", "equipment_maintenance", CHILLER)["number"]
    plan = {"field_service": "eq-hvac", "skill_level": "standard", "visit_date": next_monday()}
    desk.complete(number, "plan_dispatch", plan)
    filter_part = {"sku": "EQ-FILTER", "warehouse": "WH-SH", "quantity": 2}
    work = {"info_missing": False, "labour_hours": 1, "parts_used": [filter_part]}
    desk.complete(number, "onsite", work)
    page = desk.client("dave").get(f"/tickets/{number}/").content.decode()
    assert "EQ-CALLOUT-CITY" in page or "Call-out (city)" in page
    assert "Decimal(" not in page and "{'" not in page and ">True<" not in page
