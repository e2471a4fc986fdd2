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
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from customers.identity import normalize_phone
from customers.models import Customer
from tickets.access import is_supervisor, sees_ticket_sql, visible_tickets
from tickets.models import HumanTask, Ticket
from tickets.pages import BadCursor, Page, Sort, decode_cursor, keyset_page

__all__ = ["BadCursor", "MAX_LIMIT", "Page", "SORTS", "TicketFilters", "search_tickets"]

MAX_LIMIT = 100
MAX_NAMED_CUSTOMERS = 500  # text matching more customers than that finds the first 500
# Matches walked for the rows a user may see: the first window, then a wider one, before
# the database decides (a user who sees few of the matches).
WINDOWS = (2000, 10000)
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
    "process_version__content_hash",  # (the readers' field access is cached under it)
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


def _visible_rows(user, matches, sort: Sort, want: int) -> list[Ticket]:
    """The first `want` rows, in `sort` order, of `matches` that `user` (no supervisor)
    may see.

    Planned as one query, PostgreSQL collects everything the user may see before ordering
    (the whole history of their groups) or, guessing otherwise, walks every match probing
    visibility. Instead: windows of matches in the sort's order (an index range, or the
    trigram hits), each walked until enough of its rows pass `sees_ticket`, in one
    statement with the rows' summaries; past the last window the database decides.
    """
    rows: list[Ticket] = []
    for size in WINDOWS:
        seen = Ticket.objects.filter(id__in=_seen_in(user, matches, sort, size, want - len(rows)))
        rows += _summaries(seen, sort, want - len(rows))
        if len(rows) >= want:
            return rows
        ordered = matches.order_by(*sort.order()).values_list(*_names(sort))
        last = list(ordered[size - 1 : size])  # the window's last match, if it was full
        if not last:
            return rows
        matches = matches.filter(sort.after(last[0]))
    rest = matches.filter(id__in=visible_tickets(user).values("id"))
    return rows + _summaries(rest, sort, want - len(rows))


def _seen_in(user, matches, sort: Sort, size: int, want: int) -> RawSQL:
    """The ids of the first `want` rows the user may see among the first `size` matches,
    each checked as it is read, in order, until the `want`th: numbered by row_number()
    over the window (a subquery in FROM, which the ORM does not write), which PostgreSQL
    stops reading at the bound. (A LIMIT would let the planner, guessing half the window
    visible, walk an index for the first matches where a rare filter is better served by
    collecting its trigram hits: 30 ms instead of 10 at 100,000 tickets.)"""
    seen, seen_params = sees_ticket_sql(user, connection)
    window = matches.order_by(*sort.order()).annotate(
        seen=RawSQL(seen, seen_params, output_field=BooleanField())
    )
    sql, params = window.values(*_names(sort), "seen")[:size].query.sql_with_params()
    quote = connection.ops.quote_name
    order = ", ".join(
        f"c.{quote(name)} {'DESC' if descending else 'ASC'}{' NULLS LAST' if nullable else ''}"
        for name, descending, nullable in sort.columns
    )
    numbered = (
        f"SELECT c.{quote('id')} AS id, row_number() OVER (ORDER BY {order}) AS n "
        f"FROM ({sql}) c WHERE c.{quote('seen')}"
    )
    return RawSQL(f"SELECT s.id FROM ({numbered}) s WHERE s.n <= %s", (*params, want))


def _names(sort: Sort) -> list[str]:
    return [name for name, _descending, _nullable in sort.columns]


def _summaries(tickets, sort: Sort, limit: int) -> list[Ticket]:
    rows = tickets.select_related("process_version", "customer").only(*SUMMARY_FIELDS)
    return list(rows.order_by(*sort.order())[:limit])


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
    if is_supervisor(user):
        rows = _summaries(tickets, sort, limit + 1)
    else:
        rows = _visible_rows(user, tickets, sort, limit + 1)
    return keyset_page(rows, limit, sort.key)
