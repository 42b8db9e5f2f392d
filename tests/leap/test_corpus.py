"""The recorded-response corpus (tests/contracts/payloads/): realistic Connect pages with every
status, error code and agreement status, hostile strings and unknown fields. Each page must
validate against the Connect contract, so the corpus cannot drift from it, and the parser must
read each exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leapdash.leap.records import (
    AGREEMENT_STATUSES,
    CONNECTION_STATUSES,
    ERROR_CODES,
    UTILITY_IDS,
    connections_page,
    parse_connection,
)
from tests.leap.contract import component, problems

CORPUS = Path(__file__).resolve().parents[1] / "contracts" / "payloads"
PAGES = sorted(CORPUS.glob("*.json"))
TOKENS = {
    "connect_every_status.json": "+/+/mOoG3pX2a1c=",
    "connect_hostile_strings.json": "a+b/c==",
}
# what the parser keeps beside the record for review: unknown enum values, as sent
UNKNOWN = {
    "code-captcha-failed": ("utility_connections[0].error_code=CAPTCHA_FAILED",),
    "hostile-00-<script>alert(1)</script>": (
        "utility_connections[0].utility_name=<img src=x onerror=alert(1)> Utility",
    ),
    "hostile-04-emoji-\U0001f50b\U0001f3e0": ("utility_connections[0].error_code=<b>NEW_CODE</b>",),
}
# timestamps sent with another offset or nine fractional digits, read as aware UTC
TIMES = {
    "hostile-03-caf\u00e9-\u202eevil\u202c-\u200b": (
        datetime(2024, 3, 1, 7, 59, 59, tzinfo=UTC),
        datetime(2024, 3, 1, 17, 9, 40, 123456, tzinfo=UTC),
    ),
}
USUAL_TIMES = (datetime(2024, 3, 1, 17, 0, tzinfo=UTC), datetime(2024, 3, 1, 17, 9, 40, tzinfo=UTC))


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _all_connections() -> list[dict]:
    return [c for path in PAGES for c in _load(path)["connections"]]


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_each_page_validates_against_the_contract(path):
    assert problems(component("ConnectionsPage"), _load(path)) == []


def test_the_corpus_covers_every_status_code_and_agreement():
    connections = _all_connections()
    assert {c["connection_status"] for c in connections} == set(CONNECTION_STATUSES)
    codes = {u["error_code"] for c in connections for u in c["utility_connections"]}
    assert set(ERROR_CODES) < codes  # plus codes the working set does not know
    agreements = {s for c in connections for s in c["agreements"].values()}
    assert agreements == set(AGREEMENT_STATUSES)
    assert {c["transmission_region"] for c in connections} == {"CAISO", "NYISO"}


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_the_parser_reads_each_page_exactly(path):
    items, token = connections_page(_load(path))
    assert token == TOKENS.get(path.name)
    for raw in items:
        record = parse_connection(raw)
        assert (record.id, record.ref_id) == (raw["id"], raw["ref_id"])  # byte for byte
        assert (record.status, record.transmission_region) == (
            raw["connection_status"],
            raw["transmission_region"],
        )
        assert (record.started_at, record.last_interaction_at) == TIMES.get(
            raw["ref_id"], USUAL_TIMES
        )
        assert record.unknown_values == UNKNOWN.get(raw["ref_id"], ())
        agreements = raw["agreements"]
        assert (
            record.agreements.prohibited_resource_attestation,
            record.agreements.demand_response_participation,
        ) == (
            agreements["prohibited_resource_attestation_status"],
            agreements["demand_response_participation_agreement_status"],
        )
        assert len(record.utilities) == len(raw["utility_connections"])
        for parsed, sent in zip(record.utilities, raw["utility_connections"], strict=True):
            assert parsed.utility_name == sent["utility_name"]
            if sent["utility_name"] in UTILITY_IDS:
                assert parsed.utility_id == UTILITY_IDS[sent["utility_name"]]
            assert parsed.authorization_uuid == (sent.get("authorization_uuid") or "")
            assert (parsed.status, parsed.error_code, parsed.utility_is_required) == (
                sent["status"],
                sent["error_code"],
                sent["utility_is_required"],
            )
            if sent["start_date_time_utc"] is None:
                assert (parsed.started_at, parsed.last_interaction_at) == (None, None)
