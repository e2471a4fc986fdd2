"""The backlog counts open tickets by age: a partial index on the creation time of the
active tickets only (a small fraction of a million rows)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_history_range_indexes")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS analytics_ticket_open_created_at "
            "ON tickets_ticket (created_at) WHERE status = 'active'",
            "DROP INDEX IF EXISTS analytics_ticket_open_created_at",
        )
    ]
