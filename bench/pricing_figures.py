"""pricing.quote_ms and pricing.simulate_10k_s.

quote_ms: the median of BENCH_QUOTES (200) quotes through the `pricing.settle` service
operator, as a BPMN service task calls it: catalog items with tier breaks and the region
coefficient, labour, the ticket's reserved parts, the settlement pricing table over its 23
dimensions (every one given), the tier discount, per-line tax, a three-instalment plan, and
the draft statement written. Each quote is a new ticket whose parts were reserved beforehand
(not timed).

simulate_10k_s: BENCH_SIMULATE_CASES (10,000) recorded settlements, copied by bulk SQL from
four real ones (each copy keeps its template's lines and dimensions), then the impact
simulation of a changed draft of the pricing table over all of them: every settlement
recomputed from what it recorded, old and new totals compared. PostgreSQL only
(generate_series).
"""

import os
import statistics
import time
from decimal import Decimal
from pathlib import Path

QUOTES = int(os.environ.get("BENCH_QUOTES", "200"))
CASES = int(os.environ.get("BENCH_SIMULATE_CASES", "10000"))

QUOTE = {
    "services": [{"code": "SV-INST", "quantity": 12}, {"code": "SV-DIAG", "quantity": 1}],
    "labour_hours": "2.5",
    "region": "bj",
    "customer_tier": "gold",
    "payment_method": "card",
    "instalments": 3,
    "first_due": "2026-12-15",
    # the pricing table's other dimensions (service type, quantity, labour hours, parts
    # category and instalments are derived from the request)
    "urgency": "urgent",
    "channel": "h5",
    "after_hours": True,
    "weekend_or_holiday": False,
    "distance_km": 35,
    "warranty_status": "out_of_warranty",
    "repeat_visit": False,
    "sla_level": "standard",
    "device_age_years": 9,
    "brand": "Daikin",
    "vip": False,
    "coupon": "NEW50",
    "season": "peak",
    "floor": 7,
    "lift": False,
}


def _catalog():
    from pricing.models import CustomerTier, Part, Region, ServiceItem, StockLevel, Warehouse

    D = Decimal
    ServiceItem.objects.create(
        code="SV-INST",
        name="Installation",
        category="installation",
        base_price=D("120.00"),
        labour_hours=D("1.5"),
        tier_breaks=[
            {"min_qty": 10, "unit_price": "100.00"},
            {"min_qty": 50, "unit_price": "90.00"},
        ],
        tax_rate=D("0.13"),
    )
    ServiceItem.objects.create(
        code="SV-DIAG",
        name="Diagnosis",
        category="repair",
        base_price=D("80.00"),
        tax_rate=D("0.06"),
    )
    Region.objects.create(code="bj", name="Beijing", coefficient=D("1.15"))
    CustomerTier.objects.create(code="gold", name="Gold", discount_rate=D("0.10"))
    part = Part.objects.create(
        sku="P-R32",
        name="Refrigerant R32",
        category="refrigerant",
        unit_cost=D("30.00"),
        unit_price=D("45.50"),
        tax_rate=D("0.13"),
    )
    warehouse = Warehouse.objects.create(code="WH-BJ", name="Beijing")
    StockLevel.objects.create(part=part, warehouse=warehouse, on_hand=1_000_000)


def quote_figures() -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from bpmn.services import call
    from pricing.actions import do_reserve_part
    from pricing.models import Settlement

    samples, totals = [], set()
    for n in range(QUOTES + 1):
        ticket = f"BENCH-Q-{n:06d}"
        do_reserve_part(ticket_id=ticket, sku="P-R32", warehouse="WH-BJ", quantity=3)
        data = {**QUOTE, "ticket_number": ticket}
        t0 = time.perf_counter()
        with transaction.atomic():
            result = call("pricing.settle", {}, data)
        if n:  # the first warms the caches (the pricing table parsed once)
            samples.append((time.perf_counter() - t0) * 1000)
        totals.add(result["total"])
    assert len(totals) == 1, f"the same quote gave different totals: {totals}"
    lines = Settlement.objects.filter(ticket_id="BENCH-Q-000001").get().lines.count()
    ticket = "BENCH-Q-COUNTED"
    do_reserve_part(ticket_id=ticket, sku="P-R32", warehouse="WH-BJ", quantity=3)
    with CaptureQueriesContext(connection) as counted, transaction.atomic():
        call("pricing.settle", {}, {**QUOTE, "ticket_number": ticket})
    return {
        "quote_ms": round(statistics.median(samples), 3),
        "queries_per_quote": len(counted),
        "quotes": QUOTES,
        "quote_total": totals.pop(),
        "quote_lines": lines,
        "dimensions": 23,
    }


def _clone_settlements(template_ids: list[int], per_template: int) -> None:
    from django.db import connection

    from pricing.models import Settlement, SettlementLine

    def columns(model, skip):
        return [f.column for f in model._meta.concrete_fields if f.column not in skip]

    s_table, l_table = Settlement._meta.db_table, SettlementLine._meta.db_table
    s_cols = columns(Settlement, {"id", "ticket_id"})
    l_cols = columns(SettlementLine, {"id", "settlement_id"})
    quoted = connection.ops.quote_name
    with connection.cursor() as cursor:
        for template in template_ids:
            cursor.execute(
                f"""INSERT INTO {s_table} (ticket_id, {", ".join(map(quoted, s_cols))})
                    SELECT 'SIM-' || tpl.id || '-' || g, {", ".join("tpl." + quoted(c) for c in s_cols)}
                    FROM generate_series(1, %s) AS g CROSS JOIN {s_table} AS tpl
                    WHERE tpl.id = %s""",
                [per_template, template],
            )
            cursor.execute(
                f"""INSERT INTO {l_table} (settlement_id, {", ".join(map(quoted, l_cols))})
                    SELECT s.id, {", ".join("l." + quoted(c) for c in l_cols)}
                    FROM {s_table} AS s JOIN {l_table} AS l ON l.settlement_id = %s
                    WHERE s.ticket_id LIKE %s""",
                [template, f"SIM-{template}-%"],
            )
        cursor.execute(f"ANALYZE {s_table}")
        cursor.execute(f"ANALYZE {l_table}")


def simulate_figures(user) -> dict:
    from django.conf import settings

    from definitions.decisions import do_create_decision_versions
    from pricing import rules, simulate
    from pricing.actions import do_settle

    diag = {"code": "SV-DIAG", "quantity": 1}
    templates = [
        do_settle("SIM-T1", {"services": [diag], "urgency": "urgent", "payment_method": "cash"}),
        do_settle("SIM-T2", {**QUOTE, "ticket_number": "SIM-T2"}),
        do_settle(
            "SIM-T3",
            {
                "services": [{**diag, "quantity": 2}],
                "weekend_or_holiday": True,
                "region": "bj",
                "payment_method": "card",
            },
        ),
        do_settle("SIM-T4", {"services": [diag], "payment_method": "cash"}),
    ]
    per_template = CASES // len(templates)
    t0 = time.perf_counter()
    _clone_settlements([s.id for s in templates], per_template)
    made_s = time.perf_counter() - t0
    shipped = (Path(settings.DMN_DIR) / rules.FILENAME).read_text(encoding="utf-8")
    changed = shipped.replace('id="sp_r1_o2"><text>0.30<', 'id="sp_r1_o2"><text>0.50<')
    assert changed != shipped, "the urgent surcharge row of the shipped table moved"
    (draft,) = do_create_decision_versions(rules.FILENAME, changed, user, publish=False)
    cases = per_template * len(templates)
    t0 = time.perf_counter()
    report = simulate.simulate(draft, cases)
    simulate_s = time.perf_counter() - t0
    assert report["cases"] == cases, report["cases"]
    figures = {"simulate_10k_s": round(simulate_s, 2)} if cases == 10_000 else {}
    return {
        **figures,
        "simulate_s": round(simulate_s, 2),
        "simulated": cases,
        "changed": report["changed"],
        "difference": str(report["difference"]),
        "per_case_ms": round(simulate_s * 1000 / cases, 3),
        "created_s": round(made_s, 2),
    }


def measure() -> dict:
    from django.contrib.auth.models import User
    from django.db import connection

    _catalog()
    report = quote_figures()
    if connection.vendor == "postgresql":
        report.update(simulate_figures(User.objects.create_user("bench_pricing", is_staff=True)))
    else:
        report["skipped"] = "simulate_10k_s runs on PostgreSQL only (bulk SQL)"
    return report
