"""A ticket's appointment: the slots it may book, booking and rescheduling it (by the
customer on the portal or an agent on the ticket page), check-in and check-out on site.

A process asks for an appointment by waiting for the message `appointment_booked` with
`appointment_service` (a scheduling service code) in its data; booking delivers that
message with the appointment's time, resource and technician, so the process goes on.
Every change is on the timeline; the booking and the message are one transaction.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bpmn import runtime
from scheduling import actions as scheduling
from scheduling.errors import NotFound as NoSuchThing
from scheduling.errors import SchedulingError, SlotTaken
from scheduling.models import Booking
from scheduling.operators import booking_json
from scheduling.queries import bookings_of, resource_by_code, service_by_code
from scheduling.slots import Slot, free_slots, qualified
from tickets.actions import do_correlate_message
from tickets.engine import engine_call, locked_ticket, record_event
from tickets.errors import ActionError, Conflict, Forbidden, NotFound
from tickets.models import Ticket
from tickets.parts import booking_detail

MESSAGE = "appointment_booked"
OFFER_DAYS = 14
OFFER_LIMIT = 60


@dataclass
class Offer:
    """The appointment section of a ticket: what is booked, what could be."""

    service_name: str
    bookings: list[Booking]
    slots: list[Slot]
    wanted: bool  # the process waits for a booking

    def days(self) -> list[tuple[dt.date, list[Slot]]]:
        """The slots grouped by their day in the active time zone (the reader's)."""
        grouped: dict[dt.date, list[Slot]] = {}
        for slot in self.slots:
            grouped.setdefault(timezone.localtime(slot.start).date(), []).append(slot)
        return list(grouped.items())

    @property
    def live(self) -> Booking | None:
        return next((b for b in reversed(self.bookings) if b.active), None)


def wants_appointment(ticket: Ticket) -> bool:
    return (
        ticket.status == Ticket.Status.ACTIVE
        and MESSAGE in (ticket.waiting_messages or [])
        and bool((ticket.data or {}).get("appointment_service"))
    )


def offer_for(ticket: Ticket, *, with_slots: bool = True) -> Offer | None:
    """None when the ticket's process has nothing to do with appointments."""
    code = (ticket.data or {}).get("appointment_service")
    bookings = bookings_of(ticket.id)
    if not code and not bookings:
        return None
    wanted = wants_appointment(ticket)
    slots: list[Slot] = []
    service_name = bookings[-1].service.name if bookings and bookings[-1].service else ""
    if code:
        try:
            service = service_by_code(code)
        except NoSuchThing:
            return Offer(service_name, bookings, [], False)
        service_name = service.name
        live = next((b for b in bookings if b.active), None)
        may_change = ticket.status == Ticket.Status.ACTIVE and (
            wanted or (live is not None and live.status == Booking.Status.BOOKED)
        )
        if with_slots and may_change:
            region = str((ticket.data or {}).get("region") or "")
            now = timezone.now()
            resources = qualified(service, region)
            slots = free_slots(resources, service, now, now + dt.timedelta(days=OFFER_DAYS))
            slots = slots[:OFFER_LIMIT]
    return Offer(service_name, bookings, slots, wanted)


def _parse_slot(key: str) -> tuple[str, dt.datetime]:
    code, _at, start = str(key or "").partition("@")
    try:
        when = dt.datetime.fromisoformat(start)
    except ValueError:
        raise ActionError(_("Choose one of the times offered.")) from None
    if not code or when.tzinfo is None:
        raise ActionError(_("Choose one of the times offered."))
    return code, when


def _translate(exc: SchedulingError) -> ActionError:
    if isinstance(exc, SlotTaken):
        return Conflict(str(exc))
    if isinstance(exc, NoSuchThing):
        return NotFound(str(exc))
    return ActionError(str(exc))


def do_book_appointment(ticket_id: int, slot_key: str, user=None, *, by_customer=False) -> Booking:
    """Book (or move) the ticket's appointment to the chosen slot."""
    code, start = _parse_slot(slot_key)
    actor = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        ticket = locked_ticket(ticket_id)
        offer = offer_for(ticket, with_slots=False)
        if offer is None or ticket.status != Ticket.Status.ACTIVE:
            raise Conflict(_("This ticket does not take appointments now."))
        live = offer.live
        if live is None and not offer.wanted:
            raise Conflict(_("This ticket does not take appointments now."))
        if live is not None and live.status != Booking.Status.BOOKED:
            raise Conflict(_("The appointment has started; it cannot be moved."))
        try:
            if live is not None:
                scheduling.do_cancel(live.id, actor)
            booking = scheduling.do_book(
                resource_by_code(code),
                start,
                service_by_code(ticket.data.get("appointment_service")),
                ticket_id=ticket.id,
                ticket_number=ticket.number or "",
                user=actor,
                notify_address=_address_of(ticket),
            )
        except SchedulingError as exc:
            raise _translate(exc) from exc
        detail = booking_detail(booking)
        if live is None:
            record_event(
                ticket, "appointment_booked", actor=actor, by_customer=by_customer, **detail
            )
        else:
            previous = live.starts_at.isoformat()
            record_event(
                ticket,
                "appointment_moved",
                actor=actor,
                by_customer=by_customer,
                previous=previous,
                **detail,
            )
        if offer.wanted:
            do_correlate_message(actor, MESSAGE, booking_json(booking), ticket_number=ticket.number)
        elif live is not None:
            _follow_the_move(ticket, live, booking, actor)
    return booking


def _follow_the_move(ticket: Ticket, old: Booking, new: Booking, actor) -> None:
    """The process took the old booking into its data when it was booked (the message
    variable, a dispatch result): each variable that holds it now holds the new one, and a
    timer or reminder computed from it is computed again."""
    data = ticket.data or {}
    changes = {
        name: {**value, **booking_json(new)}
        for name, value in data.items()
        if isinstance(value, dict) and value.get("appointment_id") == old.id
    }
    if changes:
        engine_call(ticket, lambda t, workflow: runtime.update_data(workflow, changes, t.id), actor)


def _address_of(ticket: Ticket) -> str:
    data = ticket.data or {}
    if data.get("customer_phone"):
        return f"sms:{data['customer_phone']}"
    if data.get("customer_email"):
        return f"email:{data['customer_email']}"
    return ""


def _booking_of(ticket: Ticket, booking_id: int) -> Booking:
    booking = next((b for b in bookings_of(ticket.id) if b.id == booking_id), None)
    if booking is None:
        raise NotFound(_("No such appointment on this ticket."))
    return booking


def do_cancel_appointment(ticket_id: int, booking_id: int, user) -> Booking:
    with transaction.atomic():
        ticket = locked_ticket(ticket_id)
        booking = _booking_of(ticket, booking_id)
        try:
            booking = scheduling.do_cancel(booking.id, user)
        except SchedulingError as exc:
            raise _translate(exc) from exc
        record_event(ticket, "appointment_cancelled", actor=user, **booking_detail(booking))
    return booking


def do_site_visit(ticket_id: int, booking_id: int, user, step: str) -> Booking:
    """Check in ("in") or out ("out") on site: the booked technician (or an admin)."""
    with transaction.atomic():
        ticket = locked_ticket(ticket_id)
        booking = _booking_of(ticket, booking_id)
        if booking.resource.user_id != user.id and not user.is_superuser:
            raise Forbidden(_("Only the booked technician checks in and out."))
        write = scheduling.do_check_in if step == "in" else scheduling.do_check_out
        try:
            booking = write(booking.id, user)
        except SchedulingError as exc:
            raise _translate(exc) from exc
        at = booking.checked_in_at if step == "in" else booking.checked_out_at
        kind = "checked_in" if step == "in" else "checked_out"
        record_event(ticket, kind, actor=user, at_time=at.isoformat(), **booking_detail(booking))
    return booking
