"""On PostgreSQL, reconciliation findings skip the write-ahead log: each pass rewrites all of
them, and after a crash the table is empty until the next pass. Nothing to do on SQLite."""

from django.db import migrations


def _alter(persistence: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE meters_reconciliationresult SET {persistence}")

    return run


class Migration(migrations.Migration):
    dependencies = [("meters", "0002_narrow_reconciliation_results")]

    operations = [migrations.RunPython(_alter("UNLOGGED"), _alter("LOGGED"))]
