"""Covering indexes for the open-task walks (PostgreSQL): a worklist page is found from
the index alone (whose the task is, its ticket), so a task outside the reader's queue or
filters costs an index entry, not a row read. They replace the two open-task indexes of
migration 0005 in the worklist order (priority desc, due, id) and the due order (due, id)
that the "due" sort, "overdue" and "due soon" use. SQLite keeps those two.
"""

from django.db import migrations

OPEN = "state IN ('open', 'claimed')"
COVER = {
    "humantask_open_order_cover_idx": (
        f"tickets_humantask (priority DESC, due_at, id) INCLUDE (assignee_id, ticket_id) "
        f"WHERE {OPEN}"
    ),
    "humantask_open_due_cover_idx": (
        f"tickets_humantask (due_at, id) INCLUDE (assignee_id, ticket_id) WHERE {OPEN}"
    ),
}
REPLACED = {
    "humantask_open_order_idx": f"tickets_humantask (priority DESC, due_at, id) WHERE {OPEN}",
    "humantask_open_due_idx": f"tickets_humantask (due_at) WHERE {OPEN}",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, target in COVER.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
    for name in REPLACED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, target in REPLACED.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
    for name in COVER:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_ticket_search_text")]

    operations = [migrations.RunPython(create, drop)]
