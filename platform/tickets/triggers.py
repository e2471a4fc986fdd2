"""Columns of the ticket the database keeps itself, by triggers, whoever writes the rows
(the actions, a bulk `UPDATE`, a fixture, the bench's `INSERT … SELECT`): what a stored
value would otherwise miss, it never misses.

**search_text** (migration 0011): `Ticket.search_text` holds the ticket's number, title and the string and number values
of its form data at any depth (never the keys, so that "name" does not match every ticket
with a `customer_name`), one per line, lower-cased by the database's own `lower()` (the
query lowers the words with the same function), written on every insert and on every
update of the number, title or data. On PostgreSQL a trigram GIN index serves
`search_text LIKE '%words%'`, rechecking one short column instead of recomputing the
values of the data for every candidate row.

**due_at** (migration 0013): the earliest due time of the ticket's open tasks (none: no
open task has one), for the ticket list's "due" and "priority" sorts and their indexes.
A task's insert, delete or change of due time, state or ticket writes its ticket's
`due_at` when it changes; any write of `due_at` to a ticket (an insert, a full `save()`
of a stale instance) is replaced by the value computed from the tasks.

SQLite drops a table's triggers when a migration rebuilds the table, so they are
installed again after every `migrate` there (`IF NOT EXISTS`: nothing happens otherwise).
"""

from django.core.exceptions import ImproperlyConfigured

DATA_VALUES_PATH = 'strict $.** ? (@.type() == "string" || @.type() == "number")'

SEARCH_TEXT_POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION tickets_ticket_search_text() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_text := lower(concat_ws(E'\\n', NEW.number, NEW.title, (
            SELECT string_agg(value #>> '{{}}', E'\\n')
            FROM jsonb_path_query(NEW.data, '{DATA_VALUES_PATH}') AS value
        )));
        RETURN NEW;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS tickets_ticket_search_text ON tickets_ticket",
    "DROP TRIGGER IF EXISTS tickets_ticket_search_text_update ON tickets_ticket",
    """
    CREATE TRIGGER tickets_ticket_search_text
    BEFORE INSERT ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_ticket_search_text()
    """,
    # Only when a value it is made of changed (or someone wrote it): a step's UPDATE
    # writes `data` whether or not the step changed it.
    """
    CREATE TRIGGER tickets_ticket_search_text_update
    BEFORE UPDATE OF number, title, data, search_text ON tickets_ticket
    FOR EACH ROW WHEN (
        OLD.number IS DISTINCT FROM NEW.number OR OLD.title IS DISTINCT FROM NEW.title
        OR OLD.data IS DISTINCT FROM NEW.data OR OLD.search_text IS DISTINCT FROM NEW.search_text
    ) EXECUTE FUNCTION tickets_ticket_search_text()
    """,
]

_SQLITE_TEXT = """lower(
    coalesce(NEW.number, '') || char(10) || coalesce(NEW.title, '') || char(10) || coalesce((
        SELECT group_concat(value, char(10)) FROM json_tree(NEW.data)
        WHERE type IN ('text', 'integer', 'real')
    ), ''))"""
# AFTER triggers writing the row again (SQLite has no NEW assignment); the inner UPDATE
# does not name the columns the update trigger watches, so it does not fire it again.
SEARCH_TEXT_SQLITE = [
    f"""
    CREATE TRIGGER IF NOT EXISTS tickets_ticket_search_text_insert
    AFTER INSERT ON tickets_ticket FOR EACH ROW BEGIN
        UPDATE tickets_ticket SET search_text = {_SQLITE_TEXT} WHERE id = NEW.id;
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS tickets_ticket_search_text_update
    AFTER UPDATE OF number, title, data ON tickets_ticket FOR EACH ROW BEGIN
        UPDATE tickets_ticket SET search_text = {_SQLITE_TEXT} WHERE id = NEW.id;
    END
    """,
]
_OPEN = "state IN ('open', 'claimed')"
_DROP_TASK_TRIGGERS = [  # one trigger before migration 0015, one per operation since
    f"DROP TRIGGER IF EXISTS tickets_humantask_due_at{suffix} ON tickets_humantask"
    for suffix in ("", "_insert", "_delete", "_update")
]
_EARLIEST_DUE = (
    "(SELECT min(due_at) FROM tickets_humantask WHERE ticket_id = {ticket} AND " + _OPEN + ")"
)
# PostgreSQL: the ticket's tasks found by the ticket alone (OFFSET 0 keeps the state test
# out of the scan) and min() of an expression, not of the column. Otherwise the planner
# may answer it from an index of every open task (the due-time index, or an open-task
# partial index in a BitmapAnd), which a bulk insert into a table never analysed turns
# into a walk of that whole index per inserted task: 60,000 tasks took 47 s instead of 6.
_EARLIEST_DUE_PG = (
    "(SELECT min(t.due_at + interval '0 s') FROM (SELECT due_at, state FROM tickets_humantask "
    "WHERE ticket_id = {ticket} OFFSET 0) AS t WHERE t." + _OPEN + ")"
)
DUE_AT_POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION tickets_ticket_due_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.due_at := {_EARLIEST_DUE_PG.format(ticket="NEW.id")};
        RETURN NEW;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS tickets_ticket_due_at ON tickets_ticket",
    """
    CREATE TRIGGER tickets_ticket_due_at BEFORE INSERT OR UPDATE OF due_at ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_ticket_due_at()
    """,
    f"""
    CREATE OR REPLACE FUNCTION tickets_humantask_due_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        ticket bigint;
    BEGIN
        FOR ticket IN
            SELECT DISTINCT x FROM unnest(ARRAY[
                CASE WHEN TG_OP <> 'DELETE' THEN NEW.ticket_id END,
                CASE WHEN TG_OP <> 'INSERT' THEN OLD.ticket_id END
            ]) AS x WHERE x IS NOT NULL
        LOOP
            UPDATE tickets_ticket SET due_at = NULL  -- (the ticket's trigger computes it)
            WHERE id = ticket AND due_at IS DISTINCT FROM {_EARLIEST_DUE_PG.format(ticket="ticket")};
        END LOOP;
        RETURN NULL;
    END
    $$
    """,
    *_DROP_TASK_TRIGGERS,
    # A task without a due time, or not open, counts for nothing: only a task that does
    # (before or after the write) can change its ticket's due time.
    f"""
    CREATE TRIGGER tickets_humantask_due_at_insert AFTER INSERT ON tickets_humantask
    FOR EACH ROW WHEN (NEW.due_at IS NOT NULL AND NEW.{_OPEN})
    EXECUTE FUNCTION tickets_humantask_due_at()
    """,
    f"""
    CREATE TRIGGER tickets_humantask_due_at_delete AFTER DELETE ON tickets_humantask
    FOR EACH ROW WHEN (OLD.due_at IS NOT NULL AND OLD.{_OPEN})
    EXECUTE FUNCTION tickets_humantask_due_at()
    """,
    f"""
    CREATE TRIGGER tickets_humantask_due_at_update
    AFTER UPDATE OF due_at, state, ticket_id ON tickets_humantask
    FOR EACH ROW WHEN (
        ((OLD.due_at IS NOT NULL AND OLD.{_OPEN}) OR (NEW.due_at IS NOT NULL AND NEW.{_OPEN}))
        AND (OLD.due_at, OLD.state, OLD.ticket_id) IS DISTINCT FROM
            (NEW.due_at, NEW.state, NEW.ticket_id)
    ) EXECUTE FUNCTION tickets_humantask_due_at()
    """,
]


def _set_due(ticket: str) -> str:
    due = _EARLIEST_DUE.format(ticket=ticket)
    return f"UPDATE tickets_ticket SET due_at = {due} WHERE id = {ticket} AND due_at IS NOT {due};"


DUE_AT_SQLITE = [
    f"""
    CREATE TRIGGER IF NOT EXISTS tickets_ticket_due_at
    AFTER UPDATE OF due_at ON tickets_ticket FOR EACH ROW BEGIN {_set_due("NEW.id")} END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS tickets_ticket_due_at_insert
    AFTER INSERT ON tickets_ticket FOR EACH ROW WHEN NEW.due_at IS NOT NULL BEGIN
        {_set_due("NEW.id")}
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS tickets_humantask_due_at_insert
    AFTER INSERT ON tickets_humantask FOR EACH ROW BEGIN {_set_due("NEW.ticket_id")} END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS tickets_humantask_due_at_update
    AFTER UPDATE OF due_at, state, ticket_id ON tickets_humantask FOR EACH ROW BEGIN
        {_set_due("NEW.ticket_id")} {_set_due("OLD.ticket_id")}
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS tickets_humantask_due_at_delete
    AFTER DELETE ON tickets_humantask FOR EACH ROW BEGIN {_set_due("OLD.ticket_id")} END
    """,
]
FEATURES = {
    "search_text": {"postgresql": SEARCH_TEXT_POSTGRESQL, "sqlite": SEARCH_TEXT_SQLITE},
    "due_at": {"postgresql": DUE_AT_POSTGRESQL, "sqlite": DUE_AT_SQLITE},
}
DROP = {
    "search_text": {
        "postgresql": [
            "DROP TRIGGER IF EXISTS tickets_ticket_search_text ON tickets_ticket",
            "DROP TRIGGER IF EXISTS tickets_ticket_search_text_update ON tickets_ticket",
            "DROP FUNCTION IF EXISTS tickets_ticket_search_text()",
        ],
        "sqlite": [
            "DROP TRIGGER IF EXISTS tickets_ticket_search_text_insert",
            "DROP TRIGGER IF EXISTS tickets_ticket_search_text_update",
        ],
    },
    "due_at": {
        "postgresql": [
            *_DROP_TASK_TRIGGERS,
            "DROP FUNCTION IF EXISTS tickets_humantask_due_at()",
            "DROP TRIGGER IF EXISTS tickets_ticket_due_at ON tickets_ticket",
            "DROP FUNCTION IF EXISTS tickets_ticket_due_at()",
        ],
        "sqlite": [
            "DROP TRIGGER IF EXISTS tickets_ticket_due_at",
            "DROP TRIGGER IF EXISTS tickets_ticket_due_at_insert",
            "DROP TRIGGER IF EXISTS tickets_humantask_due_at_insert",
            "DROP TRIGGER IF EXISTS tickets_humantask_due_at_update",
            "DROP TRIGGER IF EXISTS tickets_humantask_due_at_delete",
        ],
    },
}


def install(connection, feature: str) -> None:
    statements = FEATURES[feature].get(connection.vendor)
    if statements is None:
        raise ImproperlyConfigured(
            f"ticket {feature}: flowdesk runs on PostgreSQL or SQLite, not {connection.vendor}"
        )
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def uninstall(connection, feature: str) -> None:
    with connection.cursor() as cursor:
        for sql in DROP[feature].get(connection.vendor, []):
            cursor.execute(sql)


def reinstall_after_migrate(using: str = "default", **kwargs) -> None:
    """post_migrate on SQLite: a rebuilt tickets table has lost its triggers."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        if "tickets_ticket" not in connection.introspection.table_names(cursor):
            return
        columns = connection.introspection.get_table_description(cursor, "tickets_ticket")
    names = {column.name for column in columns}
    for feature in FEATURES:  # each once its column exists (not before its migration)
        if feature in names:
            install(connection, feature)
