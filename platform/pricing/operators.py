"""Pricing service operators for BPMN service tasks."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from bpmn.services import ServiceCall, register

CENT = Decimal("0.01")


def _money(value, name: str) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        raise ValueError(f"{name} is not a number: {value!r}") from None


@register(
    "pricing.quote",
    "Labour (hours x rate) plus parts, times the region coefficient, rounded to cents.",
    params=("labor_hours", "labor_rate", "parts_cost", "coefficient"),
)
def quote(params: dict, call: ServiceCall) -> dict:
    hours = _money(params.get("labor_hours"), "labor_hours")
    rate = _money(params.get("labor_rate"), "labor_rate")
    parts = _money(params.get("parts_cost"), "parts_cost")
    coefficient = _money(params.get("coefficient", 1), "coefficient")
    if hours < 0 or rate < 0 or parts < 0 or coefficient <= 0:
        raise ValueError("quote inputs must not be negative")
    labor = (hours * rate).quantize(CENT, ROUND_HALF_UP)
    total = ((labor + parts) * coefficient).quantize(CENT, ROUND_HALF_UP)
    return {"labor": str(labor), "parts": str(parts.quantize(CENT)), "total": str(total)}
