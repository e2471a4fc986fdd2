"""Ticket search for integrators: filters over the tickets a user may see, keyset pages.

The cursor is opaque to clients: base64 of the (created_at, id) of the last row served.
Pages follow ``ORDER BY created_at DESC, id DESC``, so rows created while a client pages
through never shift the pages it has yet to read.
"""

import base64
import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import Q

from customers.identity import normalize_phone
from tickets.access import visible_tickets
from tickets.models import HumanTask

MAX_LIMIT = 100
_OPEN = (HumanTask.State.OPEN, HumanTask.State.CLAIMED)


class BadCursor(ValueError):
    pass


@dataclass
class TicketFilters:
    status: str | None = None
    process: str | None = None
    channel: str | None = None
    min_priority: int | None = None
    customer: int | None = None
    customer_phone: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    assignee: str | None = None  # username holding one of the ticket's open tasks
    q: str | None = None  # text in the title or the number


@dataclass
class Page:
    items: list
    next_cursor: str | None


def encode_cursor(created_at: dt.datetime, ticket_id: int) -> str:
    raw = json.dumps([created_at.isoformat(), ticket_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, ticket_id = json.loads(raw)
        return dt.datetime.fromisoformat(created), int(ticket_id)
    except (ValueError, TypeError) as exc:
        raise BadCursor("invalid cursor") from exc


def _filtered(user, f: TicketFilters):
    tickets = visible_tickets(user)
    exact = {
        "status": f.status,
        "process_version__key": f.process,
        "channel": f.channel,
        "customer_id": f.customer,
        "created_at__gte": f.created_after,
        "created_at__lt": f.created_before,
        "priority__gte": f.min_priority,
    }
    tickets = tickets.filter(**{k: v for k, v in exact.items() if v is not None})
    if f.customer_phone:
        tickets = tickets.filter(customer__phone=normalize_phone(f.customer_phone) or "-")
    if f.assignee:
        held = HumanTask.objects.filter(assignee__username=f.assignee, state__in=_OPEN)
        tickets = tickets.filter(id__in=held.values("ticket_id"))
    if f.q:
        tickets = tickets.filter(Q(title__icontains=f.q) | Q(number__icontains=f.q))
    return tickets


def search_tickets(user, filters: TicketFilters, *, limit: int = 50, cursor: str | None = None):
    """One page of the tickets `user` may see that match `filters`, newest first."""
    limit = max(1, min(limit, MAX_LIMIT))
    tickets = _filtered(user, filters)
    if cursor:
        created, last_id = decode_cursor(cursor)
        tickets = tickets.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
    rows = list(
        tickets.select_related("process_version", "customer").order_by("-created_at", "-id")[
            : limit + 1
        ]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(items=rows, next_cursor=next_cursor)
