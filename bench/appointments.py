"""Booking under concurrency (PostgreSQL): BENCH_BOOKING_CLIENTS threads (8), each with its
own connection, book BENCH_BOOKINGS (400) appointments through `scheduling.actions.do_book`
on BENCH_RESOURCES (10) technicians' shift calendars. Every client walks the same slots in
the same order, so most attempts race another client for one slot: the losers get
SlotTaken (the exclusion constraint or the in-transaction check) and move on. The p95 is
over every attempt, won or lost; `double_booked` must be 0.
"""

import datetime as dt
import os
import threading
import time
from zoneinfo import ZoneInfo

from timing import percentile

CLIENTS = int(os.environ.get("BENCH_BOOKING_CLIENTS", "8"))
BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "400"))
RESOURCES = int(os.environ.get("BENCH_RESOURCES", "10"))
WEEKDAYS = {
    d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
}


def _setup():
    from org.models import BusinessCalendar
    from scheduling.models import Resource, Service
    from scheduling.slots import free_slots

    calendar = BusinessCalendar.objects.create(name="bench shifts", hours=WEEKDAYS)
    resources = [
        Resource.objects.create(code=f"bench-{i}", name=f"Bench {i}", calendar=calendar)
        for i in range(RESOURCES)
    ]
    service = Service.objects.create(code="bench-visit", name="Bench visit", minutes=30)
    since = dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(days=1)
    slots = free_slots(resources, service, since, since + dt.timedelta(days=30))
    return service, slots[:BOOKINGS]


def measure() -> dict:
    from django.db import connection, connections
    from django.db.models import Count

    from scheduling.actions import do_book
    from scheduling.errors import SlotTaken
    from scheduling.models import Booking

    if connection.vendor != "postgresql":
        return {"skipped": "PostgreSQL only"}
    service, slots = _setup()
    samples: list[float] = []
    outcome = {"booked": 0, "taken": 0}
    lock = threading.Lock()

    def client():
        mine, won, lost = [], 0, 0
        try:
            for slot in slots:
                t0 = time.perf_counter()
                try:
                    do_book(slot.resource, slot.start, service)
                    won += 1
                except SlotTaken:
                    lost += 1
                mine.append((time.perf_counter() - t0) * 1000)
        finally:
            connections.close_all()
        with lock:
            samples.extend(mine)
            outcome["booked"] += won
            outcome["taken"] += lost

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    doubled = (
        Booking.objects.exclude(status="cancelled")
        .values("resource", "starts_at")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return {
        "clients": CLIENTS,
        "slots": len(slots),
        "attempts": len(samples),
        **outcome,
        "double_booked": doubled,
        "book_p50_ms": round(percentile(samples, 50), 2),
        "book_p95_ms": round(percentile(samples, 95), 2),
        "attempts_per_s": round(len(samples) / wall, 1),
    }
