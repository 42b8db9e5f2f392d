"""The Connect contract drives the tests: what the sandbox sends validates against it, the
parser reads whatever it allows, and a drift between the two fails here."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate as validate_spec

from leapdash.leap.records import RecordError, connections_page, parse_connection
from leapdash.leap.records.connections import CONNECTION_LIMITS, UTILITY_LIMITS
from leapdash.leap.sandbox.api import has_nul
from leapdash.leap.sandbox.models import Connection
from leapdash.leap.sandbox.scenarios import SCENARIO_LIST
from leapdash.leap.sandbox.state import advance_clock, open_connection, sandbox_now
from leapdash.leap.sandbox.state import submit_scenario as leave_behind
from tests.leap.contract import component, documents, problems, response_schema, spec
from tests.sandbox.conftest import submit

CONNECTIONS = "/v1.1/connections"
ONE = "/v1.1/meters/{meter_id}/partner_meter_ref"
BULK = "/v1.1/meters/partner_meter_ref"


def test_the_contract_file_is_valid_openapi():
    validate_spec(spec())


@pytest.fixture
def every_outcome(api, flow, ny_flow, commercial_flow):
    """A connection for every scenario (CAISO and NY), plus one opened and never continued."""
    for scenario in SCENARIO_LIST:
        utility = scenario.only_utility or "sce"
        if scenario.kind == "utilityapi":
            response = submit(api, "form-ca", utility, scenario.name, f"ca-{scenario.name}")
            assert response.status_code == 200
            submit(api, "form-ny", "cecony-utilityapi", scenario.name, f"ny-{scenario.name}")
        else:
            leave_behind(
                flow=commercial_flow,
                ref_id=f"ca-{scenario.name}",
                utility_id=utility,
                scenario=scenario,
                now=sandbox_now(),
            )
    open_connection(ref_id="opened-only", flow=flow, now=sandbox_now())
    advance_clock(2)


def test_every_sandbox_connect_page_validates_and_parses(api, every_outcome):
    schema = response_schema(CONNECTIONS, "get", "200")
    seen, token, pages = [], None, 0
    while True:
        params = {"page-size": 7} | ({"page-token": token} if token else {})
        body = api.get(CONNECTIONS, params).json()
        assert problems(schema, body) == []
        for raw in body["connections"]:
            record = parse_connection(raw)
            assert record.unknown_values == ()
            seen.append(record)
        pages += 1
        token = body.get("nextPageToken")
        if not token:
            break
    assert pages > 3
    assert len(seen) == Connection.objects.count()
    assert {r.status for r in seen} == {"COMPLETED", "NOT_STARTED", "PARTIAL", "ERROR"}
    codes = {u.error_code for r in seen for u in r.utilities} - {None}
    assert len(codes) >= 10
    agreements = {r.agreements.prohibited_resource_attestation for r in seen}
    assert agreements == {"NOT_REQUIRED", "PENDING", "SIGNED", "DECLINED"}


def test_connect_errors_validate(api, db):
    for params in ({"page-size": 0}, {"start-date": "yesterday"}, {"page-token": "x+y"}):
        response = api.get(CONNECTIONS, params)
        assert response.status_code == 400
        assert problems(response_schema(CONNECTIONS, "get", "400"), response.json()) == []


@pytest.fixture
def meters(api, flow):
    submit(api, "form-ca", "pge", "commercial", ref_id="site-1")
    advance_clock(25)
    return [m["meter_id"] for m in api.post("/v2/meters/search", {}).json()["meters"]]


def test_partner_reference_answers_validate(api, meters):
    one = api.patch(ONE.format(meter_id=meters[0]), {"partner_reference": "site-1"})
    assert problems(response_schema(ONE, "patch", "200"), one.json()) == []
    items = [{"meter_id": m, "partner_reference": "site-9"} for m in meters]
    items.append({"meter_id": str(uuid.uuid4()), "partner_reference": "site-9"})
    bulk = api.patch(BULK, {"meters": items})
    assert problems(response_schema(BULK, "patch", "200"), bulk.json()) == []
    assert len(bulk.json()["updated"]) == 4  # the site's meters share its reference
    refused = [
        (api.patch(ONE.format(meter_id=meters[0]), {"partner_reference": "a/b"}), ONE, "400"),
        (api.patch(ONE.format(meter_id=uuid.uuid4()), {"partner_reference": "abc"}), ONE, "404"),
        (api.patch(BULK, {"meters": [{"meter_id": "x", "partner_reference": "abc"}]}), BULK, "400"),
    ]
    for response, path, status in refused:
        assert str(response.status_code) == status
        assert problems(response_schema(path, "patch", status), response.json()) == []


def test_the_check_fails_when_the_sandbox_drifts_from_the_file(api, every_outcome):
    """What a drift looks like: a status the file does not list, a missing agreement."""
    row = Connection.objects.get(ref_id="ca-residential")
    row.document["connection_status"] = "DONE"
    del row.document["agreements"]["demand_response_participation_agreement_status"]
    row.save()
    body = api.get(CONNECTIONS, {"ref-ids": "ca-residential"}).json()
    found = problems(response_schema(CONNECTIONS, "get", "200"), body)
    assert any("'DONE' is not one of" in p for p in found)
    assert any("demand_response_participation_agreement_status" in p for p in found)


# The parser refuses (as a RecordError for that record) text longer than leapdash stores; the
# generated values stay within those stored limits.
STORED = {**CONNECTION_LIMITS, **UTILITY_LIMITS}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents("Connection", STORED))
def test_the_parser_reads_every_connection_the_contract_allows(document):
    assert problems(component("Connection"), document) == []
    if has_nul(document):  # PostgreSQL cannot store NUL: that record alone is refused
        with pytest.raises(RecordError, match="NUL"):
            parse_connection(document)
        return
    record = parse_connection(document)
    assert (record.ref_id, record.status) == (document["ref_id"], document["connection_status"])
    assert len(record.utilities) == len(document["utility_connections"])
    for parsed, sent in zip(record.utilities, document["utility_connections"], strict=True):
        assert (parsed.status, parsed.utility_is_required) == (
            sent["status"],
            sent["utility_is_required"],
        )
        assert parsed.error_code == (sent.get("error_code") or None)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents("ConnectionsPage", STORED))
def test_the_envelope_reads_every_page_the_contract_allows(document):
    items, token = connections_page(document)
    assert items == document["connections"]
    assert token == (document.get("nextPageToken") or None)
