"""The settlement pricing decision: the published version (process owners edit and publish it
like any other table), else dmn/settlement_pricing.dmn as shipped; either way with the version
that decided, so a settlement records it and can be reproduced."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from bpmn.dmn import parse_dmn
from definitions.decisions import compiled_decision, published
from definitions.models import DecisionVersion

DECISION_ID = "settlement_pricing"
FILENAME = "settlement_pricing.dmn"

# The dimensions the decision reads, with the value a missing one takes.
DIMENSIONS: dict[str, Any] = {
    "service_type": "",
    "customer_tier": "",
    "urgency": "normal",
    "region": "",
    "channel": "",
    "after_hours": False,
    "weekend_or_holiday": False,
    "distance_km": Decimal(0),
    "warranty_status": "out_of_warranty",
    "parts_category": "",
    "labour_hours": Decimal(0),
    "repeat_visit": False,
    "sla_level": "none",
    "device_age_years": Decimal(0),
    "brand": "",
    "quantity": Decimal(0),
    "vip": False,
    "coupon": "",
    "season": "",
    "payment_method": "",
    "installments": Decimal(0),
    "floor": Decimal(0),
    "lift": True,
}


class PricingInputError(ValueError):
    pass


@dataclass(frozen=True)
class Adjustment:
    component: str
    rate: Decimal
    amount: Decimal
    rule: int

    def as_dict(self) -> dict:
        return {
            "component": self.component,
            "rate": str(self.rate),
            "amount": str(self.amount),
            "rule": self.rule,
        }


def dimensions(data: dict) -> dict:
    """The decision's inputs from process data: defaults filled, types checked."""
    out = {}
    for name, default in DIMENSIONS.items():
        value = data.get(name)
        if value is None or value == "":
            out[name] = default
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise PricingInputError(f"{name} must be true or false")
            out[name] = value
        elif isinstance(default, Decimal):
            if isinstance(value, bool):
                raise PricingInputError(f"{name} must be a number")
            try:
                out[name] = Decimal(str(value))
            except InvalidOperation:
                raise PricingInputError(f"{name} must be a number, not {value!r}") from None
            if not out[name].is_finite() or out[name] < 0:
                raise PricingInputError(f"{name} must be a number of 0 or more")
        else:
            if not isinstance(value, str | int) or len(str(value)) > 100:
                raise PricingInputError(f"{name} must be a short text")
            out[name] = str(value)
    return out


@lru_cache(maxsize=8)
def _file(path: str, mtime_ns: int, size: int):
    text = Path(path).read_text(encoding="utf-8")
    return parse_dmn(text, FILENAME).get(DECISION_ID), "file:" + hashlib.sha256(
        text.encode()
    ).hexdigest()[:12]


def shipped():
    path = Path(settings.DMN_DIR) / FILENAME
    stat = path.stat()
    return _file(str(path), stat.st_mtime_ns, stat.st_size)


def current():
    """(decision, version label) the next settlement uses."""
    version = published(DECISION_ID)
    if version is not None:
        return compiled_decision(version), f"v{version.version}"
    return shipped()


def at_version(label: str):
    """The decision a settlement recorded: "v3" from the stored versions, "file:<hash>" from
    dmn/ when that file is still the same."""
    if label.startswith("v") and label[1:].isdigit():
        version = DecisionVersion.objects.filter(
            decision_id=DECISION_ID, version=int(label[1:])
        ).first()
        if version is None:
            raise LookupError(f"{DECISION_ID} {label} is not stored")
        return compiled_decision(version)
    decision, current_label = shipped()
    if current_label != label:
        raise LookupError(f"{DECISION_ID} {label}: the shipped file has changed since")
    return decision


def adjustments(decision, dims: dict) -> list[Adjustment]:
    result = decision.evaluate(dims)
    rows = result.value or []
    if isinstance(rows, dict):
        rows = [rows]
    out = []
    for rule, row in zip(result.matched_rules, rows, strict=False):
        try:
            rate = Decimal(str(row.get("rate") or 0))
            amount = Decimal(str(row.get("amount") or 0))
        except InvalidOperation:
            raise PricingInputError(
                f"rule {rule} gives a rate or amount that is no number"
            ) from None
        out.append(Adjustment(str(row.get("component") or f"Rule {rule}"), rate, amount, rule))
    return out
