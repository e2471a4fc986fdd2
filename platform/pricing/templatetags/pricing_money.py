"""Money and rates as people read them: ``{{ amount|money:currency }}`` gives ¥1,380.00 (the
currency's sign, thousands grouped, two decimals), ``{{ rate|rate_percent }}`` gives 13%,
``{{ hours|plain_number }}`` gives 1.5."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

CENT = Decimal("0.01")
SIGNS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥", "GBP": "£"}


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


@register.filter
def money(value, currency: str = "CNY") -> str:
    number = _decimal(value) if value not in (None, "") else None
    if number is None:
        return "–"
    amount = number.quantize(CENT, ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    code = str(currency or "CNY")
    symbol = SIGNS.get(code, f"{code} ")
    return f"{sign}{symbol}{abs(amount):,.2f}"


@register.filter
def rate_percent(value) -> str:
    number = _decimal(value)
    if number is None:
        return "–"
    percent = (number * 100).normalize()
    text = f"{percent:f}"
    return f"{text}%"


@register.filter
def plain_number(value) -> str:
    """A catalog figure without trailing zeros: 1.1000 → 1.1, 10 → 10, 0.50 → 0.5."""
    number = _decimal(value)
    return "–" if number is None else f"{number.normalize():f}"
