"""Confirmed statements never change: corrections are credit notes, money given back is a
refund of a payment, never more than was paid with it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pricing.actions import SettlementLocked, do_confirm_settlement, do_record_payment, do_settle
from pricing.balance import balance_of, payment_status
from pricing.corrections import do_issue_credit_note, do_refund_payment
from pricing.models import Payment, Settlement
from pricing.rules import PricingInputError
from tests.integrations.support import post, session_client, token_client, token_for
from tests.pricing.support import catalog

D = Decimal
DIAGNOSIS = {"services": [{"code": "SV-DIAG", "quantity": 1}], "payment_method": "card"}


def _confirmed(ticket_id, **extra):
    catalog()
    do_settle(ticket_id, {**DIAGNOSIS, **extra})
    return do_confirm_settlement(ticket_id)


@pytest.mark.django_db
def test_credit_notes_and_refunds_settle_a_corrected_statement():
    catalog()
    do_settle("SV-C1", DIAGNOSIS)  # 80.00 + 6% = 84.80
    with pytest.raises(SettlementLocked, match="settling it again"):
        do_issue_credit_note("SV-C1", reason="wrong item")
    do_confirm_settlement("SV-C1")
    payment, _ = do_record_payment("SV-C1", key="p1", amount="84.80", method="card")

    first = do_issue_credit_note(
        "SV-C1", reason="diagnosis billed at the old rate", lines=[{"position": 1, "amount": "30"}]
    )
    assert (first.number, first.subtotal, first.tax, first.total) == (
        "SV-C1-CN1",
        D("-30.00"),
        D("-1.80"),
        D("-31.80"),
    )
    balance = balance_of(Settlement.objects.get())
    assert (balance.net_total, balance.outstanding, balance.standing) == (
        D("53.00"),
        D("-31.80"),
        "refund_due",
    )
    do_refund_payment("SV-C1", payment.id, key="r1", amount="31.80", reason="credit note CN1")
    assert payment_status(payment) == "partially_refunded"
    assert balance_of(Settlement.objects.get()).standing == "partially_refunded"

    rest = do_issue_credit_note("SV-C1", reason="goodwill: visit cancelled")
    assert (rest.number, rest.subtotal, rest.tax, rest.total) == (
        "SV-C1-CN2",
        D("-50.00"),
        D("-3.00"),  # the tax left on the line, so the line nets to exactly zero
        D("-53.00"),
    )
    with pytest.raises(PricingInputError, match="nothing is left to credit"):
        do_issue_credit_note("SV-C1", reason="again")
    with pytest.raises(PricingInputError, match="53.00 of this payment not yet refunded"):
        do_refund_payment("SV-C1", payment.id, key="r2", amount="53.01", reason="too much")
    do_refund_payment("SV-C1", payment.id, key="r2", amount="53.00", reason="credit note CN2")
    settlement = Settlement.objects.get()
    assert payment_status(Payment.objects.get()) == "refunded"
    balance = balance_of(settlement)
    assert (balance.net_total, balance.net_paid, balance.outstanding, balance.standing) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
        "refunded",
    )
    # the statement itself is as confirmed
    assert settlement.total == D("84.80") and settlement.lines.get().amount == D("80.00")
    with pytest.raises(SettlementLocked):
        do_settle("SV-C1", DIAGNOSIS)


@pytest.mark.django_db
def test_a_payment_after_a_credit_note_is_capped_at_the_corrected_total():
    _confirmed("SV-C2")
    do_issue_credit_note("SV-C2", reason="discount agreed", lines=[{"position": 1, "amount": "10"}])
    with pytest.raises(PricingInputError, match="74.20 outstanding"):
        do_record_payment("SV-C2", key="p1", amount="84.80", method="cash")
    do_record_payment("SV-C2", key="p1", amount="74.20", method="cash")
    assert balance_of(Settlement.objects.get()).standing == "paid"


@pytest.mark.django_db
def test_bad_credit_notes_are_refused_with_clear_messages(cast):
    _confirmed("SV-C3", customer_tier="gold")  # 80.00 (4.80), gold 10% -8.00 (-0.48)
    client = token_client(token_for(cast["carol"], "pricing:read", "pricing:write"))
    url = "/api/v1/pricing/settlements/SV-C3/credit-notes"
    bad = [
        ({"reason": " "}, "a reason of 1 to 500 characters"),
        ({"reason": "x" * 501}, "a reason of 1 to 500 characters"),
        ({"reason": "r", "lines": [{"position": 9, "amount": "1"}]}, "has no line 9"),
        ({"reason": "r", "lines": [{"position": 1, "amount": "0"}]}, "above 0"),
        ({"reason": "r", "lines": [{"position": 1, "amount": "-5"}]}, "above 0"),
        ({"reason": "r", "lines": [{"position": 1, "amount": "1.001"}]}, "2 decimal places"),
        (
            {"reason": "r", "lines": [{"position": 1, "amount": "1e20"}]},
            "beyond the largest amount",
        ),
        ({"reason": "r", "lines": [{"position": 1, "amount": "80.01"}]}, "80.00 left to credit"),
        ({"reason": "r", "lines": [{"position": 2, "amount": "1"}]}, "line 2 is a discount"),
        (
            {
                "reason": "r",
                "lines": [{"position": 1, "amount": "1"}, {"position": 1, "amount": "1"}],
            },
            "line 1 is listed twice",
        ),
    ]
    for body, message in bad:
        answer = post(client, url, body)
        assert answer.status_code == 400, (body, answer.content)
        assert message in answer.json()["detail"], (body, answer.json())
    assert not Settlement.objects.get().credit_notes.exists()
    assert (
        post(client, "/api/v1/pricing/settlements/SV-404/credit-notes", {"reason": "r"}).status_code
        == 404
    )

    made = post(client, url, {"reason": "reversal: wrong customer"}, **{"Idempotency-Key": "cn-1"})
    assert made.status_code == 201
    note = made.json()
    assert note["number"] == "SV-C3-CN1" and note["total"] == "-76.32"
    # the discount line is given back too: the reversal nets the statement to zero
    assert [(x["position"], x["amount"], x["tax"]) for x in note["lines"]] == [
        (1, "-80.00", "-4.80"),
        (2, "8.00", "0.48"),
    ]
    replay = post(
        client, url, {"reason": "reversal: wrong customer"}, **{"Idempotency-Key": "cn-1"}
    )
    assert replay.status_code == 201 and replay.json()["number"] == "SV-C3-CN1"
    statement = client.get("/api/v1/pricing/settlements/SV-C3").json()
    assert statement["status"] == "confirmed" and statement["total"] == "76.32"
    assert statement["credited"] == "-76.32" and statement["net_total"] == "0.00"
    assert statement["standing"] == "credited"
    assert [n["number"] for n in statement["credit_notes"]] == ["SV-C3-CN1"]
    reader = token_client(token_for(cast["alice"], "pricing:read", "pricing:write", name="a"))
    assert post(reader, url, {"reason": "r"}).status_code == 403


@pytest.mark.django_db
def test_refunds_through_the_api(cast):
    _confirmed("SV-C4")
    client = token_client(token_for(cast["carol"], "pricing:read", "pricing:write"))
    paid = post(
        client,
        "/api/v1/pricing/settlements/SV-C4/payments",
        {"amount": "84.80", "method": "alipay"},
        **{"Idempotency-Key": "pay-1"},
    )
    payment_id = paid.json()["id"]
    url = f"/api/v1/pricing/settlements/SV-C4/payments/{payment_id}/refunds"
    body = {"amount": "20.00", "reason": "part returned unused"}
    assert post(client, url, body).status_code == 400  # no idempotency key
    first = post(client, url, body, **{"Idempotency-Key": "ref-1"})
    again = post(client, url, body, **{"Idempotency-Key": "ref-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["status"] == "partially_refunded" and again.json()["refunded"] == "20.00"
    assert len(again.json()["refunds"]) == 1
    other = post(client, url, {**body, "amount": "21.00"}, **{"Idempotency-Key": "ref-1"})
    assert other.status_code == 409 and "another refund" in other.json()["detail"]
    too_much = post(client, url, {**body, "amount": "64.81"}, **{"Idempotency-Key": "ref-2"})
    assert too_much.status_code == 400
    assert "64.80 of this payment not yet refunded" in too_much.json()["detail"]
    no_reason = post(client, url, {"amount": "1.00", "reason": ""}, **{"Idempotency-Key": "ref-3"})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["detail"]
    missing = post(
        client,
        f"/api/v1/pricing/settlements/SV-C4/payments/{payment_id + 99}/refunds",
        body,
        **{"Idempotency-Key": "ref-4"},
    )
    assert missing.status_code == 404 and "no payment" in missing.json()["detail"]
    rest = post(client, url, {**body, "amount": "64.80"}, **{"Idempotency-Key": "ref-5"})
    assert rest.status_code == 201 and rest.json()["status"] == "refunded"
    statement = client.get("/api/v1/pricing/settlements/SV-C4").json()
    assert (statement["paid"], statement["refunded"], statement["outstanding"]) == (
        "84.80",
        "84.80",
        "84.80",
    )
    assert statement["standing"] == "refunded"


@pytest.mark.django_db
def test_the_statement_shows_credit_notes_and_refunds_at_a_flat_query_cost(cast):
    _confirmed("SV-C5")
    payment, _ = do_record_payment("SV-C5", key="p1", amount="50.00", method="wechat_pay")
    do_issue_credit_note("SV-C5", reason="first fix", lines=[{"position": 1, "amount": "5"}])
    do_refund_payment("SV-C5", payment.id, key="r1", amount="5.30", reason="first fix")
    client = session_client(cast["carol"])
    client.get("/pricing/statements/SV-C5/")  # session, caches
    with CaptureQueriesContext(connection) as one:
        html = client.get("/pricing/statements/SV-C5/").content.decode()
    assert "Credit note SV-C5-CN1" in html and "-¥5.30" in html and "first fix" in html
    assert "Partially refunded" in html and "¥79.50" in html and "Decimal" not in html

    for n in range(2, 5):
        do_issue_credit_note("SV-C5", reason=f"fix {n}", lines=[{"position": 1, "amount": "1"}])
    second = do_record_payment("SV-C5", key="p2", amount="31.62", method="cash")[0]
    do_refund_payment("SV-C5", second.id, key="r2", amount="1.00", reason="fix")
    with CaptureQueriesContext(connection) as four:
        html = client.get("/pricing/statements/SV-C5/").content.decode()
    assert "SV-C5-CN4" in html
    assert len(four) == len(one)


@pytest.mark.django_db
def test_pricing_pages_in_chinese_show_money_formatted(cast):
    _confirmed("SV-C6", customer_tier="gold")
    do_issue_credit_note("SV-C6", reason="客户撤单 customer withdrew")
    client = session_client(cast["carol"])
    zh = {"Accept-Language": "zh-hans"}
    catalog = client.get("/pricing/", headers=zh).content.decode()
    assert "价目与备件" in catalog and "¥80.00" in catalog and "6%" in catalog
    statement = client.get("/pricing/statements/SV-C6/", headers=zh).content.decode()
    assert "红字冲销单 Credit note SV-C6-CN1" in statement and "-¥76.32" in statement
    assert "已全额冲销" in statement and "Decimal(" not in statement and "{'" not in statement


@pytest.mark.django_db
def test_the_settlement_api_reads_at_a_flat_query_cost(cast):
    _confirmed("SV-C7")
    client = token_client(token_for(cast["carol"], "pricing:read", "pricing:write"))
    url = "/api/v1/pricing/settlements/SV-C7"
    payment, _ = do_record_payment("SV-C7", key="p1", amount="50.00", method="card")
    do_issue_credit_note("SV-C7", reason="fix 1", lines=[{"position": 1, "amount": "1"}])
    do_refund_payment("SV-C7", payment.id, key="r1", amount="1.06", reason="fix 1")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(2, 5):
        do_issue_credit_note("SV-C7", reason=f"fix {n}", lines=[{"position": 1, "amount": "1"}])
        do_refund_payment("SV-C7", payment.id, key=f"r{n}", amount="1.06", reason="fix")
    do_record_payment("SV-C7", key="p2", amount="10.00", method="cash")
    with CaptureQueriesContext(connection) as four:
        body = client.get(url).json()
    assert len(body["credit_notes"]) == 4 and len(body["payments"]) == 2
    assert body["refunded"] == "4.24" and body["credited"] == "-4.24"
    assert len(four) == len(one)
