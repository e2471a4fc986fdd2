"""Impact of a pricing decision version on recorded settlements, before it is published.

Each settlement is recomputed from what it recorded: its service, labour and part lines (the
unit prices used then), its pricing dimensions, region coefficient and tier discount; only the
decision differs. With the version a settlement recorded, the recomputation equals its total.
"""

from dataclasses import dataclass
from decimal import Decimal

from definitions.decisions import compiled_decision
from definitions.models import DecisionVersion
from pricing import compute, rules, settle
from pricing.models import Settlement, SettlementLine

MAX_CASES = 10_000


@dataclass
class Case:
    ticket_id: str
    old_version: str
    old_total: Decimal
    new_total: Decimal

    @property
    def difference(self) -> Decimal:
        return self.new_total - self.old_total

    def as_dict(self) -> dict:
        return {
            "ticket_id": self.ticket_id,
            "old_version": self.old_version,
            "old_total": self.old_total,
            "new_total": self.new_total,
            "difference": self.difference,
        }


LINE_FIELDS = ("kind", "code", "description", "quantity", "unit_price", "tax_rate")
RECORDED = ("id", "ticket_id", "decision_version", "total", "dimensions", "customer_tier")


def recompute(recorded: dict, decision, lines: list[dict]) -> compute.Computation:
    """A settlement computed again from what it recorded (``RECORDED`` fields and the tier
    discount rate; its lines' ``LINE_FIELDS``), with ``decision`` deciding the adjustments."""
    services = [
        {
            "code": x["code"],
            "name": x["description"],
            "quantity": x["quantity"],
            "unit_price": x["unit_price"],
            "tax_rate": x["tax_rate"],
        }
        for x in lines
        if x["kind"] == "service"
    ]
    labour = next(
        (
            {"hours": x["quantity"], "rate": x["unit_price"], "tax_rate": x["tax_rate"]}
            for x in lines
            if x["kind"] == "labour"
        ),
        None,
    )
    parts = [
        {
            "sku": x["code"],
            "name": x["description"],
            "quantity": x["quantity"],
            "unit_price": x["unit_price"],
            "tax_rate": x["tax_rate"],
        }
        for x in lines
        if x["kind"] == "part"
    ]
    tier = recorded["customer_tier"]
    return compute.compute(
        services=services,
        labour=labour,
        parts=parts,
        adjustments=rules.adjustments(decision, rules.dimensions(recorded["dimensions"])),
        discount={"code": tier, "rate": recorded["tier_discount_rate"]} if tier else None,
        adjustment_tax_rate=settle.service_tax_rate(),
    )


def draft_versions():
    return DecisionVersion.objects.filter(decision_id=rules.DECISION_ID).order_by("-version")


def simulate(version: DecisionVersion, limit: int = 1000) -> dict:
    """Old vs new totals over the last ``limit`` settlements, and the aggregate change."""
    if version.decision_id != rules.DECISION_ID:
        raise ValueError(f"version {version.id} is not a {rules.DECISION_ID} version")
    limit = max(1, min(int(limit), MAX_CASES))
    decision = compiled_decision(version)
    # Rows as dicts, not model instances: at 10,000 settlements building objects was a
    # third of the time.
    latest = Settlement.objects.order_by("-id")
    recent = list(latest.values(*RECORDED, "tier_discount_rate")[:limit])
    lines: dict[int, list] = {}
    rows = SettlementLine.objects.filter(settlement__in=latest.values("id")[:limit])
    for line in rows.order_by("settlement", "position").values("settlement_id", *LINE_FIELDS):
        lines.setdefault(line["settlement_id"], []).append(line)
    cases = []
    for s in recent:
        new = recompute(s, decision, lines.get(s["id"], [])).total
        cases.append(Case(s["ticket_id"], s["decision_version"], s["total"], new))
    changed = [c for c in cases if c.difference]
    old_sum = sum((c.old_total for c in cases), Decimal("0.00"))
    new_sum = sum((c.new_total for c in cases), Decimal("0.00"))
    return {
        "decision_id": version.decision_id,
        "version": version.version,
        "status": version.status,
        "cases": len(cases),
        "changed": len(changed),
        "old_total": old_sum,
        "new_total": new_sum,
        "difference": new_sum - old_sum,
        "results": [c.as_dict() for c in sorted(cases, key=lambda c: -abs(c.difference))],
    }
