"""Business-time arithmetic on team calendars: nights, lunch breaks, weekends, holidays,
make-up workdays, 24x7 teams and a DST zone.

Dates used (as configured in these tests): 2026 National Day holidays Thu 10-01 .. Wed
10-07, make-up workdays (调休) Sun 2026-09-27 and Sat 2026-10-10. Mon 2026-09-14 is a plain
working Monday. Europe/Berlin switches to summer time on Sun 2026-03-29 and back on
Sun 2026-10-25.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from org import actions
from org.calendar import (
    CalendarError,
    Schedule,
    add_business_time,
    business_time_between,
    is_working_time,
    schedule_of,
)
from org.hours import HoursError, parse_week

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC
H = dt.timedelta(hours=1)


@pytest.fixture
def org(org_of_the_module):
    """The organization, made once for this module's tests (see org_made_once)."""
    return org_of_the_module


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def national_day(org):
    cal = org.calendar
    for day in range(1, 8):
        actions.do_set_calendar_exception(
            org.admin, cal, dt.date(2026, 10, day), "holiday", name="National Day"
        )
    for date in (dt.date(2026, 9, 27), dt.date(2026, 10, 10)):
        actions.do_set_calendar_exception(org.admin, cal, date, "workday", name="调休")
    return cal


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (sh(2026, 9, 14, 10), 1, sh(2026, 9, 14, 11)),  # within the morning
        (sh(2026, 9, 14, 11, 30), 1, sh(2026, 9, 14, 13, 30)),  # over lunch
        (sh(2026, 9, 14, 17), 2, sh(2026, 9, 15, 10)),  # over the night
        (sh(2026, 9, 18, 17), 2, sh(2026, 9, 21, 10)),  # Friday evening to Monday
        (sh(2026, 9, 19, 15), 1, sh(2026, 9, 21, 10)),  # Saturday: clock starts Monday 09:00
        (sh(2026, 9, 14, 22), 1, sh(2026, 9, 15, 10)),  # late at night
        (sh(2026, 9, 14, 9), 8, sh(2026, 9, 14, 18)),  # lands on closing time: stays there
        (sh(2026, 9, 14, 12, 30), 0.5, sh(2026, 9, 14, 13, 30)),  # lunch is not working time
        (sh(2026, 9, 14, 10), 40, sh(2026, 9, 21, 10)),  # a working week
    ],
)
def test_add_business_time_on_a_weekday_calendar(org, start, hours, expected):
    due = add_business_time(org.calendar, start, dt.timedelta(hours=hours))
    assert due == expected
    assert due.tzinfo == UTC


def test_result_is_utc_and_between_is_its_inverse(org):
    start = sh(2026, 9, 14, 17)
    due = add_business_time(org.calendar, start, 2 * H)
    assert (due.tzinfo, due.hour) == (UTC, 2)  # Tue 10:00 Shanghai = 02:00 UTC
    assert business_time_between(org.calendar, start, due) == 2 * H
    assert business_time_between(org.calendar, due, start) == -2 * H
    assert business_time_between(org.calendar, start, start) == dt.timedelta(0)


def test_holidays_are_skipped_and_make_up_workdays_count(national_day):
    cal = national_day
    # Friday evening: the next working day is the make-up Sunday 09-27.
    assert add_business_time(cal, sh(2026, 9, 25, 17), 2 * H) == sh(2026, 9, 27, 10)
    # The eve of the holiday week: Thu 10-01 .. Wed 10-07 are off, Thu 10-08 works.
    assert add_business_time(cal, sh(2026, 9, 30, 17), 2 * H) == sh(2026, 10, 8, 10)
    # Friday 10-09 evening: Saturday 10-10 is a make-up workday.
    assert add_business_time(cal, sh(2026, 10, 9, 17), 2 * H) == sh(2026, 10, 10, 10)
    # Between Wed 09-30 09:00 and Thu 10-08 18:00 only two working days pass.
    assert business_time_between(cal, sh(2026, 9, 30, 9), sh(2026, 10, 8, 18)) == 16 * H
    # Sat 09-26 is still a weekend day; the make-up Sunday after it works 8 hours.
    assert business_time_between(cal, sh(2026, 9, 26, 0), sh(2026, 9, 28, 0)) == 8 * H


def test_without_the_exceptions_the_same_dates_count_differently(org):
    # Control for the test above: a plain calendar works 10-01 and rests on 09-27.
    assert add_business_time(org.calendar, sh(2026, 9, 30, 17), 2 * H) == sh(2026, 10, 1, 10)
    assert add_business_time(org.calendar, sh(2026, 9, 25, 17), 2 * H) == sh(2026, 9, 28, 10)


def test_exception_hours_override_the_day(org):
    cal = org.calendar
    actions.do_set_calendar_exception(
        org.admin, cal, dt.date(2026, 9, 30), "holiday", hours=[["09:00", "12:00"]], name="eve"
    )
    actions.do_set_calendar_exception(
        org.admin, cal, dt.date(2026, 9, 27), "workday", hours=[["10:00", "14:00"]]
    )
    assert business_time_between(cal, sh(2026, 9, 30, 0), sh(2026, 10, 1, 0)) == 3 * H
    assert business_time_between(cal, sh(2026, 9, 27, 0), sh(2026, 9, 28, 0)) == 4 * H
    assert add_business_time(cal, sh(2026, 9, 30, 11), 2 * H) == sh(2026, 10, 1, 10)


def test_no_hours_means_around_the_clock(org):
    always = actions.do_save_calendar(org.admin, "hotline", hours={})
    start = sh(2026, 9, 19, 23)  # a Saturday night
    assert add_business_time(always, start, 3 * H) == sh(2026, 9, 20, 2)
    assert add_business_time(None, start, 3 * H) == sh(2026, 9, 20, 2)
    assert business_time_between(always, start, sh(2026, 9, 21, 23)) == 48 * H
    # A holiday still stops a 24x7 team's clock.
    actions.do_set_calendar_exception(org.admin, always, dt.date(2026, 9, 20), "holiday")
    assert add_business_time(always, start, 3 * H) == sh(2026, 9, 21, 2)


def test_dst_moves_the_working_day_with_the_clock(org):
    berlin = actions.do_save_calendar(
        org.admin,
        "berlin",
        time_zone="Europe/Berlin",
        hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    # Spring: Friday 16:00 CET (15:00 UTC) + 2h -> Monday 10:00 CEST, which is 08:00 UTC
    # (a fixed +01:00 offset would say 09:00 UTC).
    start = dt.datetime(2026, 3, 27, 16, tzinfo=BERLIN)
    assert start.astimezone(UTC).hour == 15
    due = add_business_time(berlin, start, 2 * H)
    assert due == dt.datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert due.astimezone(BERLIN).hour == 10
    # Autumn: Friday 16:00 CEST + 2h -> Monday 10:00 CET = 09:00 UTC.
    autumn = add_business_time(berlin, dt.datetime(2026, 10, 23, 16, tzinfo=BERLIN), 2 * H)
    assert autumn == dt.datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_a_24x7_day_in_a_dst_zone_has_23_or_25_hours(org):
    berlin = actions.do_save_calendar(org.admin, "berlin-24x7", time_zone="Europe/Berlin")
    # An exception forces the day-by-day path (no plain UTC shortcut).
    actions.do_set_calendar_exception(org.admin, berlin, dt.date(2026, 1, 1), "holiday")
    sat = dt.datetime(2026, 3, 28, 0, tzinfo=BERLIN)
    mon = dt.datetime(2026, 3, 30, 0, tzinfo=BERLIN)
    assert business_time_between(berlin, sat, mon) == 47 * H
    autumn = business_time_between(
        berlin, dt.datetime(2026, 10, 24, tzinfo=BERLIN), dt.datetime(2026, 10, 26, tzinfo=BERLIN)
    )
    assert autumn == 49 * H
    # Saturday noon + 24 working hours is Sunday 13:00 local: Sunday lost an hour.
    due = add_business_time(berlin, dt.datetime(2026, 3, 28, 12, tzinfo=BERLIN), 24 * H)
    assert due.astimezone(BERLIN).replace(tzinfo=None) == dt.datetime(2026, 3, 29, 13)


def test_is_working_time(national_day):
    assert is_working_time(national_day, sh(2026, 9, 14, 9))
    assert not is_working_time(national_day, sh(2026, 9, 14, 12, 30))
    assert not is_working_time(national_day, sh(2026, 9, 14, 18))
    assert not is_working_time(national_day, sh(2026, 10, 2, 10))  # holiday
    assert is_working_time(national_day, sh(2026, 9, 27, 10))  # make-up Sunday
    assert is_working_time(None, sh(2026, 10, 2, 3))


def test_one_loaded_schedule_serves_many_computations(org, django_assert_num_queries):
    schedule = schedule_of(org.calendar)
    with django_assert_num_queries(0):
        for day in range(14, 19):
            add_business_time(schedule, sh(2026, 9, day, 10), 20 * H)


def test_bad_input_is_refused(org):
    with pytest.raises(ValueError, match="aware"):
        add_business_time(org.calendar, dt.datetime(2026, 9, 14, 10), H)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(org.calendar, sh(2026, 9, 14, 10), -H)
    never = Schedule(zone=SH, week=parse_week({"mon": []}))
    with pytest.raises(CalendarError, match="no working time"):
        add_business_time(never, sh(2026, 9, 14, 10), H)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"monday": [["09:00", "18:00"]]}, "unknown weekday"),
        ({"mon": [["18:00", "09:00"]]}, "ends before it starts"),
        ({"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}, "overlap"),
        ({"mon": [["9am", "18:00"]]}, "HH:MM"),
        ({"mon": [["09:00", "24:30"]]}, "between 00:00 and 24:00"),
        ({"mon": "09:00-18:00"}, "list of"),
    ],
)
def test_invalid_hours_are_refused(org, hours, message):
    with pytest.raises(HoursError, match=message):
        parse_week(hours)
    with pytest.raises(ValidationError, match=message):
        actions.do_save_calendar(org.admin, "broken", hours=hours)


def test_unknown_time_zone_is_refused(org):
    with pytest.raises(ValidationError, match="time zone"):
        actions.do_save_calendar(org.admin, "mars", time_zone="Mars/Olympus")
