"""Indexes for the read side (worklists, search, newest-first pages).

Plain SQL, outside the models' state: partial and expression indexes on an auto-created
M2M table and the trigram indexes exist only here. The open-task indexes follow the
worklist order (priority desc, due_at asc nulls last, id); the trigram indexes serve
``UPPER(col) LIKE UPPER('%q%')``, the SQL of Django's ``icontains`` on PostgreSQL.
"""

from django.db import migrations

OPEN = "state IN ('open', 'claimed')"

INDEXES = {
    # "mine": my open tasks in worklist order.
    "humantask_open_assignee_idx": (
        f"tickets_humantask (assignee_id, priority DESC, due_at, id) WHERE {OPEN}"
    ),
    # "group", "all", "overdue": open tasks in worklist order, candidates checked by EXISTS.
    "humantask_open_order_idx": f"tickets_humantask (priority DESC, due_at, id) WHERE {OPEN}",
    # "overdue", "due_soon": the few open tasks past or near their due time.
    "humantask_open_due_idx": f"tickets_humantask (due_at) WHERE {OPEN}",
    # EXISTS (… candidate group of the task is one of mine): probe by (group, task).
    "humantask_groups_group_task_idx": "tickets_humantask_candidate_groups (group_id, humantask_id)",
    # Newest-first ticket pages (search, ticket list) and their keyset cursor.
    "ticket_created_idx": "tickets_ticket (created_at DESC, id DESC)",
}
TRIGRAM_INDEXES = {
    "ticket_title_trgm_idx": "tickets_ticket USING gin (UPPER(title::text) gin_trgm_ops)",
    "ticket_number_trgm_idx": "tickets_ticket USING gin (UPPER(number::text) gin_trgm_ops)",
    "customer_name_trgm_idx": "customers_customer USING gin (UPPER(name::text) gin_trgm_ops)",
}


def _indexes(connection) -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {**INDEXES, **TRIGRAM_INDEXES}
    return INDEXES


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in _indexes(schema_editor.connection).items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop_indexes(apps, schema_editor):
    for name in _indexes(schema_editor.connection):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0004_process_instance_apart"),
        ("customers", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
