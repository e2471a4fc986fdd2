"""FEEL's temporal values: parsing, arithmetic and text.

date -> datetime.date, time -> datetime.time, date and time -> datetime.datetime (naive, a
fixed offset or an IANA zone), days and time duration -> datetime.timedelta, years and
months duration -> YearsMonths. Bad text raises FeelError; arithmetic on values of the wrong
kinds returns None (FEEL null).
"""

import calendar
import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from bpmn.feel_calendar import combine, make_date, with_date


class FeelError(ValueError):
    """A FEEL text is malformed or uses something this engine does not support."""


@dataclass(frozen=True, slots=True, order=True)
class YearsMonths:
    """A years and months duration, held as a signed number of months."""

    months: int

    def __neg__(self):
        return YearsMonths(-self.months)

    def __abs__(self):
        return YearsMonths(abs(self.months))


_DURATION = re.compile(
    r"(-)?P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?)S)?)?"
)
_DATE = re.compile(r"(-?(?:[1-9]\d{4,8}|\d{4}))-(\d\d)-(\d\d)")
_TIME = re.compile(r"(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d(?::\d\d)?|@[\w/+\-]+)?")


def parse_duration(text: str) -> dt.timedelta | YearsMonths:
    """ISO 8601 duration: P1Y2M -> YearsMonths, P1DT4H30M (or -PT15M) -> timedelta."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise FeelError(f"not an ISO 8601 duration: {text!r}")
    sign, years, months, days, hours, minutes, seconds = match.groups()
    factor = -1 if sign else 1
    if years is not None or months is not None:
        if any(p is not None for p in (days, hours, minutes, seconds)):
            # ISO allows P1Y2DT3H, but FEEL has no duration that holds both kinds.
            raise FeelError(f"a FEEL duration is either years-months or days-time: {text!r}")
        return YearsMonths(factor * (int(years or 0) * 12 + int(months or 0)))
    try:
        seconds_value = Decimal(seconds or 0)
        delta = dt.timedelta(
            days=int(days or 0),
            hours=int(hours or 0),
            minutes=int(minutes or 0),
            seconds=int(seconds_value),
            microseconds=int((seconds_value % 1) * 1_000_000),
        )
    except OverflowError as exc:
        raise FeelError(f"duration out of range: {text!r}") from exc
    return -delta if sign else delta


def parse_date(text: str) -> dt.date:
    match = _DATE.fullmatch(text.strip())
    if not match:
        raise FeelError(f"not a date: {text!r}")
    try:
        return make_date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise FeelError(f"not a date: {text!r}") from exc


def _zone(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return dt.UTC
    if text.startswith("@"):
        try:
            return zoneinfo.ZoneInfo(text[1:])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise FeelError(f"unknown time zone {text[1:]!r}") from exc
    sign = -1 if text[0] == "-" else 1
    parts = [int(p) for p in text[1:].split(":")]
    offset = dt.timedelta(
        hours=parts[0], minutes=parts[1], seconds=parts[2] if len(parts) > 2 else 0
    )
    if offset > dt.timedelta(hours=14):
        raise FeelError(f"time offset out of range: {text!r}")
    return dt.timezone(sign * offset)


def parse_time(text: str) -> dt.time:
    match = _TIME.fullmatch(text.strip())
    if not match:
        raise FeelError(f"not a time: {text!r}")
    hours, minutes, seconds, fraction, zone = match.groups()
    micro = int((fraction or ".0")[1:4].ljust(3, "0")) * 1000  # FEEL keeps milliseconds
    if hours == "24" and minutes == seconds == "00" and not micro:
        hours = "00"  # the end of a day is midnight (parse_datetime moves to the next day)
    try:
        return dt.time(int(hours), int(minutes), int(seconds), micro, tzinfo=_zone(zone))
    except ValueError as exc:
        raise FeelError(f"not a time: {text!r}") from exc


def parse_datetime(text: str) -> dt.datetime:
    """ISO date-time, optionally with a zone id suffix as FEEL writes it: ...T10:00@Asia/Shanghai.
    A bare date means midnight of that day."""
    day_text, sep, time_text = text.strip().partition("T")
    day = parse_date(day_text)
    if not sep:
        return combine(day, dt.time())
    time = parse_time(time_text)
    if time_text.startswith("24"):
        day += dt.timedelta(days=1)
    return combine(day, time)


def parse_temporal(text: str):
    """A FEEL @"..." literal (or an xsd value): its shape says which kind it is."""
    stripped = text.strip()
    if stripped.lstrip("-").startswith("P"):
        return parse_duration(stripped)
    if re.match(r"-?\d{4,}-", stripped):
        return parse_datetime(stripped) if "T" in stripped else parse_date(stripped)
    return parse_time(stripped)


# ---------------------------------------------------------------- arithmetic


def add_months(value, months: int):
    """date or date and time + a number of months, the day clamped to the month's end."""
    total = value.year * 12 + (value.month - 1) + months
    year, month = divmod(total, 12)
    if abs(year) > 999_999_999:
        return None
    last = calendar.monthrange(2000 + (year - 2000) % 400, month + 1)[1]
    return with_date(value, year, month + 1, min(value.day, last))


def months_between(start, end) -> YearsMonths:
    """`years and months duration(from, to)`: whole months from one date to the other."""
    months = (end.year - start.year) * 12 + end.month - start.month
    start_rest = _rest_of_month(start)
    end_rest = _rest_of_month(end)
    if months > 0 and end_rest < start_rest:
        months -= 1
    elif months < 0 and end_rest > start_rest:
        months += 1
    return YearsMonths(months)


def _rest_of_month(value) -> tuple:
    if isinstance(value, dt.datetime):
        return (value.day, value.hour, value.minute, value.second, value.microsecond)
    return (value.day, 0, 0, 0, 0)


def time_shift(value: dt.time, delta: dt.timedelta) -> dt.time:
    moved = dt.datetime.combine(dt.date(2000, 1, 1), value.replace(tzinfo=None)) + delta
    return moved.time().replace(tzinfo=value.tzinfo)


def time_difference(a: dt.time, b: dt.time) -> dt.timedelta | None:
    day = dt.date(2000, 1, 1)
    if (a.tzinfo is None) != (b.tzinfo is None):
        return None
    try:
        return dt.datetime.combine(day, a) - dt.datetime.combine(day, b)
    except TypeError:
        return None


def datetime_difference(a, b) -> dt.timedelta | None:
    if isinstance(a, dt.datetime) is not isinstance(b, dt.datetime):
        zoned = a.tzinfo if isinstance(a, dt.datetime) else b.tzinfo
        if zoned is None:
            return None  # a date and a local date and time have no difference
        a, b = _as_datetime(a, dt.UTC), _as_datetime(b, dt.UTC)
    if isinstance(a, dt.datetime) and (a.tzinfo is None) != (b.tzinfo is None):
        return None  # a local date-time and a zoned one have no difference
    try:
        return a - b
    except (TypeError, OverflowError):
        return None


def _as_datetime(value, zone):
    """A date as a date and time: midnight, in the zone of the value it meets."""
    if isinstance(value, dt.datetime):
        return value
    return combine(value, dt.time(tzinfo=zone))


# ---------------------------------------------------------------- text


def _fraction(micro: int) -> str:
    return f".{micro:06d}".rstrip("0") if micro else ""


def _offset_text(tz: dt.tzinfo | None, when: dt.datetime | None) -> str:
    if tz is None:
        return ""
    if isinstance(tz, zoneinfo.ZoneInfo):
        return f"@{tz.key}"
    offset = tz.utcoffset(when)
    if offset is None:
        return ""
    if not offset:
        return "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    seconds = abs(int(offset.total_seconds()))
    text = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
    return text + (f":{seconds % 60:02d}" if seconds % 60 else "")


def date_text(value: dt.date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def time_text(value: dt.time, when: dt.datetime | None = None) -> str:
    clock = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    return clock + _fraction(value.microsecond) + _offset_text(value.tzinfo, when)


def datetime_text(value: dt.datetime) -> str:
    return f"{date_text(value)}T{time_text(value.timetz(), value)}"


def duration_text(value) -> str:
    if isinstance(value, YearsMonths):
        sign = "-" if value.months < 0 else ""
        years, months = divmod(abs(value.months), 12)
        if not years:
            return f"{sign}P{months}M"
        return f"{sign}P{years}Y" + (f"{months}M" if months else "")
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    seconds_text = f"{seconds}{_fraction(value.microseconds)}"
    time = "".join(
        f"{amount}{unit}"
        for amount, unit in ((hours, "H"), (minutes, "M"), (seconds_text, "S"))
        if amount not in (0, "0")
    )
    days = f"{value.days}D" if value.days else ""
    if not days and not time:
        return "PT0S"
    return f"{sign}P{days}{'T' + time if time else ''}"


def temporal_text(value) -> str | None:
    if isinstance(value, dt.datetime):
        return datetime_text(value)
    if isinstance(value, dt.date):
        return date_text(value)
    if isinstance(value, dt.time):
        return time_text(value)
    if isinstance(value, dt.timedelta | YearsMonths):
        return duration_text(value)
    return None
