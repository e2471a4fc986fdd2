"""Ticket search for integrators: filters over the tickets a user may see, keyset pages.

Pages follow ``ORDER BY created_at DESC, id DESC`` (the ``ticket_created_idx`` index), so
rows created while a client pages through never shift the pages it has yet to read. Rows
carry only the columns a summary shows: never workflow data, engine state or BPMN text.
Text (``q``) matches the title, the number or the customer's name; on PostgreSQL the
trigram indexes of migration 0100 serve these ``icontains`` lookups.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from customers.identity import normalize_phone
from customers.models import Customer
from tickets.access import visible_tickets
from tickets.models import HumanTask
from tickets.pages import BadCursor, Page, decode_cursor, keyset_page

__all__ = ["BadCursor", "MAX_LIMIT", "Page", "TicketFilters", "search_tickets"]

MAX_LIMIT = 100
_OPEN = (HumanTask.State.OPEN, HumanTask.State.CLAIMED)
SUMMARY_FIELDS = (
    "id",
    "number",
    "title",
    "status",
    "priority",
    "channel",
    "created_at",
    "closed_at",
    "incident",
    "process_version_id",
    "customer_id",
    "process_version__id",
    "process_version__key",
    "process_version__name",
    "customer__id",
    "customer__name",
    "customer__tier",
)


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
    q: str | None = None  # text in the title, the number or the customer's name


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
        phone = normalize_phone(f.customer_phone) or "-"
        tickets = tickets.filter(customer_id__in=Customer.objects.filter(phone=phone).values("id"))
    if f.assignee:
        held = HumanTask.objects.filter(
            ticket_id=OuterRef("pk"), assignee__username=f.assignee, state__in=_OPEN
        )
        tickets = tickets.filter(Exists(held))
    if f.q:
        named = Customer.objects.filter(name__icontains=f.q).values("id")
        tickets = tickets.filter(
            Q(title__icontains=f.q) | Q(number__icontains=f.q) | Q(customer_id__in=named)
        )
    return tickets


def search_tickets(user, filters: TicketFilters, *, limit: int = 50, cursor: str | None = None):
    """One page of the tickets `user` may see that match `filters`, newest first."""
    limit = max(1, min(limit, MAX_LIMIT))
    tickets = _filtered(user, filters)
    if cursor:
        created, last_id = decode_cursor(cursor, dt.datetime, int)
        tickets = tickets.filter(
            Q(created_at__lte=created), Q(created_at__lt=created) | Q(id__lt=last_id)
        )
    rows = (
        tickets.select_related("process_version", "customer")
        .only(*SUMMARY_FIELDS)
        .order_by("-created_at", "-id")[: limit + 1]
    )
    return keyset_page(rows, limit, lambda t: (t.created_at, t.id))
