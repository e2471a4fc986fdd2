"""The auto-repair example end to end through the real engine: processes/auto_repair.bpmn
with its forms and triage table, the catalog in processes/catalog/, parts taken from stock,
a settlement produced, confirmed and paid in two payments."""

from decimal import Decimal

import pytest

from pricing.actions import do_import_catalog_folder
from pricing.balance import balance_of
from pricing.models import Reservation, Settlement, StockLevel
from tests.conftest import PROCESSES, deploy_file
from tests.integrations.support import session_client
from tickets import actions
from tickets.models import HumanTask

D = Decimal
CHECK_IN = {
    "customer_name": "Wang Fang",
    "customer_phone": "13812341234",
    "customer_tier": "gold",
    "plate_number": "沪A12345",
    "vehicle_model": "Volkswagen Lavida",
    "mileage_km": 86000,
    "complaint": "刹车异响，踏板发软 / grinding when braking, soft pedal",
    "fault_system": "brakes",
    "drivable": False,
    "region": "sh",
    "payment_method": "wechat_pay",
}
DIAGNOSIS = {
    "diagnosis": "Front pads worn to the metal, both front discs scored",
    "services": [{"code": "AR-DIAG", "quantity": 1}, {"code": "AR-BRAKE", "quantity": 1}],
    "parts": [
        {"sku": "BP-FRONT", "warehouse": "WH-SH", "quantity": 1},
        {"sku": "BD-FRONT", "warehouse": "WH-SH", "quantity": 2},
    ],
    "labour_hours": 0,
}


@pytest.fixture
def workshop(db):
    reports = do_import_catalog_folder(PROCESSES / "catalog")
    assert [k for k, r in reports.items() if r.ok] == [
        "regions",
        "tiers",
        "services",
        "parts",
        "stock",
    ]
    return deploy_file(PROCESSES / "auto_repair.bpmn")


def _step(ticket, bpmn_id, data, fallback):
    task = HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=actions.OPEN_STATES)
    ticket = actions.do_complete_task(task.assignee or fallback, task.id, data)
    assert ticket.incident is None, ticket.incident
    return ticket


def _shelf(sku):
    stock = StockLevel.objects.get(part__sku=sku)
    return stock.on_hand, stock.reserved


def _open_steps(ticket):
    return list(
        HumanTask.objects.filter(ticket=ticket, state__in=actions.OPEN_STATES).values_list(
            "bpmn_id", flat=True
        )
    )


def test_a_car_is_diagnosed_quoted_approved_repaired_settled_and_paid(cast, workshop):
    ticket = actions.do_start_ticket(cast["alice"], "auto_repair", dict(CHECK_IN))
    assert ticket.data["urgency"] == "urgent" and ticket.priority == 4  # towed in: brakes
    ticket = _step(ticket, "diagnose", DIAGNOSIS, cast["tom"])
    assert (_shelf("BP-FRONT"), _shelf("BD-FRONT")) == ((6, 1), (4, 2))

    # The quote: services at the Shanghai coefficient (x1.10), the parts, the urgent
    # surcharge of the pricing table, the gold discount; tax per line.
    quote = Settlement.objects.get(ticket_id=ticket.number)
    assert [(x.code, x.amount, x.tax) for x in quote.lines.all()] == [
        ("AR-DIAG", D("165.00"), D("9.90")),
        ("AR-BRAKE", D("308.00"), D("18.48")),
        ("BP-FRONT", D("320.00"), D("41.60")),
        ("BD-FRONT", D("900.00"), D("117.00")),
        ("R1", D("141.90"), D("8.51")),  # urgent: 30% of 473.00
        ("gold", D("-61.49"), D("-3.69")),  # 10% of 614.90
    ]
    assert (quote.subtotal, quote.tax, quote.total) == (D("1773.41"), D("191.80"), D("1965.21"))
    assert quote.status == "draft" and ticket.data["quote"]["total"] == "1965.21"
    assert quote.dimensions["urgency"] == "urgent" and quote.dimensions["region"] == "sh"
    assert _open_steps(ticket) == ["customer_approval"]

    ticket = _step(
        ticket, "customer_approval", {"approved": True, "confirmed_via": "phone"}, cast["alice"]
    )
    ticket = _step(
        ticket,
        "work",
        {"work_done": "Pads and discs replaced", "road_test_passed": True},
        cast["tom"],
    )
    # settled and confirmed: the parts left the shelf
    statement = Settlement.objects.get(ticket_id=ticket.number)
    assert statement.status == "confirmed" and statement.total == D("1965.21")
    assert (_shelf("BP-FRONT"), _shelf("BD-FRONT")) == ((5, 0), (2, 0))
    assert set(Reservation.objects.values_list("state", flat=True)) == {"consumed"}
    assert ticket.data["confirmed"]["parts_used"] == 3

    first = {"amount": "1000.00", "method": "wechat_pay", "reference": "WX-20261130-1"}
    ticket = _step(ticket, "collect_payment", first, cast["carol"])
    assert ticket.data["payment"]["outstanding"] == "965.21"
    assert _open_steps(ticket) == ["collect_payment"]  # the balance comes back to finance
    ticket = _step(
        ticket,
        "collect_payment",
        {"amount": "965.21", "method": "cash", "reference": "R-2"},
        cast["carol"],
    )
    assert _open_steps(ticket) == ["csat"]  # paid: the service advisor calls the customer
    ticket = _step(ticket, "csat", {"rating": 5, "car_runs_well": True}, cast["alice"])
    assert ticket.status == "completed" and ticket.data["rating"] == 5
    balance = balance_of(statement)
    assert (balance.paid, balance.outstanding, balance.standing) == (D("1965.21"), 0, "paid")
    assert list(statement.payments.values_list("method", flat=True)) == ["wechat_pay", "cash"]

    html = (
        session_client(cast["carol"]).get(f"/pricing/statements/{ticket.number}/").content.decode()
    )
    assert "¥1,965.21" in html and "故障诊断 Diagnostic scan" in html and "WX-20261130-1" in html


def test_a_declined_quote_gives_the_parts_back(cast, workshop):
    start = {
        **CHECK_IN,
        "fault_system": "electrical",
        "drivable": True,
        "customer_tier": "standard",
    }
    ticket = actions.do_start_ticket(cast["alice"], "auto_repair", start)
    assert ticket.data["urgency"] == "normal" and ticket.priority == 1
    battery = {
        "diagnosis": "Battery does not hold its charge",
        "services": [{"code": "AR-BATT", "quantity": 1}],
        "parts": [{"sku": "BAT-60AH", "warehouse": "WH-SH", "quantity": 1}],
    }
    ticket = _step(ticket, "diagnose", battery, cast["tom"])
    assert _shelf("BAT-60AH") == (5, 1)
    # 80.00 x 1.10 = 88.00 (5.28) + 620.00 (80.60) + hazardous parts handling 40.00 (2.40)
    assert Settlement.objects.get().total == D("836.28")
    declined = {"approved": False, "confirmed_via": "wechat", "customer_comment": "buys one"}
    ticket = _step(ticket, "customer_approval", declined, cast["alice"])
    assert ticket.status == "completed" and ticket.data["released"] == {"released": 1}
    assert _shelf("BAT-60AH") == (5, 0)
    assert Settlement.objects.get().status == "draft"  # never confirmed, nothing to pay


def test_a_diagnosis_naming_an_unknown_part_is_refused_by_the_form(cast, workshop):
    ticket = actions.do_start_ticket(cast["alice"], "auto_repair", dict(CHECK_IN))
    task = HumanTask.objects.get(ticket=ticket, bpmn_id="diagnose")
    wrong = {**DIAGNOSIS, "parts": [{"sku": "NOPE-1", "warehouse": "WH-SH", "quantity": 1}]}
    with pytest.raises(actions.InvalidSubmission) as refused:
        actions.do_complete_task(task.assignee or cast["tom"], task.id, wrong)
    assert "Unknown part: NOPE-1" in str(refused.value.errors)
    assert not Reservation.objects.exists()


def test_the_forms_of_the_example_render_for_the_people_who_fill_them(cast, workshop):
    alice = session_client(cast["alice"])
    chinese = alice.get(
        "/tickets/new/auto_repair/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "车牌号" in chinese and "微信支付" in chinese and "Plate number" not in chinese
    english = alice.get("/tickets/new/auto_repair/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Plate number" in english and "WeChat Pay" in english and "车牌号" not in english
    ticket = actions.do_start_ticket(cast["alice"], "auto_repair", dict(CHECK_IN))
    task = HumanTask.objects.get(ticket=ticket, bpmn_id="diagnose")
    page = session_client(task.assignee or cast["tom"]).get(
        f"/tasks/{task.id}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = page.content.decode()
    assert page.status_code == 200 and "Services" in html and "Part (SKU)" in html
    assert "维修项目" not in html
    ticket = _step(ticket, "diagnose", DIAGNOSIS, cast["tom"])
    approval = HumanTask.objects.get(ticket=ticket, bpmn_id="customer_approval")
    page = session_client(approval.assignee or cast["alice"]).get(f"/tickets/{ticket.number}/")
    html = page.content.decode()
    assert "¥1,965.21" in html and "Decimal(" not in html and "{'" not in html


def test_the_customer_opens_the_statement_from_the_portal(cast, workshop):
    from django.test import Client

    ticket = actions.do_start_ticket(cast["alice"], "auto_repair", dict(CHECK_IN))
    customer = Client()
    track = f"/t/{ticket.tracking_token}/"
    assert "/statement/" not in customer.get(track).content.decode()  # nothing priced yet
    assert customer.get(f"{track}statement/").status_code == 404
    ticket = _step(ticket, "diagnose", DIAGNOSIS, cast["tom"])
    page = customer.get(track, headers={"Accept-Language": "zh-hans"}).content.decode()
    assert f'href="{track}statement/"' in page and "结算单与付款记录（可打印）" in page
    statement = customer.get(f"{track}statement/")
    html = statement.content.decode()
    assert statement.status_code == 200 and "¥1,965.21" in html and "@media print" in html
    assert "onclick" not in html and "'unsafe-inline'" not in statement["Content-Security-Policy"]
    assert statement["X-Robots-Tag"] == "noindex"
    assert customer.get("/t/not-a-token/statement/").status_code == 404
