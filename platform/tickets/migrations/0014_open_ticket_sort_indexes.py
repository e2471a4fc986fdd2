"""Open tickets newest first and most recently updated first, with their ids: the
worklist's "created" and "updated" sorts walk them from the index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0013_ticket_due_at")]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["-created_at", "-id"],
                name="ticket_open_created_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["-updated_at", "-id"],
                name="ticket_open_updated_idx",
            ),
        ),
    ]
