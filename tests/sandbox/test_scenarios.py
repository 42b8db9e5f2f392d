"""Every row of the scenario catalogue, through test-submit and through the utility login."""

from __future__ import annotations

import pytest

from leapdash.leap.sandbox.models import Connection, Meter
from leapdash.leap.sandbox.scenarios import SCENARIO_LIST, SCENARIOS
from leapdash.leap.sandbox.state import advance_clock, sandbox_now, submit_scenario
from tests.sandbox.conftest import submit

ROWS = [pytest.param(s, id=s.name) for s in SCENARIO_LIST]


def _connection(api, ref_id):
    body = api.get("/v1.1/connections", {"ref-ids": ref_id}).json()
    assert len(body["connections"]) == 1
    return body["connections"][0]


def _meters(api, ref_id):
    body = api.post("/v2/meters/search", {"connection_reference_ids": [ref_id]}).json()
    return body["meters"]


@pytest.mark.parametrize("scenario", ROWS)
def test_test_submit_produces_the_rows_connection_and_meters(api, flow, scenario):
    utility = scenario.only_utility or "sce"
    if scenario.kind == "utilityapi":
        response = submit(api, "form-ca", utility, scenario.name, ref_id=f"row-{scenario.name}")
        assert response.status_code == 200, response.content
    else:  # a Connect-only case: UtilityAPI's test-submit does not list it
        submit_scenario(
            flow=flow,
            ref_id=f"row-{scenario.name}",
            utility_id=utility,
            scenario=scenario,
            now=sandbox_now(),
        )
    connection = _connection(api, f"row-{scenario.name}")
    assert connection["connection_status"] == scenario.connection_status
    mine = [u for u in connection["utility_connections"] if u["status"] == scenario.utility_status]
    assert mine, connection["utility_connections"]
    assert mine[-1]["error_code"] == scenario.error_code
    agreements = connection["agreements"]
    if scenario.pra_status:
        assert agreements["prohibited_resource_attestation_status"] == scenario.pra_status
    elif scenario.classification == "COMMERCIAL":
        assert agreements["prohibited_resource_attestation_status"] == "SIGNED"
    else:
        assert agreements["prohibited_resource_attestation_status"] == "NOT_REQUIRED"
    if scenario.other_utility or scenario.second_required:
        assert any(
            u["utility_is_required"] and u["status"] == "NOT_CONNECTED"
            for u in connection["utility_connections"]
        )

    assert _meters(api, f"row-{scenario.name}") == []  # meters come a day after the connection
    advance_clock(25)
    meters = _meters(api, f"row-{scenario.name}")
    assert len(meters) == scenario.meters
    for meter in meters:
        assert meter["partner_reference"] == f"row-{scenario.name}"
        assert meter["customer_classification"] == scenario.classification
        enrollment = api.get(f"/v2/meters/{meter['meter_id']}/enrollments").json()
        assert enrollment["global_enrollment_status"] == scenario.enrollment_status
        codes = {
            (side, a["action_type"], a["action_code"])
            for side in ("partner", "leap")
            for a in enrollment["required_actions"][side]
        }
        assert codes == {(a.side, a.action_type, a.action_code) for a in scenario.actions}


def test_revoked_and_expired_ask_the_partner_to_reauthorize():
    for name in ("revoked", "expired"):
        action = SCENARIOS[name].actions[0]
        assert (action.side, action.action_type, action.action_code) == (
            "partner",
            "IS_AUTHORIZED",
            "AUTH_0001",
        )


# UtilityAPI's test usernames work at the NY utilities, which Leap serves through UtilityAPI
# (PG&E's own pge_cca_service is reachable through test-submit only: staging cannot reach PG&E)
LOGIN_ROWS = [
    pytest.param(s, id=s.name)
    for s in SCENARIO_LIST
    if s.kind == "utilityapi" and s.only_utility is None
]


@pytest.mark.parametrize("scenario", LOGIN_ROWS)
def test_the_uapi_test_username_selects_the_same_outcome(client, ny_flow, scenario):
    utility = "cecony-utilityapi"
    ref_id = f"login-{scenario.name}"
    start = client.get(f"/sandbox/connect/acme-energy/ny-dr/?refId={ref_id}")
    session = start["Location"].split("/")[3]
    response = client.post(
        f"/sandbox/s/{session}/utility/{utility}/",
        {"username": scenario.username, "password": "x"},
    )
    assert response.status_code == 302
    connection = Connection.objects.get(ref_id=ref_id)
    assert connection.status == scenario.connection_status
    assert Meter.objects.filter(connection=connection).count() == scenario.meters
    if scenario.utility_status == "CONNECTED":
        assert "/error/" not in response["Location"]
    else:
        assert response["Location"].endswith(f"/error/{utility}/{scenario.error_code}/")


def test_the_readme_documents_every_scenario():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Leap sandbox", 1)[1]
    for scenario in SCENARIO_LIST:
        assert f"| `{scenario.name}`" in section, scenario.name
