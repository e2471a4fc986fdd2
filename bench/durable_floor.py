"""The least a repair ticket's persistence can cost on this database, whatever the host
does: its seven actions (a start and six completions) as seven transactions, each the row
lock of the ticket and its engine state, one statement writing the state, the ticket and
four timeline events, and a durable commit; the statements prepared on the server, as
the platform's are. No engine runs and nothing is decided; `engine.floor_ms` beside
`engine.raw_ms` tells how much of `engine.ratio` the database alone takes
(`floor_ratio` = (raw + floor) / raw: no design that commits every step can go below it).
PostgreSQL only (the write is one statement with data-modifying WITH clauses).
"""

import json

from django.db import connection, transaction

from tickets.models import ProcessInstance, Ticket, TicketEvent
from tickets.prepared import execute

ACTIONS = 7
EVENTS_PER_ACTION = 4


def _statements() -> tuple[str, str]:
    quote = connection.ops.quote_name
    ticket = quote(Ticket._meta.db_table)
    instance = quote(ProcessInstance._meta.db_table)
    event = quote(TicketEvent._meta.db_table)
    lock = (
        f"SELECT t.id, t.lock_version, i.state FROM {ticket} t JOIN {instance} i "
        "ON i.ticket_id = t.id WHERE t.id = %s FOR NO KEY UPDATE OF t, i"
    )
    write = (
        f"WITH s AS (UPDATE {instance} SET state = %s WHERE ticket_id = %s RETURNING 1), "
        f"u AS (UPDATE {ticket} SET data = %s::jsonb, lock_version = lock_version + 1, "
        "updated_at = now() WHERE id = %s RETURNING 1), "
        f"e AS (INSERT INTO {event} (kind, bpmn_id, detail, at, ticket_id) "
        f"SELECT 'floor', '', '{{}}'::jsonb, now(), %s FROM generate_series(1, {EVENTS_PER_ACTION}) "
        "RETURNING 1) "
        "SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM u), (SELECT count(*) FROM e)"
    )
    return lock, write


def runner(ticket: Ticket):
    """One ticket's worth of durable steps on `ticket` (a finished repair ticket: its real
    engine state and data are what each step writes)."""
    lock, write = _statements()
    state, data = ticket.instance.state, json.dumps(ticket.data, default=str)

    def run_one():
        for _ in range(ACTIONS):
            with transaction.atomic(), connection.cursor() as cursor:
                execute(cursor, lock, [ticket.id])
                cursor.fetchall()
                execute(cursor, write, [state, ticket.id, data, ticket.id, ticket.id])
                assert cursor.fetchone() == (1, 1, EVENTS_PER_ACTION)

    return run_one
