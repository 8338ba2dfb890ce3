"""No two active allocations of one resource may overlap (PostgreSQL only).

The exclusion constraint is the database's last word on double booking (ARCHITECTURE.md):
``EXCLUDE USING gist (resource_key WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
WHERE (is_active)``. btree_gist provides the ``=`` operator class for the text column.
SQLite has no exclusion constraints; there write transactions are serialized instead
(``transaction_mode = IMMEDIATE`` in settings).
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE bookings_allocation
    ADD CONSTRAINT allocation_no_overlap
    EXCLUDE USING gist (
        resource_key WITH =,
        tstzrange(starts_at, ends_at, '[)') WITH &&
    ) WHERE (is_active);
"""
DROP = "ALTER TABLE bookings_allocation DROP CONSTRAINT IF EXISTS allocation_no_overlap;"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [migrations.RunPython(add_constraint, drop_constraint)]
