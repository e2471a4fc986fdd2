"""The ticket's search text (tickets.triggers): the column, the trigger that keeps
it, its value for the tickets already there, and on PostgreSQL its trigram index, which
replaces the three trigram indexes text search used before (title, number, data values).
"""

from django.db import migrations, models

from tickets import triggers

OLD_TRIGRAM_INDEXES = {
    "ticket_title_trgm_idx": "tickets_ticket USING gin (UPPER(title::text) gin_trgm_ops)",
    "ticket_number_trgm_idx": "tickets_ticket USING gin (UPPER(number::text) gin_trgm_ops)",
    "ticket_data_trgm_idx": (
        "tickets_ticket USING gin (UPPER(jsonb_path_query_array(data, "
        f"'{triggers.DATA_VALUES_PATH}')::text) gin_trgm_ops)"
    ),
}


def install(apps, schema_editor):
    connection = schema_editor.connection
    triggers.install(connection, "search_text")
    schema_editor.execute("UPDATE tickets_ticket SET title = title")  # the trigger fills it
    if connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS ticket_search_trgm_idx "
            "ON tickets_ticket USING gin (search_text gin_trgm_ops)"
        )
        for name in OLD_TRIGRAM_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def uninstall(apps, schema_editor):
    connection = schema_editor.connection
    triggers.uninstall(connection, "search_text")
    if connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS ticket_search_trgm_idx")
        for name, target in OLD_TRIGRAM_INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_worklist_indexes")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(install, uninstall),
    ]
