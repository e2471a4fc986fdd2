"""Dates and date-times whose year Python cannot hold (FEEL allows -999999999..999999999).

The Gregorian calendar repeats every 400 years (146097 days, weekdays included), so a far
date is a Python date in the years 2000-2399 plus a number of 400-year cycles. Everything
that reads `.year`, compares, subtracts or adds durations sees the true year; only the
constructors below create them, and a year in 1..9999 always gives a plain Python value."""

import datetime as dt

CYCLE_YEARS = 400
CYCLE_DAYS = 146097


def _cycles_of(year: int) -> int:
    return (year - 2000) // CYCLE_YEARS


MAX_YEAR = 999_999_999


def make_date(year: int, month: int, day: int) -> dt.date:
    if 1 <= year <= 9999:
        return dt.date(year, month, day)
    if abs(year) > MAX_YEAR:
        raise ValueError(f"year {year} is out of range")
    cycles = _cycles_of(year)
    value = FarDate(year - CYCLE_YEARS * cycles, month, day)
    value.cycles = cycles
    return value


def make_datetime(year, month, day, hour=0, minute=0, second=0, micro=0, tzinfo=None):
    if 1 <= year <= 9999:
        return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tzinfo)
    if abs(year) > MAX_YEAR:
        raise ValueError(f"year {year} is out of range")
    cycles = _cycles_of(year)
    value = FarDateTime(
        year - CYCLE_YEARS * cycles, month, day, hour, minute, second, micro, tzinfo=tzinfo
    )
    value.cycles = cycles
    return value


def combine(day: dt.date, time: dt.time) -> dt.datetime:
    return make_datetime(
        day.year, day.month, day.day, time.hour, time.minute, time.second,
        time.microsecond, time.tzinfo,
    )  # fmt: skip


def with_date(value: dt.date, year: int, month: int, day: int) -> dt.date:
    """`value` moved to another day, keeping its time of day and zone."""
    if isinstance(value, dt.datetime):
        return make_datetime(
            year, month, day, value.hour, value.minute, value.second, value.microsecond,
            value.tzinfo,
        )  # fmt: skip
    return make_date(year, month, day)


def day_number(value: dt.date) -> int:
    return dt.date.toordinal(value) + getattr(value, "cycles", 0) * CYCLE_DAYS


def _micros(value: dt.datetime) -> int:
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    offset = dt.datetime.utcoffset(value)
    if offset is not None:
        seconds -= int(offset.total_seconds())
    return (day_number(value) * 86400 + seconds) * 1_000_000 + value.microsecond


class _OrderedByKey:
    """Comparisons through `_key(other)` -> (own key, other's key), or None when the other
    value is not comparable (then Python tries the other side)."""

    def __lt__(self, other):
        keys = self._key(other)
        return NotImplemented if keys is None else keys[0] < keys[1]

    def __le__(self, other):
        keys = self._key(other)
        return NotImplemented if keys is None else keys[0] <= keys[1]

    def __gt__(self, other):
        keys = self._key(other)
        return NotImplemented if keys is None else keys[0] > keys[1]

    def __ge__(self, other):
        keys = self._key(other)
        return NotImplemented if keys is None else keys[0] >= keys[1]


class FarDate(_OrderedByKey, dt.date):
    cycles = 0

    @property
    def year(self) -> int:
        return super().year + CYCLE_YEARS * self.cycles

    def _base(self) -> dt.date:
        return dt.date(super().year, self.month, self.day)

    def __add__(self, other):
        if not isinstance(other, dt.timedelta):
            return NotImplemented
        moved = self._base() + other
        return make_date(moved.year + CYCLE_YEARS * self.cycles, moved.month, moved.day)

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, dt.timedelta):
            return self + -other
        if isinstance(other, dt.date) and not isinstance(other, dt.datetime):
            return dt.timedelta(days=day_number(self) - day_number(other))
        return NotImplemented

    def __rsub__(self, other):
        if isinstance(other, dt.date) and not isinstance(other, dt.datetime):
            return dt.timedelta(days=day_number(other) - day_number(self))
        return NotImplemented

    def _key(self, other):
        if isinstance(other, dt.datetime) or not isinstance(other, dt.date):
            return None
        return day_number(self), day_number(other)

    def __eq__(self, other):
        keys = self._key(other)
        return NotImplemented if keys is None else keys[0] == keys[1]

    def __hash__(self):
        return hash(day_number(self))


class FarDateTime(_OrderedByKey, dt.datetime):
    cycles = 0

    @property
    def year(self) -> int:
        return super().year + CYCLE_YEARS * self.cycles

    def date(self) -> dt.date:
        return make_date(self.year, self.month, self.day)

    def __add__(self, other):
        if not isinstance(other, dt.timedelta):
            return NotImplemented
        base = dt.datetime(
            super().year, self.month, self.day, self.hour, self.minute, self.second,
            self.microsecond, tzinfo=self.tzinfo,
        )  # fmt: skip
        moved = base + other
        return with_date(moved, moved.year + CYCLE_YEARS * self.cycles, moved.month, moved.day)

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, dt.timedelta):
            return self + -other
        if isinstance(other, dt.datetime):
            if (self.tzinfo is None) != (other.tzinfo is None):
                raise TypeError("a local and a zoned date and time")
            return dt.timedelta(microseconds=_micros(self) - _micros(other))
        return NotImplemented

    def __rsub__(self, other):
        if isinstance(other, dt.datetime):
            if (self.tzinfo is None) != (other.tzinfo is None):
                raise TypeError("a local and a zoned date and time")
            return dt.timedelta(microseconds=_micros(other) - _micros(self))
        return NotImplemented

    def _key(self, other):
        if not isinstance(other, dt.datetime):
            return None
        if (self.tzinfo is None) != (other.tzinfo is None):
            raise TypeError("a local and a zoned date and time")
        return _micros(self), _micros(other)

    def __eq__(self, other):
        try:
            keys = self._key(other)
        except TypeError:
            return False
        return NotImplemented if keys is None else keys[0] == keys[1]

    def __hash__(self):
        return hash(_micros(self))
