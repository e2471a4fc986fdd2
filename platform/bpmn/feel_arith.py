"""FEEL arithmetic: + - * / ** and negation over numbers (34 significant digits), strings,
dates, times, date-times and both kinds of duration. Operands of kinds an operator does not
take give null (FEEL is total)."""

import datetime as dt
import operator
from decimal import Decimal, DecimalException
from typing import Any

from bpmn.feel_calendar import combine
from bpmn.feel_temporal import (
    YearsMonths,
    add_months,
    datetime_difference,
    time_difference,
    time_shift,
)
from bpmn.feel_values import DECIMAL, kind

_TEMPORAL = ("date", "datetime", "time")
_DURATIONS = ("duration", "ymduration")


def add(a: Any, b: Any) -> Any:
    ka, kb = kind(a), kind(b)
    if ka == kb == "number":
        return _decimal_op(DECIMAL.add, a, b)
    if ka == kb == "string":
        return a + b
    if ka in _DURATIONS and kb in _TEMPORAL:
        a, b, ka, kb = b, a, kb, ka
    if ka == kb == "ymduration":
        return YearsMonths(a.months + b.months)
    if kb == "ymduration" and ka in ("date", "datetime"):
        return add_months(a, b.months)
    if kb == "duration" and ka in ("duration", "datetime"):
        return _guard(operator.add, a, b)
    if kb == "duration" and ka == "date":
        return _date_shift(a, b)
    if kb == "duration" and ka == "time":
        return time_shift(a, b)
    return None


def _date_shift(day: dt.date, delta: dt.timedelta) -> dt.date | None:
    """date + duration = date(date and time(date) + duration)."""
    moved = _guard(operator.add, combine(day, dt.time()), delta)
    return None if moved is None else moved.date()


def subtract(a: Any, b: Any) -> Any:
    ka, kb = kind(a), kind(b)
    if ka == kb == "number":
        return _decimal_op(DECIMAL.subtract, a, b)
    if ka == kb == "ymduration":
        return YearsMonths(a.months - b.months)
    if kb == "ymduration" and ka in ("date", "datetime"):
        return add_months(a, -b.months)
    if kb == "duration" and ka in ("duration", "datetime"):
        return _guard(operator.sub, a, b)
    if kb == "duration" and ka == "date":
        return _date_shift(a, -b)
    if kb == "duration" and ka == "time":
        return time_shift(a, -b)
    if ka == kb == "time":
        return time_difference(a, b)
    if ka in ("date", "datetime") and kb in ("date", "datetime"):
        return datetime_difference(a, b)
    return None


def multiply(a: Any, b: Any) -> Any:
    ka, kb = kind(a), kind(b)
    if ka == kb == "number":
        return _decimal_op(DECIMAL.multiply, a, b)
    if ka == "number" and kb in _DURATIONS:
        a, b, ka, kb = b, a, kb, ka
    if ka == "ymduration" and kb == "number":
        return YearsMonths(int(DECIMAL.multiply(Decimal(a.months), b)))
    if ka == "duration" and kb == "number":
        return _micro_duration(DECIMAL.multiply(_micros(a), b))
    return None


def divide(a: Any, b: Any) -> Any:
    ka, kb = kind(a), kind(b)
    if ka == kb == "number":
        return _decimal_op(DECIMAL.divide, a, b)
    if kb == "number" and not b:
        return None
    if ka == "ymduration" and kb == "number":
        return YearsMonths(int(DECIMAL.divide(Decimal(a.months), b)))
    if ka == "duration" and kb == "number":
        return _micro_duration(DECIMAL.divide(_micros(a), b))
    if ka == kb == "duration" and b:
        return DECIMAL.divide(_micros(a), _micros(b))
    if ka == kb == "ymduration" and b.months:
        return DECIMAL.divide(Decimal(a.months), Decimal(b.months))
    return None


def power(a: Any, b: Any) -> Any:
    if kind(a) == kind(b) == "number" and abs(b) <= 100_000:
        if b == b.to_integral_value():
            return _decimal_op(DECIMAL.power, a, b)
        return _decimal_op(DECIMAL.power, a, b) if a > 0 else None
    return None


def negate(a: Any) -> Any:
    ka = kind(a)
    if ka == "number":
        return DECIMAL.minus(a)
    return -a if ka in _DURATIONS else None


def _decimal_op(fn, a: Decimal, b: Decimal) -> Decimal | None:
    try:
        result = fn(a, b)
    except (DecimalException, OverflowError):  # division by zero, overflow: FEEL null
        return None
    return result if result.is_finite() else None


def _guard(fn, a, b):
    try:
        return fn(a, b)
    except (TypeError, OverflowError, ValueError):
        return None


def _micros(delta: dt.timedelta) -> Decimal:
    return Decimal((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds)


def _micro_duration(micros: Decimal) -> dt.timedelta | None:
    try:
        return dt.timedelta(microseconds=int(micros.to_integral_value()))
    except (OverflowError, DecimalException):
        return None
