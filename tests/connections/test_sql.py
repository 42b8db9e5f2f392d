"""connections/sql.py's statements, each run on PostgreSQL against a few rows."""

from __future__ import annotations

import pytest
from django.db import connection

from connections import sql
from links.models import Link, RefIdAlias
from links.refids import lookalike_key

pytestmark = pytest.mark.django_db


def _link(ref_id: str, customer_type: str = "residential") -> Link:
    return Link.objects.create(
        org_name="acme",
        ref_id=ref_id,
        url=f"https://l.example/{ref_id}",
        customer_name=f"Customer {ref_id}",
        customer_type=customer_type,
    )


def _rows(statement: sql.Statement) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        return list(cursor.fetchall())


def test_stored_and_links_gives_each_refid_its_link_direct_first_then_by_alias():
    direct = _link("cust-1")
    aliased = _link("cust-2", customer_type="commercial")
    RefIdAlias.objects.create(ref_id="cust-2-typo", link=aliased)
    RefIdAlias.objects.create(ref_id="cust-1", link=aliased)  # the direct link still wins
    rows = {row[0]: row for row in _rows(sql.stored_and_links(["cust-1", "cust-2-typo", "x"]))}
    assert rows["cust-1"][1:4] == (None, direct.pk, "residential")
    assert rows["cust-2-typo"][2:4] == (aliased.pk, "commercial")
    assert rows["x"][1:] == (None, None, None, None, None)


def test_link_neighbours_reads_the_nearest_links_in_both_key_orders():
    for ref_id in ["pm-bulk-001", "pm-bulk-002", "pm-bulk-003", "zz-far-away"]:
        _link(ref_id)
    rows = _rows(sql.link_neighbours([lookalike_key("pm-bulk-0O2")]))
    found = {ref_id for n, ref_id in rows if n == 0}
    assert {"pm-bulk-001", "pm-bulk-002", "pm-bulk-003"} <= found
    assert len(rows) <= 4 * sql.NEIGHBOURS
