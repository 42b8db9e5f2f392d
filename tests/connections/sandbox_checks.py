"""Checks that the stored connections are exactly what the Leap sandbox serves, shared by the
sync tests and the reliability tests."""

from __future__ import annotations

import copy
from typing import Any

from connections.models import Connection
from connections.status import classify
from leapdash.leap.records import parse_connection
from leapdash.leap.sandbox import chaos as sandbox_chaos
from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.state import published_document, refresh_boundary, sandbox_now

ODD_MARK = "sandbox_future_field"  # chaos.oddify adds it to the record it makes odd


def as_served(document: dict[str, Any], stored_raw: dict[str, Any] | None) -> dict[str, Any]:
    """The document as chaos served it: oddified when the stored copy is the odd one."""
    if stored_raw is not None and ODD_MARK in stored_raw:
        knobs = sandbox_chaos.Knobs(row=sandbox.Chaos(unknown_values=True), number=0)
        return sandbox_chaos.oddify(knobs, [copy.deepcopy(document)])[0]
    return document


def assert_connections_match_sandbox(*, except_ids: frozenset[str] = frozenset()) -> int:
    """Every readable sandbox connection is stored exactly once, field for field (utility rows
    and verdict included); returns how many rows came from an odd (unknown values) record."""
    ours = {c.ref_id: c for c in Connection.objects.prefetch_related("utilities")}
    assert len(ours) == Connection.objects.count()
    boundary = refresh_boundary(sandbox_now())
    served = (published_document(c, boundary) for c in sandbox.Connection.objects.all())
    theirs = {d["ref_id"]: d for d in served if d and d["ref_id"] not in except_ids}
    missing, extra = theirs.keys() - ours.keys(), ours.keys() - theirs.keys()
    assert (len(missing), len(extra)) == (0, 0), (sorted(missing)[:5], sorted(extra)[:5])
    odd = 0
    for ref_id, plain in theirs.items():
        row = ours[ref_id]
        document = as_served(plain, row.raw)
        odd += document is not plain
        record = parse_connection(document)
        assert row.raw == document, ref_id
        assert (
            row.leap_id,
            row.transmission_region,
            row.started_at,
            row.last_interaction_at,
            row.status,
            row.prohibited_resource_attestation,
            row.demand_response_participation,
            sorted(row.unknown_values),
        ) == (
            record.id,
            record.transmission_region,
            record.started_at,
            record.last_interaction_at,
            record.status,
            record.agreements.prohibited_resource_attestation,
            record.agreements.demand_response_participation,
            sorted(record.unknown_values),
        ), ref_id
        utilities = [
            (
                u.authorization_uuid,
                u.utility_name,
                u.utility_id,
                u.utility_is_required,
                u.status,
                u.error_code or None,
                u.started_at,
                u.last_interaction_at,
            )
            for u in row.utilities.all()
        ]
        assert utilities == [
            (
                u.authorization_uuid,
                u.utility_name,
                u.utility_id,
                u.utility_is_required,
                u.status,
                u.error_code,
                u.started_at,
                u.last_interaction_at,
            )
            for u in record.utilities
        ], ref_id
        action = classify(record, row.last_synced_at)
        assert (row.next_action, row.message_key, row.actionable_at) == (
            action.kind,
            action.message_key,
            action.actionable_at,
        ), ref_id
    return odd
