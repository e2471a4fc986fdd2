"""Business-time arithmetic on a team calendar: SLA clocks tick only in working hours.

A calendar's day is its weekly hours, unless the date is an exception: a holiday (no
hours, or its own shortened hours) or a make-up workday (调休: its own hours, or the
calendar's standard day, i.e. the hours of the first weekday mon..sun that has any).
No hours configured at all means 24x7 (exceptions still apply).

Wall-clock intervals are turned into UTC instants day by day, so a DST change moves the
working day with the clock and a 24x7 day in Europe/Berlin can last 23 or 25 hours.
All arithmetic is on UTC instants; results are aware datetimes in UTC. Pass a `Schedule`
(from `schedule_of`) instead of a calendar to reuse one loaded schedule for many tasks.
"""

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from org.hours import END_OF_DAY, Interval, check_time_zone, parse_intervals, parse_week
from org.models import BusinessCalendar, CalendarException

UTC = dt.UTC
FULL_DAY: tuple[Interval, ...] = ((dt.timedelta(0), END_OF_DAY),)
# Days without any working time after which a calendar is declared broken (not an endless loop).
MAX_IDLE_DAYS = 5 * 366


class CalendarError(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    """A calendar loaded into memory: zone, weekly hours (None = 24x7), dated exceptions."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    week: tuple[tuple[Interval, ...], ...] | None = None
    exceptions: Mapping[dt.date, tuple[Interval, ...]] = field(default_factory=dict)

    @property
    def always_open(self) -> bool:
        return self.week is None and not self.exceptions

    def hours_on(self, day: dt.date) -> tuple[Interval, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        return FULL_DAY if self.week is None else self.week[day.weekday()]

    def standard_day(self) -> tuple[Interval, ...]:
        if self.week is None:
            return FULL_DAY
        return next((day for day in self.week if day), ())


def schedule_of(calendar: "BusinessCalendar | Schedule | None") -> Schedule:
    """Load a calendar (its exceptions too; prefetch `exceptions` to save the query).
    None is a 24x7 UTC schedule."""
    if isinstance(calendar, Schedule):
        return calendar
    if calendar is None:
        return Schedule()
    base = Schedule(zone=check_time_zone(calendar.time_zone), week=parse_week(calendar.hours))
    exceptions = {}
    for row in calendar.exceptions.all():
        hours = parse_intervals(row.hours or [], str(row.date))
        if not hours and row.kind == CalendarException.Kind.WORKDAY:
            hours = base.standard_day()
        exceptions[row.date] = hours
    return Schedule(zone=base.zone, week=base.week, exceptions=exceptions)


def _utc(day: dt.date, offset: dt.timedelta, zone: ZoneInfo) -> dt.datetime:
    # Wall-clock arithmetic on purpose: midnight + 9h is 09:00 local on that date, whatever
    # the offset was at midnight; then one conversion to UTC.
    local = dt.datetime.combine(day, dt.time(), tzinfo=zone) + offset
    return local.astimezone(UTC)


def _segments(schedule: Schedule, since: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Working intervals as UTC (start, end), in order, from the local day of `since` on."""
    day = since.astimezone(schedule.zone).date()
    idle = 0
    while idle <= MAX_IDLE_DAYS:
        found = False
        for start, end in schedule.hours_on(day):
            begin, finish = _utc(day, start, schedule.zone), _utc(day, end, schedule.zone)
            if finish > begin:
                found = True
                yield begin, finish
        idle = 0 if found else idle + 1
        day += dt.timedelta(days=1)
    raise CalendarError(f"no working time in {MAX_IDLE_DAYS} days after {since.isoformat()}")


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")
    return value.astimezone(UTC)


def add_business_time(
    calendar: "BusinessCalendar | Schedule | None", start: dt.datetime, duration: dt.timedelta
) -> dt.datetime:
    """The instant `duration` of working time after `start` (UTC). A start outside working
    hours begins counting at the next opening; a deadline that lands exactly on a closing
    time stays there (18:00, not 09:00 the next morning)."""
    start = _aware(start, "start")
    if duration < dt.timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")
    schedule = schedule_of(calendar)
    if duration == dt.timedelta(0) or schedule.always_open:
        return start + duration
    remaining = duration
    for begin, finish in _segments(schedule, start):
        if finish <= start:
            continue
        begin = max(begin, start)
        if remaining <= finish - begin:
            return begin + remaining
        remaining -= finish - begin
    raise AssertionError("unreachable: _segments ends by raising")  # pragma: no cover


def business_time_between(
    calendar: "BusinessCalendar | Schedule | None", a: dt.datetime, b: dt.datetime
) -> dt.timedelta:
    """Working time from a to b (negative when b is before a)."""
    a, b = _aware(a, "a"), _aware(b, "b")
    if b < a:
        return -business_time_between(calendar, b, a)
    schedule = schedule_of(calendar)
    if schedule.always_open:
        return b - a
    total = dt.timedelta(0)
    if a == b:
        return total
    for begin, finish in _segments(schedule, a):
        if begin >= b:
            break
        overlap = min(finish, b) - max(begin, a)
        if overlap > dt.timedelta(0):
            total += overlap
    return total


def is_working_time(calendar: "BusinessCalendar | Schedule | None", at: dt.datetime) -> bool:
    schedule = schedule_of(calendar)
    local = _aware(at, "at").astimezone(schedule.zone)
    # Wall-clock time of day, the frame the intervals are written in.
    wall = dt.timedelta(
        hours=local.hour, minutes=local.minute, seconds=local.second, microseconds=local.microsecond
    )
    return any(start <= wall < end for start, end in schedule.hours_on(local.date()))
