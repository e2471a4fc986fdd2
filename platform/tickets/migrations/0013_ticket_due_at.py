"""The ticket's due time (tickets.triggers): the earliest due time of its open tasks, kept
by triggers, filled for the tickets already there, and indexed in the ticket list's "due"
(due, id) and "priority" (priority desc, due, id) orders."""

from django.db import migrations, models

from tickets import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor.connection, "due_at")
    # Any write of due_at is replaced by the value of the tasks: this fills every ticket.
    schema_editor.execute(
        "UPDATE tickets_ticket SET due_at = NULL WHERE id IN "
        "(SELECT ticket_id FROM tickets_humantask WHERE state IN ('open', 'claimed'))"
    )


def uninstall(apps, schema_editor):
    triggers.uninstall(schema_editor.connection, "due_at")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0012_open_task_cover_indexes")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(install, uninstall),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["due_at", "id"], name="ticket_due_idx"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["-priority", "due_at", "id"], name="ticket_priority_due_idx"
            ),
        ),
    ]
