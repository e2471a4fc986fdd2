"""The settlement arithmetic: Decimal lines, each rounded ROUND_HALF_UP to the cent.

1. Service lines: the unit price is the item's tier price for the quantity (the highest break at
   or below it, else the base price) times the region coefficient, rounded; amount = unit x qty.
2. Labour: hours x hourly rate. 3. Parts: the reserved parts at their unit price.
4. Adjustments (one per matched row of the pricing decision): subtotal of services and labour x
   rate + fixed amount; they never take services and labour below zero.
5. The customer tier discount on services, labour and adjustments.
Tax is computed and rounded per line; subtotal, tax and total are sums of the rounded lines.
"""

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


@dataclass
class Line:
    kind: str  # service | labour | part | adjustment | discount
    code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_rate: Decimal

    @property
    def tax(self) -> Decimal:
        return cents(self.amount * self.tax_rate)


@dataclass
class Computation:
    lines: list[Line] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax


def tier_price(base_price: Decimal, breaks: list[dict], quantity: int) -> Decimal:
    price = base_price
    for brk in sorted(breaks, key=lambda b: b["min_qty"]):
        if quantity >= brk["min_qty"]:
            price = Decimal(str(brk["unit_price"]))
    return price


def compute(
    *,
    services: list[dict],  # {code, name, quantity, unit_price (after tiers+region), tax_rate}
    labour: dict | None,  # {hours, rate, tax_rate}
    parts: list[dict],  # {sku, name, quantity, unit_price, tax_rate}
    adjustments: list,  # rules.Adjustment
    discount: dict | None,  # {code, rate}
    adjustment_tax_rate: Decimal,
) -> Computation:
    result = Computation()
    for s in services:
        qty = Decimal(s["quantity"])
        result.lines.append(
            Line(
                "service",
                s["code"],
                s["name"],
                qty,
                s["unit_price"],
                cents(s["unit_price"] * qty),
                s["tax_rate"],
            )
        )
    if labour and labour["hours"] > 0:
        result.lines.append(
            Line(
                "labour",
                "LABOUR",
                "Labour",
                labour["hours"],
                labour["rate"],
                cents(labour["hours"] * labour["rate"]),
                labour["tax_rate"],
            )
        )
    for p in parts:
        qty = Decimal(p["quantity"])
        result.lines.append(
            Line(
                "part",
                p["sku"],
                p["name"],
                qty,
                p["unit_price"],
                cents(p["unit_price"] * qty),
                p["tax_rate"],
            )
        )
    base = sum((x.amount for x in result.lines if x.kind in ("service", "labour")), Decimal(0))
    running = base
    for adj in adjustments:
        value = cents(base * adj.rate) + cents(adj.amount)
        if running + value < 0:
            value = -running
        running += value
        if value:
            result.lines.append(
                Line(
                    "adjustment",
                    f"R{adj.rule}",
                    adj.component,
                    Decimal(1),
                    value,
                    value,
                    adjustment_tax_rate,
                )
            )
    if discount and discount["rate"] > 0 and running > 0:
        value = -cents(running * discount["rate"])
        result.lines.append(
            Line(
                "discount",
                discount["code"],
                f"Customer tier discount ({discount['rate'] * 100:.4g}%)",
                Decimal(1),
                value,
                value,
                adjustment_tax_rate,
            )
        )
    return result


def instalments(total: Decimal, count: int) -> list[Decimal]:
    """``count`` equal amounts rounded down to the cent; the remainder goes on the last."""
    if count < 1:
        raise ValueError("instalments must be at least 1")
    share = (total / count).quantize(CENT, ROUND_DOWN)
    return [share] * (count - 1) + [total - share * (count - 1)]


def milestones(total: Decimal, percents: list[Decimal]) -> list[Decimal]:
    """Milestone shares (percentages summing to 100); the last takes the remainder."""
    if not percents or any(p <= 0 for p in percents):
        raise ValueError("milestone percentages must each be above 0")
    if sum(percents) != 100:
        raise ValueError(f"milestone percentages sum to {sum(percents)}, not 100")
    amounts = [cents(total * p / 100) for p in percents[:-1]]
    return amounts + [total - sum(amounts, Decimal(0))]
