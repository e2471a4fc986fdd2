"""On PostgreSQL two live bookings of one resource may not overlap, whoever writes them and
however concurrently: an exclusion constraint over (resource, tstzrange) with btree_gist."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_booking ADD CONSTRAINT booking_no_overlap
    EXCLUDE USING gist (resource_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
    WHERE (status <> 'cancelled');
"""
DROP = "ALTER TABLE scheduling_booking DROP CONSTRAINT IF EXISTS booking_no_overlap;"


def add_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_resources_services_bookings")]

    operations = [migrations.RunPython(add_exclusion, drop_exclusion)]
