"""References touched since the last reconciliation pass: what a targeted pass looks at again.

PostgreSQL triggers (migration 0007) append the references of every row written to the tables
a finding reads, whatever wrote it (the syncs, partner imports, reference fixes, the admin):
a meter's partner_reference, a meter's connection reference, a partner record's reference, a
connection's and a link's refId, old and new values alike, deletes included. The statement-level
triggers read PostgreSQL's transition tables, so a sync writing 10^4 rows appends 10^4 rows in
one INSERT … SELECT. A pass consumes the log up to the id it started from. The SQLite demo has
no triggers: its hourly pass is a full one. Registered with the app through models.py.
"""

from __future__ import annotations

from django.db import models

# table → the column holding the reference its rows name
TOUCHING_COLUMNS = {
    "meters_meter": "partner_reference",
    "meters_meterconnectionreference": "ref_id",
    "meters_partnerrecord": "reference",
    "connections_connection": "ref_id",
    "links_link": "ref_id",
}
# table → (log column, what a row adds): the change in the totals a pass reports, so that a
# targeted pass never counts 10^6 rows (a new side adds, an old side takes away)
COUNTED = {
    "meters_meter": ("meters_delta", "COUNT(*) FILTER (WHERE NOT t.is_archived)"),
    "meters_partnerrecord": ("records_delta", "COUNT(*)"),
}
LOG_TABLE = "meters_touchedreference"


class TouchedReference(models.Model):
    """A reference whose findings may have changed since the last pass (see the module)."""

    id = models.BigAutoField(primary_key=True)
    reference = models.CharField(max_length=256)  # "" on a row that only carries a delta
    meters_delta = models.IntegerField(default=0)  # meters not archived, added or removed
    records_delta = models.IntegerField(default=0)  # partner records added or removed

    def __str__(self) -> str:
        return self.reference


def _trigger_statements(table: str, column: str) -> list[str]:
    """One function per transition table and the four statement-level triggers on `table`."""
    statements = []
    for side in ("new", "old"):
        function = f"{table}_touched_{side}"
        delta = ""
        if table in COUNTED:
            field, added = COUNTED[table]
            sign = "" if side == "new" else "-"
            values = {"meters_delta": "0", "records_delta": "0", field: f"{sign}{added}"}
            delta = f"""
              INSERT INTO {LOG_TABLE} (reference, meters_delta, records_delta)
                SELECT '', {values["meters_delta"]}, {values["records_delta"]}
                FROM touched_{side} t HAVING {added} > 0;"""
        statements.append(
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO {LOG_TABLE} (reference, meters_delta, records_delta)
                SELECT DISTINCT t.{column}, 0, 0 FROM touched_{side} t
                WHERE t.{column} <> '';{delta}
              RETURN NULL;
            END $$"""
        )
    events = [("insert", "new"), ("update", "new"), ("update", "old"), ("delete", "old")]
    for event, side in events:
        name = f"{table}_touched_{event}_{side}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"""CREATE TRIGGER {name} AFTER {event.upper()} ON {table}
                REFERENCING {side.upper()} TABLE AS touched_{side}
                FOR EACH STATEMENT EXECUTE FUNCTION {table}_touched_{side}()""",
        ]
    return statements


def create_triggers_sql() -> list[str]:
    return [s for table, col in TOUCHING_COLUMNS.items() for s in _trigger_statements(table, col)]


def drop_triggers_sql() -> list[str]:
    statements = []
    for table in TOUCHING_COLUMNS:
        for event, side in [
            ("insert", "new"),
            ("update", "new"),
            ("update", "old"),
            ("delete", "old"),
        ]:
            statements.append(f"DROP TRIGGER IF EXISTS {table}_touched_{event}_{side} ON {table}")
        statements += [f"DROP FUNCTION IF EXISTS {table}_touched_{s}()" for s in ("new", "old")]
    return statements
