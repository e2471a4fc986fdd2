"""Free slots: a resource's shift calendar cut into pieces as long as the service, minus
its live bookings. One query for the bookings of every resource asked about."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils import timezone

from org.calendar import schedule_of
from scheduling.models import Booking, Resource, Service

MAX_WINDOW = dt.timedelta(days=62)


@dataclass(frozen=True)
class Slot:
    resource: Resource
    start: dt.datetime
    end: dt.datetime

    @property
    def key(self) -> str:
        """What a form posts back: resource code and start instant."""
        return f"{self.resource.code}@{self.start.isoformat()}"


def _shift_pieces(
    resource: Resource, length: dt.timedelta, since: dt.datetime, until: dt.datetime
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Every [start, end) of `length` inside the resource's working hours, aligned on the
    start of each working interval, between since and until."""
    if resource.calendar is None:
        return
    schedule = schedule_of(resource.calendar)
    day = since.astimezone(schedule.zone).date()
    last = until.astimezone(schedule.zone).date()
    while day <= last:
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=schedule.zone)
        for open_at, close_at in schedule.hours_on(day):
            start, close = (midnight + open_at).astimezone(dt.UTC), midnight + close_at
            close = close.astimezone(dt.UTC)
            while start + length <= close:
                if start >= since and start + length <= until:
                    yield start, start + length
                start += length
        day += dt.timedelta(days=1)


def _busy(resources: Iterable[Resource], since, until) -> dict[int, list[tuple]]:
    rows = Booking.objects.filter(
        resource__in=list(resources), starts_at__lt=until, ends_at__gt=since
    ).exclude(status=Booking.Status.CANCELLED)
    busy = defaultdict(list)
    for resource_id, start, end in rows.values_list("resource_id", "starts_at", "ends_at"):
        busy[resource_id].append((start, end))
    return busy


def check_window(since: dt.datetime, until: dt.datetime) -> None:
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("a slot window needs aware times")
    if until <= since:
        raise ValueError("the window ends before it starts")
    if until - since > MAX_WINDOW:
        raise ValueError(f"ask for at most {MAX_WINDOW.days} days of slots at a time")


def free_slots(
    resources: Iterable[Resource], service: Service, since: dt.datetime, until: dt.datetime
) -> list[Slot]:
    """Free slots of these resources in [since, until), earliest first."""
    check_window(since, until)
    since = max(since, timezone.now())
    resources = list(resources)
    length = dt.timedelta(minutes=service.minutes)
    busy = _busy(resources, since, until)
    slots = [
        Slot(resource, start, end)
        for resource in resources
        for start, end in _shift_pieces(resource, length, since, until)
        if not any(b0 < end and start < b1 for b0, b1 in busy[resource.id])
    ]
    return sorted(slots, key=lambda s: (s.start, s.resource.code))


def qualified(service: Service, region: str = "") -> list[Resource]:
    """Active resources of the service's kind with its skill (and in the region, if given)."""
    rows = Resource.objects.filter(active=True, kind=service.resource_kind).select_related(
        "calendar", "user"
    )
    if service.skill_id:
        rows = rows.filter(skills=service.skill_id)
    if region:
        rows = rows.filter(region=region)
    return list(rows.prefetch_related("calendar__exceptions"))


def within_shift(resource: Resource, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether [start, end) is one of the resource's slots for a service of that length."""
    day_start = start - dt.timedelta(days=1)
    return any(
        (s, e) == (start, end) for s, e in _shift_pieces(resource, end - start, day_start, end)
    )
