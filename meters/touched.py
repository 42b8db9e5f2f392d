"""References touched since the last reconciliation pass: what a targeted pass looks at again.

PostgreSQL triggers (migrations 0007–0009) append the references of every row written to the tables
a finding reads, whatever wrote it (the syncs, partner imports, reference fixes, the admin):
a meter's partner_reference, a meter's connection reference, a partner record's reference, a
connection's and a link's refId, old and new values alike, deletes included. The statement-level
triggers read PostgreSQL's transition tables, so a sync writing 10^4 rows appends 10^4 rows in
one INSERT … SELECT. A pass consumes the log up to the id it started from. The SQLite demo has
no triggers: its hourly pass is a full one. Registered with the app through models.py.
"""

from __future__ import annotations

from django.db import models

# table → the SELECT (over transition table t) of the references its rows name, and whether a
# pass also looks again at the meters matching them by connection (a partner record's)
SOURCES = {
    # its reference, and its connection references: a record of one counts it by connection
    # while it is not archived
    "meters_meter": (
        "SELECT t.partner_reference FROM {t} t UNION SELECT r.ref_id FROM {t} t "
        "JOIN meters_meterconnectionreference r ON r.meter_id = t.id",
        False,
    ),
    # the refId (a record of it counts meters by connection) and the owning meter's reference
    "meters_meterconnectionreference": (
        "SELECT t.ref_id FROM {t} t UNION SELECT m.partner_reference FROM {t} t "
        "JOIN meters_meter m ON m.id = t.meter_id",
        False,
    ),
    "meters_partnerrecord": ("SELECT t.reference FROM {t} t", True),
    "connections_connection": ("SELECT t.ref_id FROM {t} t", False),
    "links_link": ("SELECT t.ref_id FROM {t} t", False),
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
    # NULL on a row that only carries the totals' change; "" is the reference of the meters
    # that have none (they are reconciled as one group)
    reference = models.CharField(max_length=256, null=True)  # noqa: DJ001 (NULL ≠ "")
    meters_delta = models.IntegerField(default=0)  # meters not archived, added or removed
    records_delta = models.IntegerField(default=0)  # partner records added or removed
    # a partner record's: the meters holding it as a connection reference are looked at too
    expand = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.reference if self.reference is not None else "(totals)"


def _function(table: str, side: str) -> str:
    """The trigger function logging the references of one transition table (and the totals'
    change, for a counted table)."""
    select, expand = SOURCES[table]
    refs = select.format(t=f"touched_{side}")
    delta = ""
    if table in COUNTED:
        field, added = COUNTED[table]
        values = {"meters_delta": "0", "records_delta": "0"}
        values[field] = ("" if side == "new" else "-") + added
        delta = f"""
          INSERT INTO {LOG_TABLE} (reference, meters_delta, records_delta, expand)
            SELECT NULL, {values["meters_delta"]}, {values["records_delta"]}, false
            FROM touched_{side} t HAVING {added} > 0;"""
    return f"""CREATE OR REPLACE FUNCTION {table}_touched_{side}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO {LOG_TABLE} (reference, meters_delta, records_delta, expand)
            SELECT DISTINCT r.reference, 0, 0, {str(expand).lower()}
            FROM ({refs}) AS r(reference);{delta}
          RETURN NULL;
        END $$"""


# each statement's transition tables: an UPDATE has two triggers, one per side
EVENTS = [("insert", "new"), ("update", "new"), ("update", "old"), ("delete", "old")]
SIDES = ("new", "old")


def _trigger_statements(table: str) -> list[str]:
    """One function per transition table and the four statement-level triggers on `table`."""
    statements = [_function(table, side) for side in SIDES]
    for event, side in EVENTS:
        name = f"{table}_touched_{event}_{side}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"""CREATE TRIGGER {name} AFTER {event.upper()} ON {table}
                REFERENCING {side.upper()} TABLE AS touched_{side}
                FOR EACH STATEMENT EXECUTE FUNCTION {table}_touched_{side}()""",
        ]
    return statements


def create_triggers_sql() -> list[str]:
    return [statement for table in SOURCES for statement in _trigger_statements(table)]


def drop_triggers_sql() -> list[str]:
    statements = []
    for table in SOURCES:
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_touched_{e}_{s} ON {table}" for e, s in EVENTS
        ]
        statements += [f"DROP FUNCTION IF EXISTS {table}_touched_{s}()" for s in SIDES]
    return statements
