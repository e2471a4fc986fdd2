"""The ticket's search text: what text search looks in, kept by the database itself.

`Ticket.search_text` holds the ticket's number, title and the string and number values
of its form data at any depth (never the keys, so that "name" does not match every ticket
with a `customer_name`), one per line, lower-cased by the database's own `lower()` (the
query lowers the words with the same function). A trigger writes it on every insert and
on every update of the number, title or data, whoever writes the row: the actions, a
bulk `UPDATE`, a fixture, the bench's `INSERT … SELECT`. On PostgreSQL a trigram GIN index
(migration 0011) serves `search_text LIKE '%words%'`, rechecking one short column instead
of recomputing the values of the data for every candidate row.

SQLite drops a table's triggers when a migration rebuilds the table, so they are
installed again after every `migrate` there (`IF NOT EXISTS`: nothing happens otherwise).
"""

DATA_VALUES_PATH = 'strict $.** ? (@.type() == "string" || @.type() == "number")'

POSTGRESQL = [
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
    """
    CREATE TRIGGER tickets_ticket_search_text
    BEFORE INSERT OR UPDATE OF number, title, data, search_text ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_ticket_search_text()
    """,
]

_SQLITE_TEXT = """lower(
    coalesce(NEW.number, '') || char(10) || coalesce(NEW.title, '') || char(10) || coalesce((
        SELECT group_concat(value, char(10)) FROM json_tree(NEW.data)
        WHERE type IN ('text', 'integer', 'real')
    ), ''))"""
# AFTER triggers writing the row again (SQLite has no NEW assignment); the inner UPDATE
# does not name the columns the update trigger watches, so it does not fire it again.
SQLITE = [
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
DROP = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS tickets_ticket_search_text ON tickets_ticket",
        "DROP FUNCTION IF EXISTS tickets_ticket_search_text()",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS tickets_ticket_search_text_insert",
        "DROP TRIGGER IF EXISTS tickets_ticket_search_text_update",
    ],
}


def _statements(vendor: str) -> list[str]:
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"ticket search text: no trigger for the {vendor} database")
    return statements


def install(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor):
            cursor.execute(sql)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for sql in DROP.get(connection.vendor, []):
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
    if any(column.name == "search_text" for column in columns):  # (not before 0011)
        install(connection)
