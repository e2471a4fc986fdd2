"""The ticket triggers (tickets.triggers) fire only when their result can change: search
text when its number, title or data changed, the ticket's due time when a task with a due
time that is open (before or after the write) is inserted, deleted or changed."""

from django.db import migrations

from tickets import triggers


def install(apps, schema_editor):
    for feature in ("search_text", "due_at"):
        triggers.install(schema_editor.connection, feature)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0014_open_ticket_sort_indexes")]

    # Backwards: the triggers stay as they are (they compute the same values).
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
