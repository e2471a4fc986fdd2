"""Build a settlement from process data: catalogs, reservations and the pricing decision."""

import calendar
import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from pricing import compute, rules
from pricing.models import CustomerTier, Region, Reservation, ServiceItem, Settlement
from pricing.rules import PricingInputError

MAX_QUANTITY = 100_000
MAX_INSTALMENTS = 60
# Dimensions always computed from the request: ``labour_hours`` in the request is the labour
# billed on top of the items, the dimension is the job's total hours.
DERIVED_ONLY = {"labour_hours", "quantity", "installments"}


def labour_rate() -> Decimal:
    return Decimal(str(getattr(settings, "PRICING_LABOUR_RATE", "100.00")))


def service_tax_rate() -> Decimal:
    return Decimal(str(getattr(settings, "PRICING_SERVICE_TAX_RATE", "0.06")))


def whole(value, name: str, minimum: int = 1, maximum: int = MAX_QUANTITY) -> int:
    if isinstance(value, bool):
        raise PricingInputError(f"{name} must be a whole number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PricingInputError(f"{name} must be a whole number, not {value!r}") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise PricingInputError(f"{name} must be a whole number, not {value}")
    if not minimum <= number <= maximum:
        raise PricingInputError(f"{name} must be between {minimum} and {maximum}")
    return int(number)


def decimal(value, name: str, default: Decimal) -> Decimal:
    if value in (None, ""):
        return default
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PricingInputError(f"{name} must be a number, not {value!r}") from None
    if not number.is_finite() or number < 0 or number > Decimal("100000"):
        raise PricingInputError(f"{name} must be a number from 0 to 100000")
    return number


MAX_AMOUNT = Decimal("99999999999999.99")  # what an AMOUNT column holds


def money_amount(value, name: str) -> Decimal:
    """An amount of money received, refunded or credited: above 0, at most 2 decimals."""
    if isinstance(value, bool):
        raise PricingInputError(f"{name} must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PricingInputError(f"{name} must be a number, not {value!r}") from None
    if not number.is_finite() or number <= 0 or number != number.quantize(Decimal("0.01")):
        raise PricingInputError(f"{name} must be above 0 with at most 2 decimal places")
    if number > MAX_AMOUNT:
        raise PricingInputError(f"{name} is beyond the largest amount, {MAX_AMOUNT}")
    return number


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _date(value, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise PricingInputError(f"{name} must be a date (YYYY-MM-DD), not {value!r}") from None


def price_request(ticket_id: str, data: dict, decision=None, version: str | None = None):
    """Everything a settlement needs, checked: returns (computation, header fields, plan).
    ``decision``/``version`` override the current pricing decision (simulation)."""
    if not isinstance(data, dict):
        raise PricingInputError("settlement data must be an object")
    requested = data.get("services") or []
    if not isinstance(requested, list) or not all(isinstance(s, dict) for s in requested):
        raise PricingInputError("services must be a list of {code, quantity}")
    codes = [str(s.get("code", "")) for s in requested]
    items = {i.code: i for i in ServiceItem.objects.filter(code__in=codes, active=True)}
    unknown = [c for c in codes if c not in items]
    if unknown:
        raise PricingInputError(f"unknown service item(s): {', '.join(unknown)}")

    region_code = str(data.get("region") or "")
    coefficient = Decimal(1)
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise PricingInputError(f"unknown region {region_code!r}")
        coefficient = region.coefficient
    tier_code = str(data.get("customer_tier") or "")
    tier = CustomerTier.objects.filter(code=tier_code).first() if tier_code else None

    services, hours = [], decimal(data.get("labour_hours"), "labour_hours", Decimal(0))
    item_hours, quantity = Decimal(0), 0
    for entry, code in zip(requested, codes, strict=True):
        item, qty = items[code], whole(entry.get("quantity", 1), f"quantity of {code}")
        unit = compute.cents(
            compute.tier_price(item.base_price, item.tier_breaks, qty) * coefficient
        )
        services.append(
            {
                "code": code,
                "name": item.name,
                "quantity": qty,
                "unit_price": unit,
                "tax_rate": item.tax_rate,
            }
        )
        item_hours += item.labour_hours * qty
        quantity += qty

    held = Reservation.objects.filter(
        ticket_id=str(ticket_id),
        state__in=(Reservation.State.RESERVED, Reservation.State.CONSUMED),
    ).select_related("stock__part")
    parts = [
        {
            "sku": r.stock.part.sku,
            "name": r.stock.part.name,
            "quantity": r.quantity,
            "unit_price": r.stock.part.unit_price,
            "tax_rate": r.stock.part.tax_rate,
            "category": r.stock.part.category,
        }
        for r in held
    ]

    plan, count, percents = _plan(data)
    derived = {
        "service_type": items[codes[0]].category if codes else "",
        "region": region_code,
        "customer_tier": tier_code,
        "quantity": quantity,
        "labour_hours": item_hours + hours,
        "parts_category": parts[0]["category"] if parts else "",
        "installments": count if plan == Settlement.Plan.INSTALMENTS else 0,
    }
    given = {k: v for k, v in data.items() if k in rules.DIMENSIONS and k not in DERIVED_ONLY}
    dims = rules.dimensions({**derived, **given})
    if decision is None:
        decision, version = rules.current()
    adjustments = rules.adjustments(decision, dims)
    result = compute.compute(
        services=services,
        labour={
            "hours": hours,
            "rate": decimal(data.get("labour_rate"), "labour_rate", labour_rate()),
            "tax_rate": service_tax_rate(),
        },
        parts=parts,
        adjustments=adjustments,
        discount={"code": tier.code, "rate": tier.discount_rate} if tier else None,
        adjustment_tax_rate=service_tax_rate(),
    )
    header = {
        "region": region_code,
        "region_coefficient": coefficient,
        "customer_tier": tier_code,
        "tier_discount_rate": tier.discount_rate if tier else Decimal(0),
        "decision_id": rules.DECISION_ID,
        "decision_version": version,
        "dimensions": {k: _jsonable(v) for k, v in dims.items()},
        "adjustments": [a.as_dict() for a in adjustments],
    }
    return result, header, (plan, count, percents)


def _jsonable(value):
    return str(value) if isinstance(value, Decimal) else value


def _plan(data: dict):
    count, marks = data.get("instalments"), data.get("milestones")
    if count not in (None, "", 0, 1) and marks:
        raise PricingInputError("give instalments or milestones, not both")
    if marks:
        if not isinstance(marks, list) or not all(isinstance(m, dict) for m in marks):
            raise PricingInputError("milestones must be a list of {label, percent, due_date}")
        percents = []
        for n, mark in enumerate(marks, start=1):
            pct = decimal(mark.get("percent"), f"percent of milestone {n}", Decimal(0))
            if pct != pct.quantize(Decimal("0.01")):
                raise PricingInputError(f"percent of milestone {n} has more than 2 decimals")
            percents.append(pct)
        if any(p <= 0 for p in percents) or sum(percents) != 100:
            raise PricingInputError(
                f"milestone percentages must each be above 0 and sum to 100, not {sum(percents)}"
            )
        return Settlement.Plan.MILESTONES, len(marks), percents
    if count not in (None, "", 0, 1):
        return Settlement.Plan.INSTALMENTS, whole(count, "instalments", 2, MAX_INSTALMENTS), None
    return Settlement.Plan.SINGLE, 1, None


def schedule(total: Decimal, data: dict, plan, count: int, percents) -> list[dict]:
    first = _date(data["first_due"], "first_due") if data.get("first_due") else timezone.localdate()
    if plan == Settlement.Plan.MILESTONES:
        marks = data["milestones"]
        amounts = compute.milestones(total, percents)
        return [
            {
                "sequence": n,
                "label": str(mark.get("label") or f"Milestone {n}")[:100],
                "percent": pct,
                "due_date": _date(mark["due_date"], f"due_date of milestone {n}")
                if mark.get("due_date")
                else add_months(first, n - 1),
                "amount": amount,
            }
            for n, (mark, pct, amount) in enumerate(zip(marks, percents, amounts, strict=True), 1)
        ]
    amounts = compute.instalments(total, count)
    return [
        {
            "sequence": n,
            "label": f"Instalment {n} of {count}" if count > 1 else "Payment",
            "percent": None,
            "due_date": add_months(first, n - 1),
            "amount": amount,
        }
        for n, amount in enumerate(amounts, 1)
    ]
