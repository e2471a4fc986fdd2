"""pricing.settle from a BPMN service task, through a real ticket and its page."""

from decimal import Decimal
from pathlib import Path

import pytest

from pricing.models import Reservation, Settlement, StockLevel
from tests.conftest import deploy_file
from tests.integrations.support import session_client
from tests.pricing.support import catalog
from tickets import actions
from tickets.models import HumanTask

FIXTURE = Path(__file__).parent / "fixtures" / "settle_flow.bpmn"


def _open(ticket, bpmn_id):
    return HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=actions.OPEN_STATES)


@pytest.mark.django_db
def test_a_ticket_settles_from_its_process_data(cast):
    catalog()
    deploy_file(FIXTURE)
    ticket = actions.do_start_ticket(cast["alice"], "settle_flow", {"urgency": "urgent"})
    diagnosis = {
        "parts": [{"sku": "P-1", "warehouse": "WH-BJ", "quantity": 2}],
        "services": [{"code": "SV-DIAG", "quantity": 2}],
        "region": "bj",
        "payment_method": "wechat_pay",
        "instalments": 2,
    }
    ticket = actions.do_complete_task(cast["tom"], _open(ticket, "diagnose").id, diagnosis)
    assert ticket.incident is None
    settlement = Settlement.objects.get(ticket_id=ticket.number)
    # 2 x 92.00 = 184.00 (6%: 11.04); parts 2 x 45.50 = 91.00 (13%: 11.83);
    # urgent 30% of 184.00 = 55.20 (3.31); refrigerant handling 40.00 (2.40); instalments 15 (0.90)
    assert [x.amount for x in settlement.lines.all()] == [
        Decimal("184.00"),
        Decimal("91.00"),
        Decimal("55.20"),
        Decimal("15.00"),
        Decimal("40.00"),
    ]
    assert settlement.total == Decimal("414.68")
    assert ticket.data["settlement"]["total"] == "414.68"
    assert ticket.data["settlement"]["instalments"] == ["207.34", "207.34"]
    assert settlement.dimensions["urgency"] == "urgent"  # read from the process data
    assert _open(ticket, "collect")
    assert ticket.data["reserved"]["quantity"] == 2
    assert StockLevel.objects.get().reserved == 2

    html = session_client(cast["alice"]).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Settlement" in html and "¥414.68" in html and "WeChat Pay" in html
    assert "Instalment 2 of 2" in html and "True" not in html


@pytest.mark.django_db
def test_bad_settlement_data_leaves_an_incident_not_a_500(cast):
    catalog()
    deploy_file(FIXTURE)
    ticket = actions.do_start_ticket(cast["alice"], "settle_flow", {})
    bad = {"services": [{"code": "SV-NOPE", "quantity": 1}], "payment_method": "cash"}
    bad.update(region="bj", instalments=1, parts=[])
    ticket = actions.do_complete_task(cast["tom"], _open(ticket, "diagnose").id, bad)
    assert ticket.incident is not None and "unknown service item" in ticket.incident["error"]
    assert not Settlement.objects.exists()


@pytest.mark.django_db
def test_a_short_part_reserves_nothing_and_leaves_an_incident(cast):
    catalog()
    deploy_file(FIXTURE)
    ticket = actions.do_start_ticket(cast["alice"], "settle_flow", {})
    data = {
        "parts": [
            {"sku": "P-1", "warehouse": "WH-BJ", "quantity": 4},
            {"sku": "P-1", "warehouse": "WH-BJ", "quantity": 7},  # 10 on the shelf
        ],
        "services": [],
        "region": "",
        "payment_method": "cash",
        "instalments": 1,
    }
    ticket = actions.do_complete_task(cast["tom"], _open(ticket, "diagnose").id, data)
    assert "only 6 of P-1 available" in ticket.incident["error"]
    assert StockLevel.objects.get().reserved == 0 and not Settlement.objects.exists()


@pytest.mark.django_db
def test_a_payment_step_run_again_counts_once_and_confirming_twice_changes_nothing():
    from bpmn.services import call, running_task
    from pricing.actions import do_settle

    catalog()
    do_settle("SV-9", {"services": [{"code": "SV-DIAG", "quantity": 1}], "payment_method": "cash"})
    data = {"ticket_number": "SV-9"}
    first = call("pricing.confirm", {}, data)
    assert first == call("pricing.confirm", {}, data)
    assert first["status"] == "confirmed" and first["total"] == "84.80"
    pay = {"amount": "50.00", "method": "cash", "reference": ""}
    with running_task("engine-task-1"):
        once = call("pricing.record_payment", pay, data)
        again = call("pricing.record_payment", pay, data)  # an incident retried
    assert once == again and once["outstanding"] == "34.80" and not once["paid_in_full"]
    with running_task("engine-task-2"):  # the step's next pass
        rest = call("pricing.record_payment", {**pay, "amount": "34.80"}, data)
    assert rest["paid_in_full"] and Settlement.objects.get().payments.count() == 2
    with pytest.raises(ValueError, match="runs as a step"):
        call("pricing.record_payment", pay, data)


@pytest.mark.django_db
def test_work_nobody_pays_for_still_takes_its_parts_off_the_shelf():
    """pricing.consume (warranty or contract work): the held parts are booked as used
    without a statement; run again (an incident retried) it books nothing twice."""
    from bpmn.services import call
    from pricing.actions import do_reserve_part

    catalog()
    do_reserve_part(ticket_id="SV-7", sku="P-1", warehouse="WH-BJ", quantity=2)
    data = {"ticket_number": "SV-7"}
    assert call("pricing.consume", {}, data) == {"parts_used": 2}
    assert call("pricing.consume", {}, data) == {"parts_used": 0}
    stock = StockLevel.objects.get()
    assert (stock.on_hand, stock.reserved) == (8, 0)
    assert list(Reservation.objects.values_list("state", flat=True)) == ["consumed"]
    assert not Settlement.objects.exists()
    with pytest.raises(ValueError, match="runs for a ticket"):
        call("pricing.consume", {}, {})


@pytest.mark.django_db
def test_a_quote_costs_the_same_statements_for_one_line_or_many():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from bpmn.services import call
    from pricing.actions import do_reserve_part

    catalog()

    def quote(ticket, services, parts):
        for quantity in parts:
            do_reserve_part(ticket_id=ticket, sku="P-1", warehouse="WH-BJ", quantity=quantity)
        data = {"ticket_number": ticket, "services": services, "payment_method": "card"}
        with CaptureQueriesContext(connection) as counted, transaction.atomic():
            call("pricing.settle", {}, {**data, "region": "bj", "customer_tier": "gold"})
        return len(counted)

    quote("SV-Q0", [{"code": "SV-DIAG", "quantity": 1}], [])  # the published table looked up
    one = quote("SV-Q1", [{"code": "SV-DIAG", "quantity": 1}], [1])
    many = quote(
        "SV-Q2",
        [{"code": "SV-DIAG", "quantity": 2}, {"code": "SV-INST", "quantity": 12}],
        [1, 2, 3],
    )
    assert one == many <= 13, (one, many)  # 10 and the savepoints of the two blocks
