"""Appointments over the API: the services one can book, their free slots, and a ticket's
booking (book, reschedule, cancel, check in and out on site). Thin: parse, check access,
call one action of tickets.appointments, answer.

A caller sees the bookings of the tickets it may see (access_ticket): a customer's token
sees its own tickets' bookings and nobody else's; supervisors see all. Booking and moving
go through the ticket, so the process hears of the booking (the message it waits for) and
a move after that updates the ticket's data and timers.
"""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from integrations.auth import require_scope
from integrations.idempotency import idempotent
from scheduling.errors import SchedulingError
from scheduling.models import Booking, Resource, Service
from scheduling.queries import service_by_code
from scheduling.slots import free_slots, qualified
from tickets import appointments
from tickets.access import access_ticket, is_supervisor, visible_tickets
from tickets.api import ERRORS, ErrorOut, fail
from tickets.errors import ActionError, Conflict, NotFound
from tickets.models import Ticket

router = Router(tags=["appointments"])
DEFAULT_DAYS = 7
MOST_SLOTS = 200


class ServiceOut(Schema):
    code: str
    name: str
    minutes: int
    skill: str | None
    resource_kind: str

    @staticmethod
    def resolve_skill(obj):
        return obj.skill.code if obj.skill_id else None


class SlotOut(Schema):
    slot: str = Field(description="What to post back to book it: resource@start")
    start: dt.datetime
    end: dt.datetime
    resource: str
    resource_name: str
    region: str


class SlotQuery(Schema):
    service: str = Field(description="A service code from /appointments/services")
    since: dt.datetime | None = Field(None, description="ISO 8601 with offset; default now")
    until: dt.datetime | None = Field(None, description=f"default since + {DEFAULT_DAYS} days")
    region: str = ""
    skill: str = Field("", description="only resources with this skill tag as well")
    resource: str = Field("", description="only this resource (its code)")
    limit: int = Field(MOST_SLOTS, ge=1, le=MOST_SLOTS)

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value):
        if value is not None and value.tzinfo is None:
            raise ValueError("give the time with its UTC offset, e.g. 2026-12-07T09:00:00+08:00")
        return value


class BookingOut(Schema):
    id: int
    ticket: str
    service: str | None
    resource: str
    resource_name: str
    start: dt.datetime
    end: dt.datetime
    status: str
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None

    @staticmethod
    def resolve_ticket(obj):
        return obj.ticket_number

    @staticmethod
    def resolve_service(obj):
        return obj.service.code if obj.service_id else None

    @staticmethod
    def resolve_resource(obj):
        return obj.resource.code

    @staticmethod
    def resolve_resource_name(obj):
        return obj.resource.name

    @staticmethod
    def resolve_start(obj):
        return obj.starts_at

    @staticmethod
    def resolve_end(obj):
        return obj.ends_at


class BookIn(Schema):
    ticket: str = Field(
        description="The ticket's number (or id) whose process takes the appointment"
    )
    slot: str = Field(description="A slot as /appointments/slots gives it: resource@start")


class RescheduleIn(Schema):
    slot: str = Field(description="The new slot: resource@start")


@router.get("/appointments/services", response={200: list[ServiceOut]})
@require_scope("appointments:read")
def list_services(request: HttpRequest):
    """The services one can book: their length in minutes, the skill and resource kind."""
    return list(Service.objects.select_related("skill"))


@router.get("/appointments/slots", response={200: list[SlotOut], 400: ErrorOut, 404: ErrorOut})
@require_scope("appointments:read")
def list_slots(request: HttpRequest, query: Query[SlotQuery]):
    """Free slots of a service between `since` and `until` (at most 62 days), earliest
    first, of the resources of its kind with its skill (and the region, skill or resource
    asked for)."""
    try:
        service = service_by_code(query.service)
    except SchedulingError as exc:
        return exc.status, {"detail": str(exc)}
    since = query.since or dt.datetime.now(dt.UTC)
    until = query.until or since + dt.timedelta(days=DEFAULT_DAYS)
    resources = qualified(service, query.region)
    if query.resource:
        resources = [r for r in resources if r.code == query.resource]
    if query.skill:
        skilled = set(
            Resource.skills.through.objects.filter(skilltag__code=query.skill).values_list(
                "resource_id", flat=True
            )
        )
        resources = [r for r in resources if r.id in skilled]
    try:
        slots = free_slots(resources, service, since, until)[: query.limit]
    except ValueError as exc:
        return 400, {"detail": str(exc)}
    return [
        {
            "slot": s.key,
            "start": s.start,
            "end": s.end,
            "resource": s.resource.code,
            "resource_name": s.resource.name,
            "region": s.resource.region,
        }
        for s in slots
    ]


def _visible_bookings(user):
    rows = Booking.objects.select_related("resource", "service")
    if is_supervisor(user):
        return rows
    return rows.filter(ticket_id__in=visible_tickets(user).values("id"))


def _booking(request, booking_id: int) -> Booking:
    booking = _visible_bookings(request.user).filter(id=booking_id).first()
    if booking is None:
        raise NotFound(f"appointment {booking_id} not found")
    if booking.ticket_id is None:
        raise Conflict(f"appointment {booking_id} belongs to no ticket")
    return booking


def _movable(booking: Booking) -> Booking:
    """Only the ticket's live booking, not yet started, moves."""
    if booking.status != Booking.Status.BOOKED:
        raise Conflict(f"appointment {booking.id} is {booking.status}; it cannot be moved")
    return booking


@router.get("/appointments", response={200: list[BookingOut], 404: ErrorOut})
@require_scope("appointments:read")
def list_bookings(request: HttpRequest, ticket: str = ""):
    """The caller's bookings (of the tickets it may see), or one ticket's."""
    rows = _visible_bookings(request.user)
    if ticket:
        try:
            rows = rows.filter(ticket_id=access_ticket(request.user, ticket).id)
        except Ticket.DoesNotExist:
            return 404, {"detail": f"ticket {ticket} not found"}
    return list(rows.order_by("starts_at", "id")[:MOST_SLOTS])


@router.get("/appointments/{booking_id}", response={200: BookingOut, 404: ErrorOut})
@require_scope("appointments:read")
def get_booking(request: HttpRequest, booking_id: int):
    try:
        return _booking(request, booking_id)
    except ActionError as exc:
        return fail(exc)


@router.post("/appointments", response={201: BookingOut, **ERRORS})
@require_scope("appointments:write")
@idempotent
def book(request: HttpRequest, body: BookIn):
    """Book a slot for a ticket whose process waits for an appointment (409 when someone
    took the slot meanwhile, or the ticket takes no appointment now)."""
    try:
        ticket = access_ticket(request.user, body.ticket)
    except Ticket.DoesNotExist:
        return 404, {"detail": f"ticket {body.ticket} not found"}
    try:
        if appointments.offer_for(ticket, with_slots=False) is None:
            raise Conflict(f"ticket {ticket.number} does not take appointments")
        booking = appointments.do_book_appointment(ticket.id, body.slot, request.user)
    except ActionError as exc:
        return fail(exc)
    return 201, booking


@router.post("/appointments/{booking_id}/reschedule", response={200: BookingOut, **ERRORS})
@require_scope("appointments:write")
def reschedule(request: HttpRequest, booking_id: int, body: RescheduleIn):
    """Move a booked appointment to another slot: the old one is freed and the new one
    booked in one transaction (409 and nothing changed when the new slot is taken); the
    ticket's data, timers and reminder follow the new time."""
    try:
        booking = _movable(_booking(request, booking_id))
        return appointments.do_book_appointment(booking.ticket_id, body.slot, request.user)
    except ActionError as exc:
        return fail(exc)


@router.post("/appointments/{booking_id}/cancel", response={200: BookingOut, **ERRORS})
@require_scope("appointments:write")
def cancel(request: HttpRequest, booking_id: int):
    try:
        booking = _booking(request, booking_id)
        return appointments.do_cancel_appointment(booking.ticket_id, booking.id, request.user)
    except ActionError as exc:
        return fail(exc)


@router.post("/appointments/{booking_id}/check-in", response={200: BookingOut, **ERRORS})
@require_scope("appointments:write")
def check_in(request: HttpRequest, booking_id: int):
    """The booked technician (or an admin) arrives on site: the time is recorded."""
    try:
        booking = _booking(request, booking_id)
        return appointments.do_site_visit(booking.ticket_id, booking.id, request.user, "in")
    except ActionError as exc:
        return fail(exc)


@router.post("/appointments/{booking_id}/check-out", response={200: BookingOut, **ERRORS})
@require_scope("appointments:write")
def check_out(request: HttpRequest, booking_id: int):
    try:
        booking = _booking(request, booking_id)
        return appointments.do_site_visit(booking.ticket_id, booking.id, request.user, "out")
    except ActionError as exc:
        return fail(exc)
