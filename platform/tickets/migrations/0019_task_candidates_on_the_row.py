"""Each task's candidates on its own row (PostgreSQL): `candidate_group_ids` and
`candidate_user_ids`, integer arrays the open-task covering indexes carry, so that "is
this task in my queue" is read from the index entry a worklist walk is on, not probed in
the through tables once per task (at 100,000 open tasks the group queue, its tab counts
and the filtered pages spent most of their time in those probes, and the planner, unable
to estimate them, chose poor plans).

The through tables stay the truth: triggers on them (insert, update, delete; one statement
at a time, through its transition table) recompute the array of every task the statement
touched, and write a row only when its array changes. The engine's step inserts a new
task with its arrays already filled in (tickets.prepared), so the triggers find nothing
to change and the task row is written once. The ORM does not know the columns: no model
save can write a stale copy. SQLite keeps the through-table lookups.
"""

from django.db import migrations

OPEN = "state IN ('open', 'claimed')"
TASKS = "tickets_humantask"
# column on the task -> (through table, its column of the other side)
MIRRORS = {
    "candidate_group_ids": ("tickets_humantask_candidate_groups", "group_id"),
    "candidate_user_ids": ("tickets_humantask_candidate_users", "user_id"),
}
COVER = {  # migration 0012's covering indexes, with the arrays
    "humantask_open_order_cover_idx": (
        f"{TASKS} (priority DESC, due_at, id) INCLUDE (assignee_id, ticket_id, "
        f"candidate_group_ids, candidate_user_ids) WHERE {OPEN}",
        f"{TASKS} (priority DESC, due_at, id) INCLUDE (assignee_id, ticket_id) WHERE {OPEN}",
    ),
    "humantask_open_due_cover_idx": (
        f"{TASKS} (due_at, id) INCLUDE (assignee_id, ticket_id, candidate_group_ids, "
        f"candidate_user_ids) WHERE {OPEN}",
        f"{TASKS} (due_at, id) INCLUDE (assignee_id, ticket_id) WHERE {OPEN}",
    ),
}
TOUCHED = {  # the tasks a statement on the through table touched, by its event
    "sync": "affected",
    "moved": "(SELECT humantask_id FROM affected UNION SELECT humantask_id FROM moved_from) m",
}
EVENTS = {
    "insert": ("INSERT", "NEW TABLE AS affected", "sync"),
    "delete": ("DELETE", "OLD TABLE AS affected", "sync"),
    "update": ("UPDATE", "OLD TABLE AS moved_from NEW TABLE AS affected", "moved"),
}


def _recompute(column: str, through: str, other: str, touched: str) -> str:
    return f"""
    UPDATE {TASKS} h SET {column} = s.ids
    FROM (
        SELECT a.humantask_id AS id, COALESCE(
            (SELECT array_agg(DISTINCT c.{other} ORDER BY c.{other})::integer[]
             FROM {through} c WHERE c.humantask_id = a.humantask_id),
            '{{}}') AS ids
        FROM (SELECT humantask_id FROM {touched}) a GROUP BY a.humantask_id
    ) s
    WHERE h.id = s.id AND h.{column} IS DISTINCT FROM s.ids;
    """


def _function(column: str, kind: str) -> str:
    return f"tickets_humantask_{column}_{kind}"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    for column, (through, other) in MIRRORS.items():
        run(f"ALTER TABLE {TASKS} ADD COLUMN {column} integer[] NOT NULL DEFAULT '{{}}'")
        run(
            f"UPDATE {TASKS} h SET {column} = s.ids FROM ("
            f"SELECT humantask_id, array_agg(DISTINCT {other} ORDER BY {other})::integer[] "
            f"AS ids FROM {through} GROUP BY humantask_id) s WHERE h.id = s.humantask_id"
        )
        for kind, touched in TOUCHED.items():
            run(
                f"CREATE FUNCTION {_function(column, kind)}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN "
                f"{_recompute(column, through, other, touched)} RETURN NULL; END $$"
            )
        for event, (verb, tables, kind) in EVENTS.items():
            run(
                f"CREATE TRIGGER {column}_{event} AFTER {verb} ON {through} "
                f"REFERENCING {tables} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {_function(column, kind)}()"
            )
    for name, (target, _old) in COVER.items():
        run(f"DROP INDEX IF EXISTS {name}")
        run(f"CREATE INDEX {name} ON {target}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    for name, (_new, target) in COVER.items():
        run(f"DROP INDEX IF EXISTS {name}")
        run(f"CREATE INDEX {name} ON {target}")
    for column, (through, _other) in MIRRORS.items():
        for event in EVENTS:
            run(f"DROP TRIGGER IF EXISTS {column}_{event} ON {through}")
        for kind in TOUCHED:
            run(f"DROP FUNCTION IF EXISTS {_function(column, kind)}()")
        run(f"ALTER TABLE {TASKS} DROP COLUMN {column}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0018_tasks_of_ticket_function")]

    operations = [migrations.RunPython(create, drop)]
