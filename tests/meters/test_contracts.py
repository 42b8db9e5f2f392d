"""What the sandbox sends for the meters tests validates against Leap's OpenAPI files
(tests/contracts/, copies of Leap's published specs)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import yaml
from openapi_schema_validator import OAS30Validator

from leapdash.leap.sandbox.state import advance_clock

pytestmark = pytest.mark.django_db(transaction=True)

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"


def _validator(spec_file: str, schema: str) -> OAS30Validator:
    spec = yaml.safe_load((CONTRACTS / spec_file).read_text())
    return OAS30Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": spec["components"]}
    )


@pytest.mark.parametrize(
    ("path", "spec_file", "schema"),
    [
        ("/v2/meters/search", "leap-meters-v2.yml", "ListMeterDetailsResponse"),
        ("/v2/meters/enrollments/search", "leap-enrollments-v2.yml", None),
    ],
)
def test_the_searches_the_sync_uses_match_leaps_schemas(
    leap, customer, settings, path, spec_file, schema
):
    customer("contract-1")
    customer("contract-2", "commercial")
    customer("contract-3", "badlogin_after")
    advance_clock(24.5)
    response = requests.post(
        leap.base_url + path,
        json={"page_size": 3},
        headers={"Authorization": f"Bearer {settings.LEAP_SANDBOX_API_KEY}"},
        timeout=10,
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body["meters"]) == 3
    assert body["next_page_token"]
    if schema is None:
        spec = yaml.safe_load((CONTRACTS / spec_file).read_text())
        post = spec["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]
        schema = post["schema"]["$ref"].rsplit("/", 1)[1]
    _validator(spec_file, schema).validate(body)


def test_a_single_meter_and_its_enrollments_match_leaps_schemas(leap, customer, settings):
    customer("contract-9", "commercial")
    advance_clock(24.5)
    headers = {"Authorization": f"Bearer {settings.LEAP_SANDBOX_API_KEY}"}
    found = requests.post(
        leap.base_url + "/v2/meters/search", json={"page_size": 1}, headers=headers, timeout=10
    ).json()
    meter_id = found["meters"][0]["meter_id"]
    meter = requests.get(f"{leap.base_url}/v2/meters/{meter_id}", headers=headers, timeout=10)
    _validator("leap-meters-v2.yml", "MeterDetailsResponse").validate(meter.json())
    enrollments = requests.get(
        f"{leap.base_url}/v2/meters/{meter_id}/enrollments", headers=headers, timeout=10
    )
    spec = yaml.safe_load((CONTRACTS / "leap-enrollments-v2.yml").read_text())
    get = spec["paths"]["/v2/meters/{meter_id}/enrollments"]["get"]["responses"]["200"]
    name = get["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    _validator("leap-enrollments-v2.yml", name).validate(enrollments.json())
