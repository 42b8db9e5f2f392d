"""The table's two covering indexes, declared in the model (Index(include=...)).

Migration 0005 built them with raw SQL on PostgreSQL; the indexes in the database are already
these, so only Django's state changes here: nothing is rebuilt."""

from django.db import migrations, models

COVERED = ["ref_id", "utility_ids", "link"]


class Migration(migrations.Migration):
    dependencies = [("connections", "0011_experiments")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="connection", name="conn_last_interaction"),
                migrations.RemoveIndex(model_name="connection", name="conn_status"),
                migrations.AddIndex(
                    model_name="connection",
                    index=models.Index(
                        fields=["-last_interaction_at", "id"],
                        include=COVERED,
                        name="conn_last_interaction",
                    ),
                ),
                migrations.AddIndex(
                    model_name="connection",
                    index=models.Index(
                        fields=["status", "-last_interaction_at", "id"],
                        include=COVERED,
                        name="conn_status",
                    ),
                ),
            ],
            database_operations=[],
        )
    ]
