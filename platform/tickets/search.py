"""Ticket search for integrators: filters over the tickets a user may see, keyset pages.

Pages follow one of ``SORTS`` (newest first: ``ORDER BY created_at DESC, id DESC``, the
``ticket_created_idx`` index; recently updated, due time, priority then due time: each
with its index), by keyset, so rows added while a client pages through never shift the
pages it has yet to read. Rows
carry only the columns a summary shows: never workflow data, engine state or BPMN text.
Text (``q``) matches the title, the number, the customer's name or a value of the
ticket's form data (its custom fields): the ticket's stored ``search_text``
(tickets.triggers), under a trigram index on PostgreSQL (migration 0011), and the
customer's name (its own trigram index). SQLite walks the rows.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Lower

from customers.identity import normalize_phone
from customers.models import Customer
from tickets.access import is_supervisor, visible_among, visible_tickets
from tickets.models import HumanTask, Ticket
from tickets.pages import BadCursor, Page, Sort, decode_cursor, keyset_page

__all__ = ["BadCursor", "MAX_LIMIT", "Page", "SORTS", "TicketFilters", "search_tickets"]

MAX_LIMIT = 100
MAX_NAMED_CUSTOMERS = 500  # text matching more customers than that finds the first 500
# Matching ids checked for visibility at a time: CHUNK first, then as many as the share
# the user saw suggests (at most MAX_CHUNK), MAX_CHUNKS times before the database decides.
CHUNK, MAX_CHUNK, MAX_CHUNKS = 500, 8000, 4
_OPEN = (HumanTask.State.OPEN, HumanTask.State.CLAIMED)
SUMMARY_FIELDS = (
    "id",
    "number",
    "title",
    "status",
    "priority",
    "channel",
    "created_at",
    "updated_at",
    "due_at",
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
    q: str | None = None  # text in the title, number, customer's name or form data
    sort: str = "created"  # one of SORTS


# The worklist's orders, for tickets: each follows an index (migrations 0005, 0010, 0013);
# a ticket's due time is the earliest of its open tasks' (none: last).
SORTS = {
    "created": Sort((("created_at", True, False), ("id", True, False)), (dt.datetime, int)),
    "updated": Sort((("updated_at", True, False), ("id", True, False)), (dt.datetime, int)),
    "due": Sort((("due_at", False, True), ("id", False, False)), (dt.datetime, int)),
    "priority": Sort(
        (("priority", True, False), ("due_at", False, True), ("id", False, False)),
        (int, dt.datetime, int),
    ),
}


def text_matches(text: str, ticket: str = "") -> Q:
    """Tickets whose number, title, form values (their `search_text`) or customer's name
    contain `text`, any case; `ticket` is the path to the ticket ("ticket__" from a task).
    The customers are looked up first, as a list: a subquery here would leave PostgreSQL
    guessing that half the tickets match and walking them all when none does."""
    named = list(
        Customer.objects.filter(name__icontains=text).values_list("id", flat=True)[
            :MAX_NAMED_CUSTOMERS
        ]
    )
    # Lowered by the database's lower(), as the stored text is (tickets.triggers).
    found = Q(**{f"{ticket}search_text__contains": Lower(Value(text))})
    return found | Q(**{f"{ticket}customer_id__in": named}) if named else found


def shown_matches(reader, tickets: list, text: str) -> list:
    """Those of `tickets` (found by `text`) in which `text` shows to `reader`: a ticket
    found only through a value hidden or masked for them is no match for them. Their data
    comes in one query and primes the reader's views of them."""
    data = dict(Ticket.objects.filter(id__in=[t.id for t in tickets]).values_list("id", "data"))
    for ticket in tickets:
        ticket.data = data.get(ticket.id) or {}
    return [t for t in tickets if _shows(reader.view(t), t, text)]


def _shows(view, ticket, text: str) -> bool:
    needle = text.casefold()
    customer = getattr(ticket, "customer", None) if ticket.customer_id else None
    shown = [ticket.number or "", view.text(ticket.title), customer.name if customer else ""]
    if any(needle in value.casefold() for value in shown):
        return True
    return needle in str(list(_leaves(view.data(ticket.data)))).casefold()


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def _matches(f: TicketFilters):
    """The tickets matching the filters, whoever asks."""
    exact = {
        "status": f.status,
        "process_version__key": f.process,
        "channel": f.channel,
        "customer_id": f.customer,
        "created_at__gte": f.created_after,
        "created_at__lt": f.created_before,
        "priority__gte": f.min_priority,
    }
    tickets = Ticket.objects.filter(**{k: v for k, v in exact.items() if v is not None})
    if f.customer_phone:
        phone = normalize_phone(f.customer_phone) or "-"
        tickets = tickets.filter(customer_id__in=Customer.objects.filter(phone=phone).values("id"))
    if f.assignee:
        held = HumanTask.objects.filter(
            ticket_id=OuterRef("pk"), assignee__username=f.assignee, state__in=_OPEN
        )
        tickets = tickets.filter(Exists(held))
    if f.q:
        tickets = tickets.filter(text_matches(f.q))
    return tickets


def _visible_ids(user, matches, sort: Sort, want: int) -> list[int]:
    """The first `want` ids, in `sort` order, of `matches` that `user` (no supervisor) may see.

    Planned as one query, PostgreSQL collects everything the user may see before ordering
    (the whole history of their groups) or, guessing otherwise, walks every match probing
    visibility. Instead: chunks of matching ids in the sort's order (an index range, or the
    trigram hits), each checked by `visible_among`, sized by the share seen so far; when
    the user sees few of the matches, the last step lets the database collect them.
    """
    ordered = matches.order_by(*sort.order())
    names = [name for name, _descending, _nullable in sort.columns]
    group_ids = list(user.groups.values_list("id", flat=True))
    found: list[int] = []
    size, scanned = CHUNK, 0
    for _ in range(MAX_CHUNKS):
        chunk = list(ordered.values_list(*names)[:size])  # (the last column is the id)
        ids = [key[-1] for key in chunk]
        seen = visible_among(user, ids, group_ids)
        found += [ticket_id for ticket_id in ids if ticket_id in seen]
        if len(found) >= want or len(chunk) < size:
            return found[:want]
        ordered = ordered.filter(sort.after(chunk[-1]))
        scanned += len(chunk)
        # The next chunk: what the share seen so far says is missing, with a margin.
        missing = (want - len(found)) * scanned / len(found) if found else size * 4
        size = max(1, CHUNK // 5, min(MAX_CHUNK, math.ceil(missing * 1.5)))
    rest = ordered.filter(id__in=visible_tickets(user).values("id"))
    return found + list(rest.values_list("id", flat=True)[: want - len(found)])


def search_tickets(user, filters: TicketFilters, *, limit: int = 50, cursor: str | None = None):
    """One page of the tickets `user` may see that match `filters`, in the filters' sort
    (newest first unless told); raises BadCursor (a cursor of another sort is one too)."""
    limit = max(1, min(limit, MAX_LIMIT))
    if filters.sort not in SORTS:
        raise ValueError(f"unknown sort {filters.sort!r} ({', '.join(SORTS)})")
    sort = SORTS[filters.sort]
    tickets = _matches(filters)
    if cursor:
        tickets = tickets.filter(sort.after(decode_cursor(cursor, *sort.kinds)))
    if not is_supervisor(user):
        tickets = Ticket.objects.filter(id__in=_visible_ids(user, tickets, sort, limit + 1))
    rows = (
        tickets.select_related("process_version", "customer")
        .only(*SUMMARY_FIELDS)
        .order_by(*sort.order())[: limit + 1]
    )
    return keyset_page(rows, limit, sort.key)
