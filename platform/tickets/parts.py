"""Parts held for a ticket (pricing reservations) go back to the shelf when the work they
were held for is undone: the ticket cancelled, or sent back to a step opened before they
were reserved. Held parts are booked as used when the settlement is confirmed (pricing).

Its appointments (scheduling bookings) are given up the same way, so they stop blocking
the resource's slot: all of them when the ticket is cancelled; on a send back, those the
discarded steps booked, i.e. the ones whose ``appointment_id`` the process data held
before the send back and no longer holds after it (a booking made earlier, or one moved
by a person since, is still the ticket's appointment and stays)."""

from collections.abc import Iterable

from pricing.actions import do_release_reservations
from scheduling.actions import do_cancel_for_ticket
from scheduling.models import Booking
from tickets.engine import queue_event
from tickets.models import HumanTask, Ticket


def release_parts(ticket: Ticket, *, actor, since=None, reason: str) -> None:
    """Release the ticket's held parts (all, or those reserved at or after ``since``) and
    note it on the timeline with the action's other events."""
    released = do_release_reservations(ticket.number, since=since)
    if released:
        queue_event(
            ticket,
            "parts_released",
            actor=actor,
            reason=reason,
            parts=[
                {
                    "sku": r.stock.part.sku,
                    "name": r.stock.part.name,
                    "warehouse": r.stock.warehouse.code,
                    "quantity": r.quantity,
                }
                for r in released
            ],
        )


def booking_detail(booking: Booking) -> dict:
    """What the timeline says about an appointment: when, with whom, for what."""
    return {
        "start": booking.starts_at.isoformat(),
        "resource": booking.resource.name,
        "service": booking.service.name if booking.service else "",
    }


def cancel_appointments(
    ticket: Ticket, *, actor, reason: str, booking_ids: Iterable[int] | None = None
) -> None:
    """Cancel the ticket's appointments not started and not over (or only ``booking_ids``)
    and note each on the timeline with the action's other events."""
    if booking_ids is not None and not booking_ids:
        return
    for booking in do_cancel_for_ticket(ticket.id, booking_ids):
        queue_event(
            ticket, "appointment_cancelled", actor=actor, reason=reason, **booking_detail(booking)
        )


def appointment_ids(data) -> set[int]:
    """Every ``appointment_id`` in process data (booking results sit under any name)."""
    found: set[int] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            value = item.get("appointment_id")
            if isinstance(value, int) and not isinstance(value, bool):
                found.add(value)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


def opened_at(ticket: Ticket, bpmn_id: str):
    """When the run of step ``bpmn_id`` a send back returns to was opened: the work
    since then is redone."""
    return (
        HumanTask.objects.filter(ticket=ticket, bpmn_id=bpmn_id, state=HumanTask.State.DONE)
        .order_by("-completed_at")
        .values_list("created_at", flat=True)
        .first()
    )
