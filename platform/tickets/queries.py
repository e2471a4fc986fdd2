"""Read paths of one ticket that stay flat as it ages: the timeline a page at a time."""

import base64
from dataclasses import dataclass

from tickets.models import Ticket, TicketEvent

EVENT_COLUMNS = ("id", "ticket_id", "kind", "at", "bpmn_id", "detail", "actor_id")
ACTOR_COLUMNS = ("actor__username", "actor__first_name", "actor__last_name")


class BadEventCursor(ValueError):
    pass


@dataclass
class EventPage:
    items: list[TicketEvent]
    next_cursor: str | None


def _encode(event_id: int) -> str:
    return base64.urlsafe_b64encode(f"e{event_id}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("e"):
            raise ValueError(cursor)
        return int(text[1:])
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise BadEventCursor("invalid cursor") from exc


def timeline_page(ticket: Ticket, cursor: str = "", limit: int = 50) -> EventPage:
    """Events after the cursor in the order written (ids grow with each insert): one
    query per page, reading only the event columns and the actor's names."""
    events = (
        TicketEvent.objects.filter(ticket=ticket)
        .select_related("actor")
        .only(*EVENT_COLUMNS, *ACTOR_COLUMNS)
        .order_by("id")
    )
    if cursor:
        events = events.filter(id__gt=_decode(cursor))
    rows = list(events[: limit + 1])
    for event in rows:
        event.ticket = ticket  # readers mask the event's data with the ticket's form rules
    more = len(rows) > limit
    rows = rows[:limit]
    return EventPage(rows, _encode(rows[-1].id) if more else None)
