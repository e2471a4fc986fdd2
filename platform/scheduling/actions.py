"""The only writers of bookings: book, reschedule, cancel (one, or a ticket's when its work
is undone), check in, check out, dispatch.
Each runs in one transaction; a booking that would overlap another of the same resource
raises SlotTaken, whether the check or the database's constraint catches it."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.errors import NotFound, SchedulingError, SlotTaken
from scheduling.models import Booking, Resource, Service
from scheduling.slots import free_slots, qualified, within_shift


def _taken() -> SlotTaken:
    return SlotTaken(_("This time was booked by someone else meanwhile. Please pick another."))


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise SchedulingError(_("The appointment time needs a time zone."))
    return value.astimezone(dt.UTC)


def do_book(
    resource: Resource,
    start: dt.datetime,
    service: Service,
    *,
    ticket_id: int | None = None,
    ticket_number: str = "",
    user=None,
    notify_address: str = "",
) -> Booking:
    start = _aware(start)
    end = start + dt.timedelta(minutes=service.minutes)
    if start < timezone.now():
        raise SchedulingError(_("This time is in the past. Please pick a later one."))
    if not resource.active or not within_shift(resource, start, end):
        raise SchedulingError(_("This time is not one of the bookable slots."))
    booking = Booking(
        resource=resource,
        service=service,
        ticket_id=ticket_id,
        ticket_number=ticket_number,
        starts_at=start,
        ends_at=end,
        booked_by=user if user is not None and user.is_authenticated else None,
        notify_address=notify_address,
        remind_at=start - dt.timedelta(minutes=service.remind_minutes),
    )
    try:
        with transaction.atomic():
            overlapping = Booking.objects.filter(
                resource=resource, starts_at__lt=end, ends_at__gt=start
            ).exclude(status=Booking.Status.CANCELLED)
            if overlapping.exists():
                raise _taken()
            booking.save()
    except IntegrityError:
        raise _taken() from None
    return booking


def _live(booking_id: int) -> Booking:
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("resource", "service")
        .filter(id=booking_id)
        .first()
    )
    if booking is None:
        raise NotFound(_("No such appointment."))
    return booking


def do_cancel(booking_id: int, user=None) -> Booking:
    with transaction.atomic():
        booking = _live(booking_id)
        if booking.status not in (Booking.Status.BOOKED,):
            raise SchedulingError(_("Only an appointment not yet started can be cancelled."))
        booking.status = Booking.Status.CANCELLED
        booking.save(update_fields=["status"])
    return booking


def do_cancel_for_ticket(ticket_id: int, booking_ids=None) -> list[Booking]:
    """Cancel the ticket's appointments that are booked and not over yet (of those, only
    ``booking_ids`` when given): the work they were booked for is undone, so the slot goes
    back to the resource. Appointments checked in, done or over stay as they were.
    Two statements: the rows locked and read, then one UPDATE."""
    with transaction.atomic(savepoint=False):  # inside the caller's, which it must not split
        query = Booking.objects.select_for_update(of=("self",)).filter(
            ticket_id=ticket_id, status=Booking.Status.BOOKED, ends_at__gt=timezone.now()
        )
        if booking_ids is not None:
            query = query.filter(id__in=list(booking_ids))
        bookings = list(query.select_related("resource", "service"))
        if bookings:
            Booking.objects.filter(id__in=[b.id for b in bookings]).update(
                status=Booking.Status.CANCELLED
            )
        for booking in bookings:
            booking.status = Booking.Status.CANCELLED
    return bookings


def do_reschedule(booking_id: int, start: dt.datetime, user=None) -> Booking:
    """Cancel the booking and book the new time on the same resource, all or nothing."""
    with transaction.atomic():
        old = do_cancel(booking_id, user)
        return do_book(
            old.resource,
            start,
            old.service,
            ticket_id=old.ticket_id,
            ticket_number=old.ticket_number,
            user=user,
            notify_address=old.notify_address,
        )


def do_check_in(booking_id: int, user=None) -> Booking:
    with transaction.atomic():
        booking = _live(booking_id)
        if booking.status != Booking.Status.BOOKED:
            raise SchedulingError(_("Check in only once, on a booked appointment."))
        booking.status, booking.checked_in_at = Booking.Status.CHECKED_IN, timezone.now()
        booking.save(update_fields=["status", "checked_in_at"])
    return booking


def do_check_out(booking_id: int, user=None) -> Booking:
    with transaction.atomic():
        booking = _live(booking_id)
        if booking.status != Booking.Status.CHECKED_IN:
            raise SchedulingError(_("Check out after checking in."))
        booking.status, booking.checked_out_at = Booking.Status.DONE, timezone.now()
        booking.save(update_fields=["status", "checked_out_at"])
    return booking


def least_loaded(resources: list[Resource], day_start: dt.datetime) -> list[Resource]:
    """The resources ordered by their live bookings in the 24 hours from day_start."""
    counts = dict(
        Resource.objects.filter(id__in=[r.id for r in resources])
        .annotate(
            load=Count(
                "bookings",
                filter=Q(
                    bookings__starts_at__gte=day_start,
                    bookings__starts_at__lt=day_start + dt.timedelta(days=1),
                )
                & ~Q(bookings__status=Booking.Status.CANCELLED),
            )
        )
        .values_list("id", "load")
    )
    return sorted(resources, key=lambda r: (counts.get(r.id, 0), r.code))


def do_dispatch(
    service: Service,
    region: str,
    day_start: dt.datetime,
    *,
    start: dt.datetime | None = None,
    ticket_id: int | None = None,
    ticket_number: str = "",
    user=None,
    notify_address: str = "",
) -> Booking:
    """Book the least-loaded qualified resource of the region that day: at `start` if
    given, else at its earliest free slot that day. A lost race tries the next one."""
    candidates = least_loaded(qualified(service, region), day_start)
    if not candidates:
        raise SchedulingError(_("Nobody with this skill works in this region."))
    for resource in candidates:
        slots = free_slots([resource], service, day_start, day_start + dt.timedelta(days=1))
        chosen = next((s for s in slots if start is None or s.start == start), None)
        if chosen is None:
            continue
        try:
            return do_book(
                resource,
                chosen.start,
                service,
                ticket_id=ticket_id,
                ticket_number=ticket_number,
                user=user,
                notify_address=notify_address,
            )
        except SlotTaken:
            continue
    raise SlotTaken(_("Nobody qualified is free at that time."))
