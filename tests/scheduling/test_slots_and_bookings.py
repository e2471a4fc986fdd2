import datetime as dt
import threading

import pytest
from django.db import connection

from scheduling import actions
from scheduling.errors import SchedulingError, SlotTaken
from scheduling.models import Booking
from scheduling.slots import free_slots, qualified

from .conftest import next_monday


def test_slots_follow_the_shift_calendar_at_the_service_length(shop):
    monday = next_monday(0)
    slots = free_slots([shop["room"]], shop["facial"], monday, monday + dt.timedelta(days=1))
    local = [s.start.astimezone(monday.tzinfo).strftime("%H:%M") for s in slots]
    # 09:00-12:00 holds two 90-minute slots, 13:00-18:00 three (16:00-17:30; 17:30 won't fit).
    assert local == ["09:00", "10:30", "13:00", "14:30", "16:00"]


def test_weekend_has_no_slots_and_a_booking_removes_its_slot(shop):
    saturday = next_monday(0) - dt.timedelta(days=2)
    assert (
        free_slots([shop["tom"]], shop["repair"], saturday, saturday + dt.timedelta(days=1)) == []
    )
    monday = next_monday(0)
    actions.do_book(shop["tom"], next_monday(10), shop["repair"], ticket_number="SV-1")
    starts = [
        s.start
        for s in free_slots([shop["tom"]], shop["repair"], monday, monday + dt.timedelta(days=1))
    ]
    assert next_monday(10) not in starts and next_monday(9) in starts and len(starts) == 7


def test_a_booking_outside_the_shift_or_overlapping_is_refused(shop):
    with pytest.raises(SchedulingError, match="not one of the bookable slots"):
        actions.do_book(shop["tom"], next_monday(12), shop["repair"])
    actions.do_book(shop["room"], next_monday(9), shop["facial"])
    with pytest.raises(SlotTaken, match="booked by someone else"):
        actions.do_book(shop["room"], next_monday(9), shop["facial"])


def test_cancelled_time_is_free_again_and_reschedule_moves_the_booking(shop):
    booking = actions.do_book(shop["tom"], next_monday(9), shop["repair"], ticket_number="SV-2")
    moved = actions.do_reschedule(booking.id, next_monday(14))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and moved.starts_at == next_monday(14)
    again = actions.do_book(shop["jerry"], next_monday(9), shop["repair"])
    assert again.status == Booking.Status.BOOKED


def test_check_in_then_check_out_records_the_times_in_order(shop):
    booking = actions.do_book(shop["tom"], next_monday(9), shop["repair"])
    with pytest.raises(SchedulingError, match="after checking in"):
        actions.do_check_out(booking.id)
    actions.do_check_in(booking.id)
    done = actions.do_check_out(booking.id)
    assert done.status == "done" and done.checked_in_at <= done.checked_out_at
    with pytest.raises(SchedulingError):
        actions.do_cancel(booking.id)


def test_dispatch_picks_the_least_loaded_qualified_technician_of_the_region(shop):
    day = next_monday(0)
    first = actions.do_dispatch(shop["repair"], "east", day, start=next_monday(9))
    second = actions.do_dispatch(shop["repair"], "east", day, start=next_monday(9))
    third = actions.do_dispatch(shop["repair"], "east", day)
    # Jerry sorts before Tom when both are free; then Tom has fewer; then a tie again.
    assert [first.resource.code, second.resource.code] == ["jerry", "tom"]
    assert third.resource.code == "jerry" and third.starts_at == next_monday(10)
    assert [r.code for r in qualified(shop["repair"], "west")] == []
    with pytest.raises(SchedulingError, match="Nobody with this skill"):
        actions.do_dispatch(shop["repair"], "west", day)


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_bookings_of_one_slot_give_exactly_one(shop):
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite serializes writers")
    barrier = threading.Barrier(50)
    results: list[str] = []
    lock = threading.Lock()

    def book():
        from django.db import connection as own

        try:
            barrier.wait()
            actions.do_book(shop["tom"], next_monday(15), shop["repair"])
            outcome = "booked"
        except SlotTaken as exc:
            outcome = str(exc)
        finally:
            own.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=book) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("booked") == 1
    assert set(results) - {"booked"} == {
        "This time was booked by someone else meanwhile. Please pick another."
    }
    assert Booking.objects.filter(resource=shop["tom"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_overlapping_but_different_starts_are_refused_by_the_database(shop):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL exclusion constraint")
    from django.db import IntegrityError

    Booking.objects.create(resource=shop["room"], starts_at=next_monday(9), ends_at=next_monday(11))
    with pytest.raises(IntegrityError, match="booking_no_overlap"):
        Booking.objects.create(
            resource=shop["room"], starts_at=next_monday(10), ends_at=next_monday(12)
        )
