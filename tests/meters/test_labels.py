"""Every Leap value the meters pages show has our words: each enum value of Leap's published
Meters and Enrollments contracts (and of leapdash's records), each required-action code Leap's
examples or the sandbox send, and every utility, named as elsewhere in leapdash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from leapdash.leap import records
from leapdash.leap.sandbox import scenarios
from leapdash.leap.utilities import UTILITY_LABELS
from meters import labels
from meters.filters import MeterFilter
from meters.templatetags.meter_words import as_datetime

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"
SPECS = ("leap-meters-v2.yml", "leap-enrollments-v2.yml", "leap-webhooks-v1.1.yml")
# the contracts' enum schemas a meters page shows, and the vocabulary that labels each
SHOWN = {
    "transmission_region": "region",
    "CustomerClassification": "classification",
    "MeterType": "meter_type",
    "EnrollmentStatus": "enrollment",
    "action_type": "action_type",
}
RECORDS = {
    "region": records.TRANSMISSION_REGIONS,
    "classification": records.CUSTOMER_CLASSIFICATIONS,
    "meter_type": records.METER_TYPES,
    "enrollment": records.ENROLLMENT_STATUSES,
    "action_type": records.ACTION_TYPES,
}


def _schemas(spec: str) -> dict:
    return yaml.safe_load((CONTRACTS / spec).read_text())["components"]["schemas"]


def _contract_values() -> list[tuple[str, str, str]]:
    rows: set[tuple[str, str, str]] = set()
    for spec in SPECS:
        for name, schema in _schemas(spec).items():
            if name in SHOWN:
                rows.update((spec, SHOWN[name], v) for v in schema["enum"])
    rows.update(("records", kind, v) for kind, values in RECORDS.items() for v in values)
    return sorted(rows)


def _is_words(text: str, raw: str) -> bool:
    return bool(text) and text != raw and "_" not in text


@pytest.mark.parametrize(("source", "kind", "value"), _contract_values())
def test_every_enum_value_has_a_label_in_words(source, kind, value):
    assert _is_words(labels.label(kind, value), value), (source, kind, value)


UTILITY_CODES = sorted(
    {
        v
        for spec in ("leap-meters-v2.yml", "leap-webhooks-v1.1.yml")
        for v in _schemas(spec)["utility"]["enum"]
    }
)


@pytest.mark.parametrize("code", UTILITY_CODES)
def test_every_utility_of_the_meters_api_has_a_name(code):
    assert _is_words(labels.utility_label(code), code)


@pytest.mark.parametrize(
    ("code", "link_id", "short"),
    [
        ("PGE", "pge", "PG&E"),
        ("SCE", "sce", "SCE"),
        ("SDGE", "sdge", "SDG&E"),
        ("CECONY", "cecony-utilityapi", "ConEd"),
        ("ORU", "oru-utilityapi", "O&RU"),
        ("PSEGLI", "psegli-utilityapi", "PSEG-LI"),
    ],
)
def test_the_utilities_we_link_to_read_as_everywhere_else(code, link_id, short):
    assert labels.utility_label(code) == UTILITY_LABELS[link_id]
    assert f"({short})" in labels.utility_label(code)


def _known_action_codes() -> list[str]:
    codes = {a.action_code for a in vars(scenarios).values() if isinstance(a, scenarios.Action)}
    for spec in SPECS:
        codes.update(re.findall(r"action_code:\s*([A-Z]+_\d{4})", (CONTRACTS / spec).read_text()))
        codes.update(re.findall(r"example:\s*([A-Z]+_\d{4})", (CONTRACTS / spec).read_text()))
    return sorted(codes)


@pytest.mark.parametrize("code", _known_action_codes())
def test_every_known_action_code_has_a_meaning(code):
    meaning = labels.action_meaning(code)
    assert meaning.endswith(".")
    assert code not in meaning


def test_the_action_codes_found_include_the_reauthorizations():
    assert {"AUTH_0001", "AUTH_0002", "LEAP_0001"} <= set(_known_action_codes())


def test_unknown_values_are_shown_raw_and_nothing_is_empty():
    assert labels.label("region", "MARS_GRID") == "MARS_GRID"
    assert labels.label("region", "") == ""
    assert labels.label("region", None) == ""
    assert labels.utility_label("NEW_CO") == "NEW_CO"
    assert labels.action_meaning("ZZZ_0001") == ""
    with pytest.raises(KeyError):
        labels.label("colour", "RED")


def test_the_meter_filters_offer_labels_not_leaps_values(db):
    form = MeterFilter({}).form
    region = dict(form.fields["transmission_region"].choices)
    assert region["WECC_SW"] == "Southwest (WECC)"
    assert region["CAISO"] == "California (CAISO)"
    assert dict(form.fields["customer_classification"].choices)["RESIDENTIAL"] == "Residential"
    assert dict(form.fields["global_enrollment_status"].choices)["ACTIVE"] == "Enrolled"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-11-01T07:00:00Z", "2024-11-01 07:00 UTC"),
        ("2024-11-01T07:00:00+00:00", "2024-11-01 07:00 UTC"),
        ("not a date", None),
        ("", None),
        (None, None),
        (7, None),
    ],
)
def test_enrollment_timestamps_kept_as_text_become_datetimes(value, expected):
    parsed = as_datetime(value)
    assert (parsed.strftime("%Y-%m-%d %H:%M %Z") if parsed else None) == expected
