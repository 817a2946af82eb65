"""On PostgreSQL, refuse UPDATE and DELETE of audit log entries at the database too,
so no code path (raw SQL, a bulk update, the shell) can rewrite the receipt history."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION store_auditlogentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit log entries are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER store_auditlogentry_no_change
    BEFORE UPDATE OR DELETE ON store_auditlogentry
    FOR EACH ROW EXECUTE FUNCTION store_auditlogentry_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS store_auditlogentry_no_change ON store_auditlogentry;
DROP FUNCTION IF EXISTS store_auditlogentry_append_only();
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("store", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
