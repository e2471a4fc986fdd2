"""Parts held for a ticket (pricing reservations) go back to the shelf when the work they
were held for is undone: the ticket cancelled, or sent back to a step opened before they
were reserved. Held parts are booked as used when the settlement is confirmed (pricing)."""

from pricing.actions import do_release_reservations
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


def opened_at(ticket: Ticket, bpmn_id: str):
    """When the run of step ``bpmn_id`` a send back returns to was opened: the work
    since then is redone."""
    return (
        HumanTask.objects.filter(ticket=ticket, bpmn_id=bpmn_id, state=HumanTask.State.DONE)
        .order_by("-completed_at")
        .values_list("created_at", flat=True)
        .first()
    )
