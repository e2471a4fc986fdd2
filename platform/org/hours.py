"""Working hours as stored on a calendar: {"mon": [["09:00", "12:00"], ["13:00", "18:00"]]}.

Pure parsing and validation, shared by the models (clean), the writers and the calendar
arithmetic. Times are wall-clock times of the calendar's zone; "24:00" ends a day.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
END_OF_DAY = dt.timedelta(hours=24)

# One working interval as offsets from local midnight: (start, end), start < end <= 24h.
Interval = tuple[dt.timedelta, dt.timedelta]


class HoursError(ValueError):
    pass


def parse_clock(text: str, where: str) -> dt.timedelta:
    """ "09:30" -> 9h30m from midnight; "24:00" is the end of the day."""
    try:
        hours, minutes = (int(part) for part in str(text).split(":"))
    except ValueError:
        raise HoursError(f"{where}: {text!r} is not a HH:MM time") from None
    if not (0 <= minutes < 60 and 0 <= hours <= 24) or (hours == 24 and minutes):
        raise HoursError(f"{where}: {text!r} is not a time between 00:00 and 24:00")
    return dt.timedelta(hours=hours, minutes=minutes)


def parse_intervals(value: Iterable, where: str) -> tuple[Interval, ...]:
    """[["09:00", "12:00"], ...] -> sorted, non-overlapping intervals."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise HoursError(f"{where}: expected a list of [start, end] pairs")
    intervals = []
    for pair in value:
        if isinstance(pair, str | bytes) or len(pair) != 2:
            raise HoursError(f"{where}: {pair!r} is not a [start, end] pair")
        start, end = parse_clock(pair[0], where), parse_clock(pair[1], where)
        if start >= end:
            raise HoursError(f"{where}: {pair[0]}-{pair[1]} ends before it starts")
        intervals.append((start, end))
    intervals.sort()
    for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
        if start < end:
            raise HoursError(f"{where}: working intervals overlap")
    return tuple(intervals)


def parse_week(hours: Mapping | None) -> tuple[tuple[Interval, ...], ...] | None:
    """The weekly hours per weekday index 0..6; None when nothing is configured (24x7).
    A weekday missing from a configured week is a day off."""
    if not hours:
        return None
    if not isinstance(hours, Mapping):
        raise HoursError("working hours must be an object keyed by weekday (mon..sun)")
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise HoursError(f"unknown weekday keys {sorted(unknown)} (use {', '.join(WEEKDAYS)})")
    return tuple(parse_intervals(hours.get(day) or [], day) for day in WEEKDAYS)


def check_time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"unknown time zone {name!r}") from None
