"""Bulk rows for the benchmarks: copies of one real ticket, made by INSERT … SELECT.

A ticket started through the platform is the template; `clone_tickets` copies its row (and
any one-to-one rows hanging off it, such as a process-instance row holding engine state)
`count` times in one statement per table, with SQL expressions overriding columns.
Columns come from the models, so a column added later is copied as it is on the template.
PostgreSQL only (generate_series, nextval).
"""

import sys

from django.db import DatabaseError, connection

from tickets.models import HumanTask, Ticket


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def _select_list(model, alias: str, overrides: dict[str, str], skip: set[str]) -> tuple:
    columns = [c for c in _columns(model) if c not in skip]
    exprs = [overrides.get(c, f"{alias}.{connection.ops.quote_name(c)}") for c in columns]
    # The statements take parameters: a literal % in an expression is written %%.
    exprs = [e.replace("%", "%%") for e in exprs]
    return ", ".join(connection.ops.quote_name(c) for c in columns), ", ".join(exprs)


def clone_tickets(template: Ticket, count: int, overrides: dict[str, str]) -> tuple[int, int]:
    """`count` copies of `template`; in `overrides`, `s.id` is the new ticket's id and
    `s.g` runs 1..count. Returns the (lowest, highest) new id (ids are contiguous: the bench
    database has no other writer)."""
    table = Ticket._meta.db_table
    prefix = template.number.rsplit("-", 1)[0]
    number = f"'{prefix}-' || lpad(s.id::text, 6, '0')"
    defaults = {
        "id": "s.id",
        "number": number,
        "correlation_key": number,
        "tracking_token": "md5(random()::text || s.id::text)",
        "data": f"tpl.data || jsonb_build_object('ticket_number', {number})",
    }
    cols, exprs = _select_list(Ticket, "tpl", {**defaults, **overrides}, set())
    sql = f"""
        WITH made AS (
            INSERT INTO {table} ({cols})
            SELECT {exprs}
            FROM (SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id, g
                  FROM generate_series(1, %s) AS g) AS s
            CROSS JOIN {table} AS tpl
            WHERE tpl.id = %s
            RETURNING id
        )
        SELECT min(id), max(id), count(*) FROM made
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, template.id])
        low, high, made = cursor.fetchone()
    assert made == count and high - low + 1 == count, "bench tickets must get contiguous ids"
    _clone_one_to_one_rows(template, low, high)
    return low, high


def _clone_one_to_one_rows(template: Ticket, low: int, high: int) -> None:
    """Rows of other tables that belong to exactly one ticket (engine state, timers)."""
    for relation in Ticket._meta.related_objects:
        if not relation.one_to_one:
            continue
        model = relation.related_model
        fk = relation.field.column
        pk = model._meta.pk
        skip = set() if pk.column == fk else {pk.column}
        cols, exprs = _select_list(model, "tpl", {fk: "t.id"}, skip)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {model._meta.db_table} ({cols})
                    SELECT {exprs} FROM {model._meta.db_table} AS tpl
                    JOIN {Ticket._meta.db_table} AS t ON t.id BETWEEN %s AND %s
                    WHERE tpl.{fk} = %s""",
                [low, high, template.id],
            )


def clone_tasks(template: HumanTask, low: int, high: int, overrides: dict[str, str]) -> None:
    """One copy of the worklist row `template` for each ticket low..high (alias `t`)."""
    cols, exprs = _select_list(HumanTask, "tpl", {"ticket_id": "t.id", **overrides}, {"id"})
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {HumanTask._meta.db_table} ({cols})
                SELECT {exprs} FROM {HumanTask._meta.db_table} AS tpl
                JOIN {Ticket._meta.db_table} AS t ON t.id BETWEEN %s AND %s
                WHERE tpl.id = %s""",
            [low, high, template.id],
        )


def spread_candidate_groups(low: int, high: int, group_ids: list[int]) -> None:
    """Each task of tickets low..high gets one of the groups, drawn by a hash of its id."""
    through = HumanTask.candidate_groups.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {through} (humantask_id, group_id)
                SELECT h.id, (%s::bigint[])[1 + abs(hashtext('group' || h.id)) %% %s]
                FROM {HumanTask._meta.db_table} AS h WHERE h.ticket_id BETWEEN %s AND %s""",
            [group_ids, len(group_ids), low, high],
        )


def vacuum_analyze() -> None:
    """Statistics and the visibility map, as autovacuum leaves a table in service
    (index-only scans need the map); then a checkpoint, so that the bulk load's dirty pages
    (and any other database's on this server) are written before reads are timed, not
    while they are."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        try:
            cursor.execute("CHECKPOINT")
        except DatabaseError as exc:  # needs superuser or pg_checkpoint: the figures are noisier
            print(f"bench: no CHECKPOINT before timing ({exc})".strip(), file=sys.stderr)
