"""The due-time triggers find a ticket's tasks by the ticket alone (tickets.triggers): a
bulk insert into a table never analysed no longer walks an index of every open task per
inserted task."""

from django.db import migrations

from tickets import triggers


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # SQLite's triggers are unchanged
        triggers.install(schema_editor.connection, "due_at")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0016_ticket_channel_idx")]

    # Backwards: the triggers stay as they are (they compute the same values).
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
