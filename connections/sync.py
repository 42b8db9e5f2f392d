"""Make Connection rows match Leap's Connect API, one page at a time, with set-based upserts.

Each page is written in one transaction with a fixed number of queries whatever its size:
read the stored fingerprints and matching links, upsert only the changed connections, replace
their utility rows (one delete, one insert). On PostgreSQL the rows travel by COPY
(leapdash.pgcopy), and a page of refIds none of which is stored yet (a first sync) is copied
straight into the tables; other databases (the SQLite demo) take the same steps through the
ORM. A fingerprint covers the record and the verdict of classify(), so rerunning on unchanged
data writes nothing. Repeated refIds, within a page or across pages, are harmless: the last
one read wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import orjson
from django.db import IntegrityError, transaction
from django.db import connection as db
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

from leapdash import pgcopy
from leapdash.db import is_postgresql
from leapdash.leap.paging import prefetched
from leapdash.pgcopy import JsonText, Row
from leapdash.runs.tracking import SyncCounts, commit_without_waiting_for_disk
from links.models import Link, RefIdAlias

from . import overview, sql
from .choices import UtilityStatus
from .experiments import assign
from .models import SYNCED_FIELDS, Connection, UtilityConnection, Variant, utility_ids_text
from .status import RULES_VERSION, UNKNOWN_CUSTOMER, Customer, NextAction, classify

if TYPE_CHECKING:
    from leapdash.leap.client import LeapClient, Page
    from leapdash.leap.records import ConnectionRecord

OnPage = Callable[[SyncCounts, str | None], None]
PAGE_SIZE = 500


def _no_progress(counts: SyncCounts, next_token: str | None) -> None:
    return None


def sync_connections(
    *,
    client: LeapClient,
    since: datetime | None,
    now: datetime,
    resume_token: str | None = None,
    ref_ids: Sequence[str] | None = None,
    on_page: OnPage = _no_progress,
    page_size: int = PAGE_SIZE,
) -> SyncCounts:
    """Read Leap's connections changed since `since` (all when None) and store them.

    `resume_token` continues a listing where a stopped run left it; `ref_ids` re-reads just
    those refIds (a targeted refresh, not resumable). `on_page(counts, next_token)` runs after
    each committed page: tracked_run's page_done records progress there.
    """
    counts = SyncCounts()
    for page in prefetched(_pages(client, since, resume_token, ref_ids, page_size)):
        write_page(page, now=now, counts=counts)
        on_page(counts, None if ref_ids else page.next_token)
    return counts


def _pages(
    client: LeapClient,
    since: datetime | None,
    resume_token: str | None,
    ref_ids: Sequence[str] | None,
    page_size: int,
) -> Iterator[Page[ConnectionRecord]]:
    if ref_ids:
        # the client asks for them 100 at a time, Leap's limit per request
        yield from client.iter_connections(ref_ids=list(ref_ids), page_size=page_size)
        return
    yield from client.iter_connections(
        last_interaction_since=since, page_token=resume_token or None, page_size=page_size
    )


def write_page(page: Page[ConnectionRecord], *, now: datetime, counts: SyncCounts) -> None:
    """Store one page: count it, upsert what changed, leave the rest untouched."""
    counts.pages += 1
    counts.fetched += len(page.records) + len(page.errors)
    counts.retries += page.retries
    for error in page.errors:
        counts.skip(error.record_id, str(error))
    latest = {record.ref_id: record for record in page.records}  # repeats: last wins
    if not latest:
        return
    try:
        tally = _write(latest, now, new_rows_copied=True)
    except IntegrityError:
        # another writer stored one of the refIds read as new: upsert the page after all
        tally = _write(latest, now, new_rows_copied=False)
    counts.created += tally.created
    counts.updated += tally.updated
    counts.unchanged += tally.unchanged
    if tally.created or tally.updated:
        overview.forget_all()  # the home page's and the funnel's kept counts (connections.overview)


@dataclass
class _Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _write(latest: dict[str, ConnectionRecord], now: datetime, *, new_rows_copied: bool) -> _Tally:
    tally = _Tally()
    refs = sorted(latest)  # one lock order for every writer: concurrent upserts cannot deadlock
    with transaction.atomic():
        stored, links = _stored_and_links(refs)
        changed: list[tuple[ConnectionRecord, Row]] = []
        for ref in refs:
            record = latest[ref]
            link_id, customer = links.get(ref, _NO_LINK)
            action = classify(record, now, customer)
            fingerprint, raw = record_fingerprint(record, action, link_id)
            if stored.get(ref) == fingerprint:
                tally.unchanged += 1
                continue
            if ref in stored:
                tally.updated += 1
            else:
                tally.created += 1
            row = _connection_row(record, action, link_id, fingerprint, now, raw)
            changed.append((record, row))
        if not changed:
            return tally
        commit_without_waiting_for_disk()
        if not is_postgresql(db):
            _bulk_create_rows(changed)
        elif tally.updated or not new_rows_copied:
            _copy_rows(changed)
        else:
            _copy_new_rows(changed)
        opened = [row["link_id"] for _, row in changed if row["link_id"] is not None]
        if opened:
            mark_links_opened(opened)
            assign_variants([row["ref_id"] for _, row in changed if row["link_id"] is not None])
    return tally


def assign_variants(ref_ids: list[str]) -> int:
    """Give each new customer of a flow with a running experiment its variant, once: only
    connections without one, first synced since the experiment started. One query while no
    experiment runs; otherwise one more and an update per variant."""
    running: dict[int, list[Variant]] = {}
    for v in Variant.objects.filter(experiment__ended_at__isnull=True).select_related("experiment"):
        running.setdefault(v.experiment.flow_id, []).append(v)
    if not running:
        return 0
    rows = Connection.objects.filter(
        ref_id__in=ref_ids, variant__isnull=True, link__flow_id__in=list(running)
    ).values_list("pk", "ref_id", "link__flow_id", "first_synced_at")
    chosen: dict[int, list[int]] = {}
    for pk, ref_id, flow_id, first_synced_at in rows:
        variants = running[flow_id]
        experiment = variants[0].experiment
        if first_synced_at < experiment.started_at:
            continue  # a customer from before the experiment keeps the flow's cadence
        key = assign(ref_id, experiment.salt, [v.arm for v in variants])
        chosen.setdefault(int(key), []).append(pk)
    for variant_id, pks in chosen.items():
        Connection.objects.filter(pk__in=pks, variant__isnull=True).update(variant_id=variant_id)
    return sum(len(pks) for pks in chosen.values())


_NO_LINK: tuple[int | None, Customer] = (None, UNKNOWN_CUSTOMER)


def mark_links_opened(link_ids: list[int]) -> int:
    """A link is opened when Leap's Connect data first shows its refId (a Connect entry exists
    only once the customer opened the link): from when the connection started."""
    connection = Connection.objects.filter(link=OuterRef("pk")).order_by("pk")  # aliases too
    return Link.objects.filter(pk__in=link_ids, first_opened_at__isnull=True).update(
        first_opened_at=Coalesce(
            Subquery(connection.values("started_at")[:1]),
            Subquery(connection.values("first_synced_at")[:1]),
        )
    )


def _stored_and_links(
    refs: list[str],
) -> tuple[dict[str, str], dict[str, tuple[int | None, Customer]]]:
    """The stored fingerprint of each refId, and its link with what that says of the customer
    (the link's type, else its flow's; the flow's follow-up choice). One query on PostgreSQL.
    With the same refId in two orgs, the oldest link wins; a refId no link has finds the link
    it is an alias of (links.RefIdAlias, confirmed on the "Needs attention" page)."""
    if not is_postgresql(db):
        stored = Connection.objects.filter(ref_id__in=refs).values_list("ref_id", "fingerprint")
        fields = ("pk", "customer_type", "flow__customer_type", "flow__follow_up_other_utility")
        aliased = RefIdAlias.objects.filter(ref_id__in=refs).values_list(
            "ref_id", *(f"link__{f}" for f in fields)
        )
        direct = Link.objects.filter(ref_id__in=refs).order_by("ref_id", "-pk")
        links: dict[str, tuple[int | None, Customer]] = {
            ref: (pk, _customer(t, ft, f))
            for rows in (aliased, direct.values_list("ref_id", *fields))  # later rows win
            for ref, pk, t, ft, f in rows
        }
        return dict(stored), links
    with db.cursor() as cursor:
        cursor.execute(*sql.stored_and_links(refs))
        found = cursor.fetchall()
    return (
        {ref: fingerprint for ref, fingerprint, *_ in found if fingerprint is not None},
        {ref: (link, _customer(t, ft, f)) for ref, _, link, t, ft, f in found if link is not None},
    )


def _customer(link_type: str | None, flow_type: str | None, follow_up: bool | None) -> Customer:
    return Customer(type=link_type or flow_type or "", follow_up_other_utility=bool(follow_up))


def _copy_new_rows(changed: list[tuple[ConnectionRecord, Row]]) -> None:
    """PostgreSQL, a page of refIds not stored yet (a first sync): COPY straight into both
    tables. Sorted like the upsert, so the lock order stays the same."""
    ids = pgcopy.insert_new(Connection, [row for _, row in changed])
    pgcopy.insert(
        UtilityConnection, _utility_rows(zip([record for record, _ in changed], ids, strict=True))
    )


def _copy_rows(changed: list[tuple[ConnectionRecord, Row]]) -> None:
    """PostgreSQL: upsert through COPY, then replace the utility rows (one delete, one COPY)."""
    ids = pgcopy.upsert(
        Connection, [row for _, row in changed], unique="ref_id", update=SYNCED_FIELDS
    )
    pgcopy.delete_in(UtilityConnection, "connection", list(ids.values()))
    pgcopy.insert(
        UtilityConnection,
        _utility_rows((record, ids[record.ref_id]) for record, _ in changed),
    )


def _bulk_create_rows(changed: list[tuple[ConnectionRecord, Row]]) -> None:
    """Other databases (the SQLite demo): the same writes through bulk_create."""
    saved = Connection.objects.bulk_create(
        [Connection(**{**row, "raw": json.loads(row["raw"])}) for _, row in changed],
        update_conflicts=True,
        unique_fields=["ref_id"],
        update_fields=SYNCED_FIELDS,
    )
    # the database returns the ids of upserted rows (SQLite does since 3.35)
    ids = [row.pk for row in saved]
    UtilityConnection.objects.filter(connection_id__in=ids).delete()
    UtilityConnection.objects.bulk_create(
        UtilityConnection(**row)
        for row in _utility_rows(zip([record for record, _ in changed], ids, strict=True))
    )


_std_json = json.JSONEncoder(sort_keys=True, default=str, separators=(",", ":")).encode


def _to_json(value: object) -> str:
    """Canonical JSON (sorted keys, no spaces) of Leap's record or of our verdict. orjson is
    ten times faster than the standard library here, which is most of a sync's own CPU time;
    what orjson refuses (integers past 64 bits) goes to the standard library, so each record
    always gets the same text."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str).decode()
    except TypeError:
        return _std_json(value)


def record_fingerprint(
    record: ConnectionRecord, action: NextAction, link_id: int | None
) -> tuple[str, JsonText]:
    """Hash of everything a connection row holds, so an unchanged record is not rewritten;
    and the raw record as JSON, serialised once for the hash and the row both."""
    raw = _to_json(dict(record.raw))
    verdict = [
        action.kind,
        action.reason,
        action.message_key,
        action.actionable_at,
        action.subjects,
    ]
    # the rules' version too: a connection classified by older rules is written again
    text = f"[{raw},{_to_json(verdict)},{_to_json(link_id)},{RULES_VERSION}]"
    return hashlib.sha256(text.encode()).hexdigest(), JsonText(raw)


def _connection_row(
    record: ConnectionRecord,
    action: NextAction,
    link_id: int | None,
    fingerprint: str,
    now: datetime,
    raw: JsonText,
) -> Row:
    """The Connection's field values by attname; a field left out gets its default."""
    return dict(
        ref_id=record.ref_id,
        leap_id=record.id,
        transmission_region=record.transmission_region,
        started_at=record.started_at,
        last_interaction_at=record.last_interaction_at,
        status=record.status,
        prohibited_resource_attestation=record.agreements.prohibited_resource_attestation,
        demand_response_participation=record.agreements.demand_response_participation,
        required_missing=any(
            u.utility_is_required and u.status != UtilityStatus.CONNECTED for u in record.utilities
        ),
        utility_ids=utility_ids_text(u.utility_id for u in record.utilities),
        unknown_values=list(record.unknown_values),
        next_action=action.kind,
        next_action_reason=action.reason,
        message_key=action.message_key,
        message_subjects=list(action.subjects),
        actionable_at=action.actionable_at,
        rules_version=RULES_VERSION,
        link_id=link_id,
        fingerprint=fingerprint,
        raw=raw,
        first_synced_at=now,
        last_synced_at=now,
    )


def _utility_rows(pairs: Iterable[tuple[ConnectionRecord, int]]) -> list[Row]:
    return [
        dict(
            connection_id=connection_id,
            position=position,
            authorization_uuid=u.authorization_uuid,
            utility_name=u.utility_name,
            utility_id=u.utility_id,
            utility_is_required=u.utility_is_required,
            status=u.status,
            error_code=u.error_code or "",
            started_at=u.started_at,
            last_interaction_at=u.last_interaction_at,
        )
        for record, connection_id in pairs
        for position, u in enumerate(record.utilities)
    ]
