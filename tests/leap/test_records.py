"""Leap JSON → records: every published example parses; Leap's surprises are kept and flagged."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from leapdash.leap.records import (
    RecordError,
    is_valid_partner_reference,
    parse_connection,
    parse_datetime,
    parse_enrollment,
    parse_meter,
    utility_id,
)
from tests.leap.payloads import load_payload


def test_the_connect_example_of_leap_api_md_parses_field_by_field():
    record = parse_connection(load_payload("connections_example.json")["connections"][0])

    assert record.id == "CAISO_62631455-9dfd-433b-9482-fd043f2336d4_Test1012"
    assert record.ref_id == "Test1012"
    assert record.transmission_region == "CAISO"
    assert record.status == "ERROR"
    assert record.started_at == datetime(2023, 1, 11, 2, 44, 57, tzinfo=UTC)
    assert record.last_interaction_at == datetime(2023, 1, 11, 2, 45, 50, tzinfo=UTC)
    (utility,) = record.utilities
    assert utility.authorization_uuid == "910bfb80-8b22-4341-8b5b-8752a21dccad"
    assert utility.utility_name == "SDG&E: San Diego Gas & Electric"
    assert utility.utility_id == "sdge"
    assert utility.utility_is_required is True
    assert utility.status == "ERROR"
    assert utility.error_code == "USER_CANCELED"
    assert utility.last_interaction_at == datetime(2023, 1, 11, 2, 45, 50, tzinfo=UTC)
    assert record.agreements.prohibited_resource_attestation == "NOT_REQUIRED"
    assert record.agreements.demand_response_participation == "NOT_REQUIRED"
    assert record.unknown_values == ()
    assert record.raw["ref_id"] == "Test1012"


def test_records_are_frozen_slotted_and_keep_raw_out_of_repr():
    record = parse_connection(load_payload("connections_example.json")["connections"][0])
    with pytest.raises(FrozenInstanceError):
        record.status = "COMPLETED"  # type: ignore[misc]
    assert not hasattr(record, "__dict__")
    assert "raw=" not in repr(record)
    assert hash(record) == hash(copy.copy(record))


def test_unknown_enum_values_are_kept_as_sent_and_flagged():
    record = parse_connection(load_payload("connections_unknown_values.json")["connections"][0])

    assert record.status == "HALTED"
    assert record.transmission_region == "MISO"
    assert record.utilities[0].status == "SUSPENDED"
    assert record.utilities[0].error_code == "CAPTCHA_FAILED"
    assert record.utilities[0].utility_id == "brand-new-utility-co"
    assert record.agreements.prohibited_resource_attestation == "EXPIRED"
    assert set(record.unknown_values) == {
        "connection_status=HALTED",
        "transmission_region=MISO",
        "utility_connections[0].utility_name=Brand New Utility Co.",
        "utility_connections[0].status=SUSPENDED",
        "utility_connections[0].error_code=CAPTCHA_FAILED",
        "agreements.prohibited_resource_attestation_status=EXPIRED",
    }


def test_a_missing_required_field_names_the_record_and_the_field():
    obj = load_payload("connections_example.json")["connections"][0]
    del obj["connection_status"]

    with pytest.raises(RecordError) as caught:
        parse_connection(obj)

    assert caught.value.record_id == "Test1012"
    assert caught.value.field == "connection_status"
    assert str(caught.value) == "connection Test1012: missing field 'connection_status'"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o.pop("last_interaction_date_time_utc"), "last_interaction_date_time_utc"),
        (
            lambda o: o.update(last_interaction_date_time_utc="yesterday"),
            "last_interaction_date_time_utc",
        ),
        (lambda o: o.update(connection_status=3), "connection_status"),
        (lambda o: o.update(utility_connections="none"), "utility_connections"),
        (lambda o: o["utility_connections"][0].pop("status"), "utility_connections[0].status"),
        (lambda o: o.pop("id"), "id"),
    ],
)
def test_malformed_connections_raise_record_error(change, field):
    obj = load_payload("connections_example.json")["connections"][0]
    change(obj)
    with pytest.raises(RecordError) as caught:
        parse_connection(obj)
    assert caught.value.field == field


def test_a_record_without_any_id_is_reported_as_question_mark():
    with pytest.raises(RecordError) as caught:
        parse_connection({"connection_status": "COMPLETED"})
    assert caught.value.record_id == "?"
    with pytest.raises(RecordError, match=r"connection \?: not a JSON object"):
        parse_connection(["not", "an", "object"])


def test_record_error_survives_pickling():
    err = RecordError("meter", "abc", "meter_id")
    again = pickle.loads(pickle.dumps(err))
    assert (again.record_id, again.field, str(again)) == ("abc", "meter_id", str(err))


def test_a_connection_without_utilities_or_agreements_is_read_leniently():
    obj = load_payload("connections_example.json")["connections"][0]
    del obj["utility_connections"], obj["agreements"], obj["start_date_time_utc"]
    record = parse_connection(obj)
    assert record.utilities == ()
    assert record.started_at is None
    assert record.agreements.prohibited_resource_attestation == "NOT_REQUIRED"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-01-11T02:44:57Z", datetime(2023, 1, 11, 2, 44, 57, tzinfo=UTC)),
        ("2023-01-11T02:44:57", datetime(2023, 1, 11, 2, 44, 57, tzinfo=UTC)),
        ("2023-01-11T04:44:57+02:00", datetime(2023, 1, 11, 2, 44, 57, tzinfo=UTC)),
        ("2000-01-23T04:56:07.000+00:00", datetime(2000, 1, 23, 4, 56, 7, tzinfo=UTC)),
        ("9000-12-31T23:59:59.999999999Z", datetime(9000, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("not a date", None),
        (1700000000, None),
        # valid ISO-8601 whose UTC instant falls outside the years Python can hold
        ("0001-01-01T00:00:00+01:00", None),
        ("9999-12-31T23:59:59-01:00", None),
    ],
)
def test_timestamps_become_aware_utc(text, expected):
    parsed = parse_datetime(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() is not None
        assert parsed.tzinfo == UTC


def test_utility_ids_follow_leaps_link_ids():
    assert utility_id("PG&E: Pacific Gas & Electric") == "pge"
    assert utility_id("PSEG-LI: PSEG Long Island") == "psegli-utilityapi"
    assert utility_id("Staging Test Utility (CAISO)") == "staging-test"
    assert utility_id("Some New Utility!") == "some-new-utility"


# --- Meters v2 ------------------------------------------------------------------------------


def test_the_meter_detail_example_parses():
    meter = parse_meter(load_payload("meter_detail.json"))

    assert meter.meter_id == "11111111-1111-1111-1111-111111111111"
    assert meter.partner_reference == "unique-reference-id-12345"
    # Leap's example repeats the entry: kept once
    assert meter.connection_references == ("connection-reference-id-1",)
    assert meter.transmission_region == "CAISO"
    assert meter.customer_classification == "RESIDENTIAL"
    assert meter.meter_type == "UTILITY_METER"
    assert meter.utility_name == "PGE"
    assert meter.service_account_number == "12243243-121"
    assert meter.customer_name == "Customer Name"
    assert meter.customer_company_name == "Company Name Inc."
    assert meter.service_address == "132 My Street, Apartment 32, New York, NY 10001"
    assert meter.load_types == ("HVAC",)
    assert meter.is_archived is True
    assert meter.created_at == datetime(2000, 1, 23, 4, 56, 7, tzinfo=UTC)
    assert meter.last_modified_at == datetime(2000, 1, 23, 4, 56, 7, tzinfo=UTC)
    assert meter.unknown_values == ()


def test_every_meter_of_the_search_example_parses():
    meters = [parse_meter(m) for m in load_payload("meters_search.json")["meters"]]
    assert len(meters) == 2
    assert {m.meter_id for m in meters} == {"11111111-1111-1111-1111-111111111111"}


def test_enrollment_search_meters_also_parse_as_meters():
    # the enrollments search carries the meter identifiers but no customer or utility block
    for obj in load_payload("enrollments_search.json")["meters"]:
        meter = parse_meter(obj)
        assert meter.customer_name is None
        assert meter.service_address is None
        assert meter.utility_name is None


def test_a_meter_without_audit_or_id_is_a_record_error():
    obj = load_payload("meter_detail.json")
    del obj["audit"]
    with pytest.raises(
        RecordError, match=r"meter 11111111-1111-1111-1111-111111111111: missing field 'audit'"
    ):
        parse_meter(obj)
    obj = load_payload("meter_detail.json")
    del obj["meter_id"]
    with pytest.raises(RecordError) as caught:
        parse_meter(obj)
    assert (caught.value.record_id, caught.value.field) == ("unique-reference-id-12345", "meter_id")


def test_unknown_meter_enums_are_flagged():
    obj = load_payload("meter_detail.json")
    obj.update(meter_type="HEAT_BATTERY", customer_classification="INDUSTRIAL")
    meter = parse_meter(obj)
    assert meter.meter_type == "HEAT_BATTERY"
    assert set(meter.unknown_values) == {
        "meter_type=HEAT_BATTERY",
        "customer_classification=INDUSTRIAL",
    }


# --- Enrollments v2 -------------------------------------------------------------------------

ENROLLMENT_EXAMPLES = [
    "enrollment_simple.json",
    "enrollment_enrolled.json",
    "enrollment_multiple.json",
    "enrollment_detail.json",
]


@pytest.mark.parametrize("name", ENROLLMENT_EXAMPLES)
def test_every_enrollment_example_parses(name):
    obj = load_payload(name)
    record = parse_enrollment(obj)
    assert record.meter_id == obj["meter_id"]
    assert record.global_status == "ACTIVE"
    assert len(record.programs) == len(obj["program_enrollment"])
    assert len(record.partner_actions) == len(obj["required_actions"]["partner"])
    assert record.unknown_values == ()


def test_every_meter_of_the_enrollment_search_example_parses():
    records = [parse_enrollment(m) for m in load_payload("enrollments_search.json")["meters"]]
    assert [r.global_status for r in records] == ["ELIGIBLE"] * 3
    first = records[0]
    assert first.partner_reference == "test_meter"
    assert [a.code for a in first.partner_actions] == ["SERV_0005", "AUTH_0001"]
    assert first.partner_actions[1].description.startswith("End customer must re-authorize")
    assert first.partner_actions[1].action_type == "IS_AUTHORIZED"
    assert first.partner_actions[1].deadline_at == datetime(2024, 11, 1, 4, tzinfo=UTC)
    assert [a.code for a in first.leap_actions] == ["LEAP_0001"]
    assert first.programs[0].program_identifier == "PSEGLI-CSRP"
    assert first.programs[0].status == "INELIGIBLE"
    assert first.programs[0].starts_at == datetime(2025, 5, 1, 4, tzinfo=UTC)
    assert first.last_modified_at == datetime(2024, 10, 10, 12, 8, 13, 538427, tzinfo=UTC)


def test_enrollment_missing_global_status_or_action_code_is_a_record_error():
    obj = load_payload("enrollment_multiple.json")
    del obj["global_enrollment_status"]
    with pytest.raises(RecordError) as caught:
        parse_enrollment(obj)
    assert caught.value.field == "global_enrollment_status"

    obj = load_payload("enrollment_multiple.json")
    del obj["required_actions"]["partner"][0]["action_code"]
    with pytest.raises(RecordError) as caught:
        parse_enrollment(obj)
    assert caught.value.field == "required_actions.partner[0].action_code"
    assert caught.value.record_id == "2fa85f64-5717-4562-b3fc-2c963f66afa6"


def test_unknown_enrollment_statuses_are_kept_and_flagged():
    obj = load_payload("enrollment_multiple.json")
    obj["global_enrollment_status"] = "WAITLISTED"
    obj["program_enrollment"][0]["enrollment_status"] = "PAUSED"
    obj["required_actions"]["partner"][0]["action_type"] = "SIGN_NEW_FORM"
    record = parse_enrollment(obj)
    assert record.global_status == "WAITLISTED"
    assert record.programs[0].status == "PAUSED"
    assert set(record.unknown_values) == {
        "global_enrollment_status=WAITLISTED",
        "program_enrollment[0].enrollment_status=PAUSED",
        "required_actions.partner[0].action_type=SIGN_NEW_FORM",
    }


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("abc", True),
        ("ab", False),
        ("site-42_x.y~z", True),
        ("a/b", False),
        ("x" * 257, False),
        ("has space", True),
        ("a#b", False),
    ],
)
def test_partner_reference_rule_matches_the_meters_api(value, valid):
    assert is_valid_partner_reference(value) is valid


# --- every example in Leap's published OpenAPI files (tests/contracts/) ----------------------

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"


class _TimestampsAsText(yaml.SafeLoader):
    """Keep timestamps as the strings Leap sends (YAML would turn them into datetimes)."""


_TimestampsAsText.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _examples(node: object) -> Iterator[object]:
    """Every example value anywhere in an OpenAPI document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "example":
                yield value
            elif key == "examples" and isinstance(value, dict):
                yield from (
                    v["value"] for v in value.values() if isinstance(v, dict) and "value" in v
                )
            yield from _examples(value)
    elif isinstance(node, list):
        for item in node:
            yield from _examples(item)


def _meter_objects(filename: str) -> list[dict]:
    """The example meters of a contract: single meters and the items of `meters` lists."""
    document = yaml.load((CONTRACTS / filename).read_text(), Loader=_TimestampsAsText)
    found = []
    for example in _examples(document):
        if isinstance(example, dict) and isinstance(example.get("meters"), list):
            found.extend(example["meters"])
        elif isinstance(example, dict) and "meter_id" in example and "audit" in example:
            found.append(example)
    return found


def test_every_meter_example_of_the_meters_contract_parses():
    meters = _meter_objects("leap-meters-v2.yml")
    assert len(meters) >= 4  # MeterDetailsResponse, ReadMeter, ListMeterDetailsResponse ×2
    for obj in meters:
        record = parse_meter(obj)
        assert record.unknown_values == ()
        assert record.created_at.tzinfo == UTC


def test_every_meter_example_of_the_enrollments_contract_parses():
    meters = _meter_objects("leap-enrollments-v2.yml")
    assert len(meters) >= 8
    for obj in meters:
        record = parse_enrollment(obj)
        assert record.unknown_values == ()
        assert record.global_status in {"ACTIVE", "ELIGIBLE"}
        assert parse_meter(obj).meter_id == record.meter_id
