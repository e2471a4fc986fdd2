"""Tickets by channel: a search filtered by channel intersects this index with the
trigram hits of its text before it reads any (wide) ticket row."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0015_cheaper_ticket_triggers")]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["channel"], name="ticket_channel_idx"),
        ),
    ]
