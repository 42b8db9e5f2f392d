"""The connections app's hand-written SQL: each statement named, with why it is not the ORM.

Both are reads sized for 10^6 rows: a few index probes per refId asked about, whatever the
table sizes. Each builder returns `(sql, params)` for `cursor.execute(*statement)`.
"""

from __future__ import annotations

from typing import Any

from links.models import Flow, Link, RefIdAlias

from .models import Connection

Statement = tuple[str, list[Any]]
NEIGHBOURS = 6  # links read on each side of a typed refId, in each of the two key orders

# One row per refId of `refs` (a text[] parameter): the stored connection's fingerprint, and
# its link (by refId, else through an alias; the oldest wins) with the link's customer type,
# its flow's customer type and follow-up choice. Correlated subqueries and one lateral lookup,
# so each refId is a few index probes whatever the table sizes; unnest(%s::text[]) and LATERAL
# are PostgreSQL's (connections.sync asks the ORM on SQLite).
_STORED_AND_LINKS = f"""
    SELECT ref.ref_id,
        (SELECT c.fingerprint FROM {Connection._meta.db_table} c WHERE c.ref_id = ref.ref_id),
        l.id, l.customer_type, f.customer_type, f.follow_up_other_utility
    FROM unnest(%s::text[]) AS ref(ref_id)
    LEFT JOIN LATERAL (
        SELECT id, customer_type, flow_id FROM (
            SELECT l.id, l.customer_type, l.flow_id, 0 AS via FROM {Link._meta.db_table} l
            WHERE l.ref_id = ref.ref_id
            UNION ALL
            SELECT l.id, l.customer_type, l.flow_id, 1 FROM {RefIdAlias._meta.db_table} a
            JOIN {Link._meta.db_table} l ON l.id = a.link_id WHERE a.ref_id = ref.ref_id
        ) m ORDER BY via, id LIMIT 1
    ) l ON true
    LEFT JOIN {Flow._meta.db_table} f ON f.id = l.flow_id
"""


def stored_and_links(refs: list[str]) -> Statement:
    """Rows (refId, fingerprint, link id, link type, flow type, flow follow-up) for `refs`
    (PostgreSQL only)."""
    return _STORED_AND_LINKS, [refs]


def link_neighbours(keys: list[str]) -> Statement:
    """Rows (n, refId): for the n-th look-alike key of `keys`, the NEIGHBOURS links on each side
    of it in ref_key order and in ref_key_reversed order (both indexed), so a slip early or
    late in a refId still leaves a neighbour that shares the rest. A UNION ALL of small
    ordered LIMIT scans, one index range each, which the ORM's union cannot nest this way."""
    table = Link._meta.db_table
    parts: list[str] = []
    params: list[Any] = []
    for i, key in enumerate(keys):
        for column, value in (("ref_key", key), ("ref_key_reversed", key[::-1])):
            for op, order in ((">=", ""), ("<", " DESC")):
                parts.append(
                    f"SELECT {i} AS n, ref_id FROM (SELECT ref_id FROM {table} "
                    f"WHERE {column} {op} %s ORDER BY {column}{order} LIMIT {NEIGHBOURS}) "
                    f"AS s{len(parts)}"
                )
                params.append(value)
    return " UNION ALL ".join(parts), params
