"""Settlements: tier breaks, region, the pricing decision, tier discount, tax and rounding."""

import datetime as dt
from decimal import Decimal

import pytest

from pricing import compute
from pricing.actions import (
    SettlementLocked,
    do_confirm_settlement,
    do_reserve_part,
    do_settle,
)
from pricing.models import Settlement, StockLevel
from pricing.rules import PricingInputError
from tests.pricing.support import catalog

D = Decimal

REQUEST = {
    "services": [{"code": "SV-INST", "quantity": 12}, {"code": "SV-DIAG", "quantity": 1}],
    "labour_hours": "2.5",
    "region": "bj",
    "customer_tier": "gold",
    "urgency": "urgent",
    "after_hours": True,
    "distance_km": 35,
    "coupon": "NEW50",
    "payment_method": "card",
    "instalments": 3,
    "first_due": "2026-12-15",
}


def _lines(settlement):
    return [(x.kind, x.code, x.unit_price, x.amount, x.tax) for x in settlement.lines.all()]


@pytest.mark.django_db
def test_a_settlement_matches_the_hand_computed_figures():
    catalog()
    do_reserve_part(ticket_id="SV-1", sku="P-1", warehouse="WH-BJ", quantity=3)
    settlement = do_settle("SV-1", REQUEST)
    assert _lines(settlement) == [
        # 12 >= the 10 break: 100.00 x region 1.15 = 115.00; 13% tax
        ("service", "SV-INST", D("115.00"), D("1380.00"), D("179.40")),
        ("service", "SV-DIAG", D("92.00"), D("92.00"), D("5.52")),
        ("labour", "LABOUR", D("100.00"), D("250.00"), D("15.00")),
        ("part", "P-1", D("45.50"), D("136.50"), D("17.75")),  # 17.745 rounds half up
        # the decision's rows on services + labour (1722.00), taxed at 6%
        ("adjustment", "R1", D("516.60"), D("516.60"), D("31.00")),  # urgent +30%
        ("adjustment", "R3", D("344.40"), D("344.40"), D("20.66")),  # after hours +20%
        ("adjustment", "R5", D("30.00"), D("30.00"), D("1.80")),  # travel 20-50 km
        ("adjustment", "R12", D("-86.10"), D("-86.10"), D("-5.17")),  # volume installation
        ("adjustment", "R15", D("-86.10"), D("-86.10"), D("-5.17")),  # long job (21 h)
        ("adjustment", "R17", D("-50.00"), D("-50.00"), D("-3.00")),  # coupon NEW50
        ("adjustment", "R21", D("15.00"), D("15.00"), D("0.90")),  # instalment handling
        ("adjustment", "R22", D("40.00"), D("40.00"), D("2.40")),  # refrigerant handling
        # gold 10% of 2445.80
        ("discount", "gold", D("-244.58"), D("-244.58"), D("-14.67")),
    ]
    assert (settlement.subtotal, settlement.tax, settlement.total) == (
        D("2337.72"),
        D("246.42"),
        D("2584.14"),
    )
    assert settlement.decision_version.startswith("file:")
    assert (
        settlement.dimensions["labour_hours"] == "21.00"
        and settlement.dimensions["quantity"] == "13"
    )
    dues = [(d.due_date, d.amount) for d in settlement.schedule.all()]
    assert dues == [
        (dt.date(2026, 12, 15), D("861.38")),
        (dt.date(2027, 1, 15), D("861.38")),
        (dt.date(2027, 2, 15), D("861.38")),
    ]
    assert sum(a for _, a in dues) == settlement.total


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quantity", "unit"),
    [(1, "138.00"), (9, "138.00"), (10, "115.00"), (49, "115.00"), (50, "103.50")],
)
def test_each_tier_break_and_the_region_coefficient(quantity, unit):
    catalog()
    settlement = do_settle(
        "SV-2",
        {
            "services": [{"code": "SV-INST", "quantity": quantity}],
            "region": "bj",
            "payment_method": "cash",
        },
    )
    line = settlement.lines.get(kind="service")
    assert line.unit_price == D(unit) and line.amount == D(unit) * quantity


@pytest.mark.django_db
def test_warranty_cover_never_takes_services_below_zero():
    catalog()
    data = {
        "services": [{"code": "SV-DIAG", "quantity": 1}],
        "warranty_status": "in_warranty",
        "urgency": "emergency",
        "payment_method": "warranty_free",
    }
    settlement = do_settle("SV-3", data)
    # 80.00 + 60% emergency (48.00) - 100% warranty cover (80.00): the surcharge stays
    amounts = [(x.code, x.amount) for x in settlement.lines.all()]
    assert amounts == [("SV-DIAG", D("80.00")), ("R2", D("48.00")), ("R7", D("-80.00"))]
    assert settlement.total == D("50.88")  # 48.00 + 6% tax on services and adjustments


def test_instalments_and_milestones_sum_exactly():
    assert compute.instalments(D("100.00"), 3) == [D("33.33"), D("33.33"), D("33.34")]
    for total in (D("0.01"), D("0.05"), D("999.99"), D("12345.67")):
        for n in range(1, 13):
            parts = compute.instalments(total, n)
            assert len(parts) == n and sum(parts) == total and min(parts) >= 0
    assert compute.milestones(D("1000.01"), [D(30), D(40), D(30)]) == [
        D("300.00"),
        D("400.00"),
        D("300.01"),
    ]
    with pytest.raises(ValueError, match="sum to 90"):
        compute.milestones(D("10"), [D(50), D(40)])


@pytest.mark.django_db
def test_milestone_plans_and_bad_requests():
    catalog()
    data = {
        "services": [{"code": "SV-DIAG", "quantity": 3}],
        "payment_method": "transfer",
        "milestones": [
            {"label": "Deposit", "percent": 30, "due_date": "2026-12-01"},
            {"label": "On completion", "percent": "70"},
        ],
        "first_due": "2026-12-01",
    }
    settlement = do_settle("SV-4", data)
    assert settlement.total == D("254.40")  # 240.00 + 6%
    assert [(d.label, d.percent, d.amount, d.due_date) for d in settlement.schedule.all()] == [
        ("Deposit", D("30.00"), D("76.32"), dt.date(2026, 12, 1)),
        ("On completion", D("70.00"), D("178.08"), dt.date(2027, 1, 1)),
    ]
    bad = [
        ({"milestones": [{"percent": 60}, {"percent": 30}]}, "sum to 100"),
        ({"services": [{"code": "SV-X", "quantity": 1}]}, "unknown service item"),
        ({"services": [{"code": "SV-DIAG", "quantity": 1.5}]}, "whole number"),
        ({"services": [{"code": "SV-DIAG", "quantity": -1}]}, "between 1 and"),
        ({"payment_method": "bitcoin"}, "payment_method must be one of"),
        ({"region": "mars"}, "unknown region"),
        ({"after_hours": "yes"}, "after_hours must be true or false"),
        ({"distance_km": "far"}, "distance_km must be a number"),
        ({"milestones": None, "instalments": 2.5}, "instalments must be a whole number"),
    ]
    for change, message in bad:
        with pytest.raises(PricingInputError, match=message):
            do_settle("SV-5", {**data, **change})
    assert not Settlement.objects.filter(ticket_id="SV-5").exists()


@pytest.mark.django_db
def test_confirming_consumes_the_parts_and_freezes_the_statement():
    catalog()
    do_reserve_part(ticket_id="SV-6", sku="P-1", warehouse="WH-BJ", quantity=2)
    data = {"services": [{"code": "SV-DIAG", "quantity": 1}], "payment_method": "alipay"}
    first = do_settle("SV-6", data)
    again = do_settle("SV-6", {**data, "services": [{"code": "SV-DIAG", "quantity": 2}]})
    assert again.id == first.id and again.lines.count() == 3  # service, part, R22
    do_confirm_settlement("SV-6")
    stock = StockLevel.objects.get()
    assert (stock.on_hand, stock.reserved) == (8, 0)
    with pytest.raises(SettlementLocked):
        do_settle("SV-6", data)
    with pytest.raises(SettlementLocked):
        do_confirm_settlement("SV-6")
    assert Settlement.objects.get().lines.get(kind="part").amount == D("91.00")


@pytest.mark.django_db
def test_payments_count_once_per_key_and_never_exceed_the_total(cast):
    from pricing.actions import PaymentConflict, do_record_payment
    from tests.integrations.support import post, token_client, token_for

    catalog()
    data = {"services": [{"code": "SV-DIAG", "quantity": 1}], "payment_method": "card"}
    do_settle("SV-7", data)  # 84.80
    with pytest.raises(SettlementLocked, match="confirmed settlement"):
        do_record_payment("SV-7", key="k0", amount="10.00", method="card")
    do_confirm_settlement("SV-7")
    client = token_client(token_for(cast["carol"], "pricing:read", "pricing:write"))
    url = "/api/v1/pricing/settlements/SV-7/payments"
    first = post(
        client, url, {"amount": "40.00", "method": "wechat_pay"}, **{"Idempotency-Key": "k1"}
    )
    again = post(
        client, url, {"amount": "40.00", "method": "wechat_pay"}, **{"Idempotency-Key": "k1"}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["outstanding"] == "44.80"
    other = post(
        client, url, {"amount": "41.00", "method": "wechat_pay"}, **{"Idempotency-Key": "k1"}
    )
    assert other.status_code == 409
    assert post(client, url, {"amount": "40.00", "method": "card"}).status_code == 400  # no key
    too_much = post(client, url, {"amount": "44.81", "method": "cash"}, **{"Idempotency-Key": "k2"})
    assert too_much.status_code == 400 and "44.80 outstanding" in too_much.json()["detail"]
    bad = post(client, url, {"amount": "1.001", "method": "cash"}, **{"Idempotency-Key": "k3"})
    assert bad.status_code == 400
    assert (
        post(
            client, url, {"amount": "44.80", "method": "cash"}, **{"Idempotency-Key": "k4"}
        ).status_code
        == 201
    )
    with pytest.raises(PaymentConflict):
        do_record_payment("SV-7", key="k4", amount="1.00", method="cash")
    settlement = client.get("/api/v1/pricing/settlements/SV-7").json()
    assert (settlement["paid"], settlement["outstanding"]) == ("84.80", "0.00")
    from pricing.queries import settlement_for

    block = settlement_for("SV-7")
    assert block["payment_status"] == "Paid" and len(block["payments"]) == 2


@pytest.mark.django_db
def test_the_printable_statement(cast):
    from tests.integrations.support import session_client

    catalog()
    do_settle("SV-8", {**REQUEST, "instalments": 2})
    page = session_client(cast["carol"]).get("/pricing/statements/SV-8/")
    html = page.content.decode()
    assert page.status_code == 200 and "结算单 Settlement statement" in html
    assert "@media print" in html and "Instalment 2 of 2" in html and "13%" in html
    assert "Urgent service" in html and "True" not in html and "Decimal" not in html
    assert session_client(cast["carol"]).get("/pricing/statements/SV-404/").status_code == 404
    assert session_client(cast["alice"]).get("/pricing/statements/SV-8/").status_code == 403
