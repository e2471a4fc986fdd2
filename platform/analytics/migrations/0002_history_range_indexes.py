"""Indexes the metrics read on the ticket tables: a day of history is a range on the
event time, the task completion time and the ticket creation/closing times. They serve
only analytics read paths, so they live with analytics (CREATE INDEX IF NOT EXISTS:
PostgreSQL and SQLite both)."""

from django.db import migrations

INDEXES = {
    "analytics_event_kind_at": "tickets_ticketevent (kind, at)",
    "analytics_task_completed_at": "tickets_humantask (completed_at)",
    "analytics_task_bpmn_id": "tickets_humantask (bpmn_id)",
    "analytics_ticket_closed_at": "tickets_ticket (closed_at)",
}


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_daily_metrics"),
        ("tickets", "0005_read_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {target}",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, target in INDEXES.items()
    ]
