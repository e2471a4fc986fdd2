"""A row locked and the rows that hang off it read after the lock, in one statement.

A completion locks its ticket and then reads the ticket's open tasks: two round trips. Read
in the locking statement itself, the tasks would come from the snapshot taken when the
statement began, before it waited for the lock: a step that held the lock and committed
meanwhile (a new task, a completed one) would be missed, and its task created twice. So
the tasks are read by a VOLATILE function (`tickets_humantask_of`), to whose queries
PostgreSQL gives a fresh snapshot each, in a LATERAL join on the locked row. The
locking select is a WITH query of its own, so the executor calls the function only for a
row it has locked: the function sees what a separate SELECT after the lock would see.

PostgreSQL only; `LockedWithRows.fetch` is not called on other databases (see
tickets.engine.locked_ticket_of_task_with_open_rows).
"""

from collections.abc import Callable

from django.db import connections

from tickets.prepared import BIGINT_MAX, BIGINT_MIN, SENTINEL, RowShape, execute

TASKS_OF_TICKET = "tickets_humantask_of"
# PL/pgSQL rather than SQL: it plans its query once per session, not on every call.
CREATE_FUNCTION = f"""
    CREATE OR REPLACE FUNCTION {TASKS_OF_TICKET}(ticket bigint) RETURNS SETOF tickets_humantask
    LANGUAGE plpgsql VOLATILE ROWS 10 AS $$
    BEGIN
        RETURN QUERY SELECT * FROM tickets_humantask WHERE ticket_id = ticket;
    END
    $$
"""
DROP_FUNCTION = f"DROP FUNCTION IF EXISTS {TASKS_OF_TICKET}(bigint)"


class LockedWithRows:
    def __init__(
        self, lock: Callable[[int], object], rows: Callable[[], object], rows_of: str
    ) -> None:
        """`lock(value)`: the locking queryset for one value (its first column the locked
        row's key); `rows()`: the queryset of the other rows, unfiltered by the locked row;
        `rows_of`: the volatile function that returns the locked row's rows of that table,
        by its key (it stands for the table in the rows' statement)."""
        self._lock, self._rows, self._rows_of = lock, rows, rows_of
        self._compiled: dict[str, tuple] = {}

    def _compile(self, alias: str) -> tuple:
        lock = self._lock(SENTINEL).query.get_compiler(using=alias)
        lock_sql, lock_params = lock.as_sql()
        slots = [i for i, value in enumerate(lock_params) if value == SENTINEL]
        if len(slots) != 1:
            raise ValueError("a locked select takes exactly one varying value")
        locked = RowShape(lock, alias)
        if locked.first != 0 or locked.names[0] != locked.model._meta.pk.attname:
            raise ValueError("a locked select begins with the locked row's key")
        rows = self._rows().query.get_compiler(using=alias)
        rows_sql, rows_params = rows.as_sql()
        table = connections[alias].ops.quote_name(rows.query.model._meta.db_table)
        source = f"FROM {table} "
        if rows_sql.count(source) != 1:
            raise ValueError(f"the rows' select must read {table} once")
        rows_sql = rows_sql.replace(source, f"FROM {self._rows_of}(locked.locked_key) AS {table} ")
        # The locked row first, then the other rows in their select's order (the join runs
        # the subquery once, for the one locked row), each padded with NULLs to the width
        # of both: the locked row (engine state and all) is sent once, however many rows.
        width = lock.col_count
        sql = (
            f"WITH locked(locked_key) AS MATERIALIZED ({lock_sql}) "
            f"SELECT locked.*{', NULL' * rows.col_count} FROM locked "
            f"UNION ALL SELECT {'NULL, ' * width}other_rows.* FROM locked "
            f"CROSS JOIN LATERAL ({rows_sql}) AS other_rows"
        )
        params = (*lock_params, *rows_params)
        return locked, RowShape(rows, alias), width, sql, params, slots[0]

    def fetch(self, value: int, using: str = "default") -> tuple[list, list]:
        """The locked row (a list of none or one object) and its other rows."""
        value = int(value)
        if not BIGINT_MIN <= value <= BIGINT_MAX:  # as the ORM: no such id, no rows
            return [], []
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        locked, shape, width, sql, template, slot = compiled
        params = (*template[:slot], value, *template[slot + 1 :])
        connection = connections[using]
        with connection.cursor() as cursor:
            execute(cursor, sql, params)
            results = cursor.fetchall()
        if not results:
            return [], []
        # The locked row is the one with its key (the other rows' key column is NULL).
        mine = [row[:width] for row in results if row[0] is not None]
        rows = [row[width:] for row in results if row[0] is None]
        return locked.objects(mine, connection), shape.objects(rows, connection)
