"""On PostgreSQL, trigram indexes for the links and connections searches (refId, customer name
and email, matched case-insensitively with LIKE '%…%'), so a search does not read every link.
Nothing to do on SQLite."""

from django.db import migrations

COLUMNS = ("ref_id", "customer_name", "customer_email")

CREATE = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
    f'CREATE INDEX link_{column}_trgm ON links_link USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
    for column in COLUMNS
]
DROP = [f"DROP INDEX IF EXISTS link_{column}_trgm" for column in COLUMNS]


def _on_postgresql(statements):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("links", "0002_batch_error_count")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
