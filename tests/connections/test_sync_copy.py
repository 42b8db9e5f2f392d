"""The PostgreSQL COPY write path stores exactly what the bulk_create path (SQLite demo) stores.

write_page takes the COPY path on PostgreSQL; the tests run the other path (ORM reads and
bulk_create) on the same database by making the connection claim another vendor, then compare
every column of the rows each path wrote.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict

from connections import sync
from connections.models import SYNCED_FIELDS, Connection, UtilityConnection
from connections.status import classify
from connections.sync import write_page
from leapdash import pgcopy
from leapdash.leap.client import Page
from leapdash.leap.records import ConnectionRecord
from leapdash.runs.tracking import SyncCounts
from links.models import Link

from .builders import CONED, NOW, PGE, SCE, conn, util

pytestmark = pytest.mark.django_db

AWKWARD = "tab\there, newline\nthere, back\\slash, \\N, \"quotes\", 'single', ünïcødé ☃ 𝄞"


def _records(prefix: str) -> list[ConnectionRecord]:
    no_dates = replace(util(CONED, "ERROR", "UNKNOWN_ERROR"), started_at=None)
    no_dates = replace(no_dates, last_interaction_at=None, utility_name=AWKWARD[:200])
    return [
        conn(
            "PARTIAL",
            util(PGE, "ERROR", "BAD_LOGIN"),
            util(SCE, required=False, uuid=AWKWARD[:64]),
            no_dates,
            ref_id=f"{prefix}a+b/c=d==",
            raw={"ref_id": f"{prefix}a+b/c=d==", "text": AWKWARD, "n": [1, 2.5, None, True]},
            unknown=(AWKWARD, "utility_connections[0].utility_name=☃"),
        ),
        replace(
            conn("NOT_STARTED", ref_id=f"{prefix} spaces and \\ backslash"),
            started_at=None,
            raw={"nested": {"deep": [{"ü": "\u2028\u2029"}]}, "empty": {}, "list": []},
        ),
        conn(
            "COMPLETED",
            util(CONED, error_code=None),
            ref_id=f"{prefix}plain",
            drp="SIGNED",
            raw={"ref_id": f"{prefix}plain"},
        ),
    ]


def _stored(prefix: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    rows = []
    for row in Connection.objects.filter(ref_id__startswith=prefix).order_by("ref_id"):
        values = model_to_dict(row, exclude=["id"])
        values["ref_id"] = values["ref_id"].removeprefix(prefix)
        values["leap_id"] = values["leap_id"].replace(prefix, "")
        raw = dict(values["raw"])
        if isinstance(raw.get("ref_id"), str):
            raw["ref_id"] = raw["ref_id"].removeprefix(prefix)
        if isinstance(raw.get("id"), str):  # built records carry their document, id included
            raw["id"] = raw["id"].replace(prefix, "")
        values["raw"] = raw
        values.pop("fingerprint")  # covers the raw record, which holds the prefix
        utilities = [
            model_to_dict(u, exclude=["id", "connection"])
            for u in UtilityConnection.objects.filter(connection=row).order_by("position")
        ]
        rows.append((values, utilities))
    return rows


def test_the_copy_path_stores_what_the_bulk_create_path_stores(monkeypatch):
    link = Link.objects.create(org_name="acme", ref_id="copy/plain", url="https://x.test/")
    Link.objects.create(org_name="acme", ref_id="bulk/plain", url="https://x.test/", pk=link.pk + 1)
    write_page(Page(_records("copy/"), [], None, 0), now=NOW, counts=SyncCounts())
    monkeypatch.setattr(connection, "vendor", "sqlite")
    write_page(Page(_records("bulk/"), [], None, 0), now=NOW, counts=SyncCounts())
    copied, created = _stored("copy/"), _stored("bulk/")
    assert len(copied) == 3
    assert [values.pop("link") for values, _ in copied] == [None, None, link.pk]
    assert [values.pop("link") for values, _ in created] == [None, None, link.pk + 1]
    assert copied == created
    spaces, awkward, _ = copied
    assert spaces[0]["started_at"] is None
    assert awkward[0]["raw"]["text"] == AWKWARD
    assert awkward[0]["unknown_values"][0] == AWKWARD
    assert [u["last_interaction_at"] for u in awkward[1]][2] is None
    assert awkward[1][2]["utility_name"] == AWKWARD


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_with_one_refid_in_two_orgs_the_oldest_link_wins(monkeypatch, vendor):
    old = Link.objects.create(org_name="acme", ref_id="shared", url="https://x.test/")
    Link.objects.create(org_name="other", ref_id="shared", url="https://x.test/")
    monkeypatch.setattr(connection, "vendor", vendor)
    write_page(Page([conn(ref_id="shared")], [], None, 0), now=NOW, counts=SyncCounts())
    assert Connection.objects.get(ref_id="shared").link == old


def test_an_update_through_copy_keeps_first_synced_at_and_replaces_the_utilities():
    first = _records("u/")
    write_page(Page(first, [], None, 0), now=NOW, counts=SyncCounts())
    later = NOW + timedelta(hours=2)
    changed = [replace(r, raw={"v": 2}, utilities=(util(SCE),)) for r in first]
    counts = SyncCounts()
    write_page(Page(changed, [], None, 0), now=later, counts=counts)
    assert (counts.created, counts.updated) == (0, 3)
    for row in Connection.objects.filter(ref_id__startswith="u/"):
        assert (row.first_synced_at, row.last_synced_at, row.raw) == (NOW, later, {"v": 2})
        assert list(row.utilities.values_list("utility_id", flat=True)) == ["sce"]
    assert UtilityConnection.objects.count() == 3


def test_a_refid_another_writer_stored_meanwhile_is_upserted_after_all(monkeypatch):
    write_page(Page(_records("w/")[:1], [], None, 0), now=NOW, counts=SyncCounts())
    stored_and_links = sync._stored_and_links
    reads = []

    def first_read_misses_the_other_writer(refs):
        stored, links = stored_and_links(refs)
        reads.append(refs)
        return ({} if len(reads) == 1 else stored), links

    monkeypatch.setattr(sync, "_stored_and_links", first_read_misses_the_other_writer)
    changed = [replace(r, raw={"v": 2}) for r in _records("w/")]
    counts = SyncCounts()
    write_page(Page(changed, [], None, 0), now=NOW, counts=counts)
    assert len(reads) == 2
    assert (counts.created, counts.updated, counts.unchanged) == (2, 1, 0)
    assert sorted(Connection.objects.values_list("raw", flat=True), key=str) == [{"v": 2}] * 3
    assert UtilityConnection.objects.count() == 3 + 1  # 3 + 0 + 1 utilities, none doubled


def test_several_pages_in_one_transaction_each_write_only_their_own_rows():
    # the scratch table is emptied by each upsert, not only at commit
    with transaction.atomic():
        write_page(Page(_records("p1/"), [], None, 0), now=NOW, counts=SyncCounts())
        counts = SyncCounts()
        write_page(Page(_records("p2/")[:1], [], None, 0), now=NOW, counts=counts)
    assert counts.created == 1
    assert Connection.objects.count() == 4


@pytest.mark.parametrize("link_id", [None, 7])
def test_the_fingerprint_changes_with_the_record_the_verdict_or_the_link(link_id):
    record = _records("f/")[0]
    action = classify(record, NOW)
    fingerprint, raw = sync.record_fingerprint(record, action, link_id)
    assert json.loads(raw) == record.raw
    assert sync.record_fingerprint(record, action, link_id) == (fingerprint, raw)
    other_link = sync.record_fingerprint(record, action, 99)
    other_verdict = sync.record_fingerprint(record, replace(action, reason="other"), link_id)
    edited = replace(record, raw={**record.raw, "connection_status": "COMPLETED"})
    other_record = sync.record_fingerprint(edited, action, link_id)
    assert len({fingerprint, other_link[0], other_verdict[0], other_record[0]}) == 4


def test_a_record_with_an_integer_past_64_bits_is_stored_and_fingerprinted_the_same_each_time():
    record = _records("big/")[0]
    huge = replace(record, raw={**record.raw, "extra": 2**70})
    action = classify(huge, NOW)
    fingerprint, raw = sync.record_fingerprint(huge, action, None)
    assert json.loads(raw)["extra"] == 2**70
    assert sync.record_fingerprint(huge, action, None) == (fingerprint, raw)


def test_every_model_column_but_the_id_is_copied():
    names = [c.attname for c in pgcopy.columns(Connection)]
    expected = [f.attname for f in Connection._meta.concrete_fields if not f.primary_key]
    assert names == expected
    synced = {f.attname for f in Connection._meta.concrete_fields if f.name in SYNCED_FIELDS}
    assert len(synced) == len(SYNCED_FIELDS)
    assert synced <= set(names)


def test_a_field_a_row_leaves_out_gets_its_default():
    given = {"org_name": "acme", "ref_id": "defaults", "url": "https://x.test/", "created_at": NOW}
    pgcopy.insert(Link, [given])
    stored = model_to_dict(Link.objects.get(ref_id="defaults"), exclude=["id"])
    assert stored == model_to_dict(Link(**given), exclude=["id"])
    assert stored["requested_utilities"] == []
    assert stored["redirect_params"] == {}


def test_a_field_with_a_database_default_takes_it_when_left_out():
    (column,) = [c for c in pgcopy.columns(Connection) if c.attname == "utility_ids"]
    assert column.default == ""


def test_copy_statements_pass_through_execute_wrappers():
    seen: list[str] = []

    def record(execute, sql, params, many, context):
        seen.append(sql.split(" (")[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        write_page(Page(_records("x/"), [], None, 0), now=NOW, counts=SyncCounts())
    copies = [sql for sql in seen if sql.startswith("COPY")]
    assert copies == ['COPY "connections_connection"', 'COPY "connections_utilityconnection"']
