"""Indexes for worklists that filter, sort and search: the values of a ticket's form data
under a trigram index (``UPPER(<values>::text) LIKE UPPER('%q%')``, the SQL Django writes
for ``icontains`` on ``tickets.search.DataText``, which spells the same expression), and
the most recently updated tickets first (the worklist's "updated" sort).
"""

from django.db import migrations

DATA_VALUES = (
    "jsonb_path_query_array(data, "
    '\'strict $.** ? (@.type() == "string" || @.type() == "number")\')::text'
)
INDEXES = {
    "ticket_updated_idx": "tickets_ticket (updated_at DESC, id DESC)",
}
TRIGRAM_INDEXES = {
    "ticket_data_trgm_idx": f"tickets_ticket USING gin (UPPER({DATA_VALUES}) gin_trgm_ops)",
}


def _indexes(connection) -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {**INDEXES, **TRIGRAM_INDEXES}
    return INDEXES


def create_indexes(apps, schema_editor):
    for name, target in _indexes(schema_editor.connection).items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop_indexes(apps, schema_editor):
    for name in _indexes(schema_editor.connection):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0009_requester_language_portal_link_phone")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
