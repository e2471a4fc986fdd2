"""The function a completion reads its ticket's tasks through, in the statement that locks
the ticket (tickets.locked_rows): PostgreSQL only."""

from django.db import migrations

from tickets import locked_rows


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(locked_rows.CREATE_FUNCTION)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(locked_rows.DROP_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0017_due_time_by_ticket")]

    operations = [migrations.RunPython(create, drop)]
