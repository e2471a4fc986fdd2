"""Values as a person reads them, in the active language: amounts of money with their
currency and grouped digits, dates and times in the language's own format and the user's
time zone."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import formats, timezone

CURRENCY_SIGNS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥", "GBP": "£"}
_CENTS = Decimal("0.01")


def money_text(value: Any, currency: str = "CNY") -> str:
    """``¥1,280.00``; a currency without a sign of its own is written by its code."""
    try:
        amount = Decimal(str(value)).quantize(_CENTS, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.2f}"
    code = (currency or "CNY").upper()
    symbol = CURRENCY_SIGNS.get(code)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{code} {digits}"


def date_text(value: dt.date) -> str:
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(local, "DATETIME_FORMAT")
    return formats.date_format(value, "DATE_FORMAT")
