"""Plain words for the Leap values the meters pages show.

Every value of the Meters and Enrollments v2 enums that a meters page displays (regions,
customer types, meter types, enrollment statuses, action types, utilities) has a label here,
and each required-action code Leap or the sandbox is known to send has its meaning. The
values stay Leap's (the filters and the CSV export use them unchanged); an unknown value is
shown raw, never hidden (STYLE.md). Utilities leapdash links to take their names from
leapdash/leap/utilities.py, so a meter's utility reads as it does everywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable

from leapdash.leap.utilities import METER_UTILITY_CODES, UTILITY_LABELS

REGION_LABELS = {
    "CAISO": "California (CAISO)",
    "ERCOT": "Texas (ERCOT)",
    "NYISO": "New York (NYISO)",
    "ISONE": "New England (ISO-NE)",
    "PJM": "Mid-Atlantic (PJM)",
    "SERC": "Southeast (SERC)",
    "WECC_SW": "Southwest (WECC)",
    "WECC_PC": "Pacific (WECC)",
}
CLASSIFICATION_LABELS = {"RESIDENTIAL": "Residential", "COMMERCIAL": "Commercial"}
METER_TYPE_LABELS = {"UTILITY_METER": "Utility meter", "SUBMETER": "Submeter", "DEVICE": "Device"}
ENROLLMENT_LABELS = {
    "ACTIVE": "Enrolled",
    "ELIGIBLE": "Eligible, not enrolled yet",
    "INELIGIBLE": "Not eligible",
    "NOT_PARTICIPATING": "Not participating",
    "PENDING": "Being checked",
}
# What each kind of required action is about (leap-enrollments-v2.yml `action_type`).
ACTION_TYPE_LABELS = {
    "IS_AUTHORIZED": "Data-sharing authorization",
    "DOCUMENTS_SIGNED": "Signed documents",
    "HAS_AMI": "Smart-meter data",
    "NOT_ENROLLED_IN_CONFLICTING_PROGRAM": "No conflicting program",
    "PARTICIPATING": "Participation",
    "HAS_MARKET_REGISTRATION": "Market registration",
    "NO_MISSING_FIELDS": "Missing details",
    "GENERATOR": "Generator details",
    "ADDRESS": "Service address",
    "HAS_NOMINATIONS": "Nominations",
    "HAS_BIDDING_STRATEGY": "Bidding strategy",
    "IS_ELIGIBLE": "Eligibility",
    "IS_ASSIGNED_TO_A_RESOURCE": "Assignment to a resource",
    "MEETS_EXTRA_PROGRAM_REQUIREMENTS": "Extra program requirements",
}
# Required-action codes: Leap publishes no list. These are the codes of its examples
# (leap-enrollments-v2.yml, leap-webhooks-v1.1.yml) and of the sandbox's scenarios, with what
# each asks of whom; Leap's own description is shown beside it.
ACTION_CODE_MEANINGS = {
    "AUTH_0001": "The customer must authorize data sharing for this meter again.",
    "AUTH_0002": "The customer's utility login stopped working: they must log in and "
    "authorize again.",
    "SERV_0002": "Leap is missing some of the meter's details: fill in the fields it names.",
    "SERV_0005": "Leap needs a setting from you for the fields it names (such as voltage).",
    "DATA_0001": "The utility has no bills for this meter.",
    "DATA_0002": "The utility has no interval (smart-meter) data for this meter.",
    "DATA_0003": "Some of the utility's data failed to load; Leap retries.",
    "LEAP_0001": "Leap has not enrolled the meter in the program yet: nothing to do on your side.",
    "LEAP_0002": "Leap is retrying the data collection from the utility.",
}
# The Meters API's other utilities (its `utility` enum), for meters of utilities leapdash does
# not link to. Two codes Leap does not spell out read as the code plus "utility".
OTHER_UTILITY_LABELS = {
    "SMUD": "Sacramento Municipal Utility District (SMUD)",
    "LADWP": "Los Angeles Department of Water and Power (LADWP)",
    "SVP": "Silicon Valley Power (SVP)",
    "NYS": "New York State Electric & Gas (NYSEG)",
    "RIE": "Rhode Island Energy",
    "EVERSOURCE": "Eversource",
    "NATGRID": "National Grid",
    "UNITIL": "Unitil",
    "PPL": "PPL Electric Utilities",
    "CAPELIGHT": "Cape Light Compact",
    "UPLIGHT": "Uplight",
    "UNITED_ILLUMINATED": "United Illuminating",
    "SMT": "Smart Meter Texas",
    "AEP_CENTRAL": "AEP Texas Central",
    "AEP_NORTH": "AEP Texas North",
    "NUECES_ELECTRIC": "Nueces Electric Cooperative",
    "ONCOR": "Oncor",
    "CENTERPOINT": "CenterPoint Energy",
    "ENTERGY_GULF": "Entergy Texas",
    "SWEPCO": "Southwestern Electric Power (SWEPCO)",
    "TNMP": "Texas-New Mexico Power (TNMP)",
    "DEMO": "Demo Utility",
    "DEMO2": "Second demo utility",
    "LEAP_TEST_CAISO": "Staging Test Utility (CAISO)",
    "LEAP_TEST_NYISO": "Staging Test Utility (NYISO)",
    "COMED": "Commonwealth Edison (ComEd)",
    "BGE": "Baltimore Gas and Electric (BGE)",
    "PECO": "PECO Energy",
    "METED": "Met-Ed",
    "PENELEC": "Penelec",
    "PSEG": "Public Service Electric and Gas (PSE&G)",
    "DOMINION": "Dominion Energy",
    "WESTPENN": "West Penn Power",
    "PENNPOWER": "Penn Power",
    "PEPCO": "Pepco",
    "PJM_DEMO": "PJM demo utility",
    "OTHER": "Another utility",
    "NES": "Nashville Electric Service (NES)",
    "MLGW": "Memphis Light, Gas and Water (MLGW)",
    "KUB": "Knoxville Utilities Board (KUB)",
    "NPU": "NPU utility",
    "MTEMC": "Middle Tennessee Electric (MTE)",
    "PRECC": "PRECC utility",
    "HSVU": "Huntsville Utilities",
    "SRP": "Salt River Project (SRP)",
    "PSE": "Puget Sound Energy (PSE)",
    "TVA": "Tennessee Valley Authority (TVA)",
}

LABELS: dict[str, dict[str, str]] = {
    "region": REGION_LABELS,
    "classification": CLASSIFICATION_LABELS,
    "meter_type": METER_TYPE_LABELS,
    "enrollment": ENROLLMENT_LABELS,
    "action_type": ACTION_TYPE_LABELS,
}


def label(kind: str, value: str | None) -> str:
    """Our words for one of Leap's values ("" for none; an unknown value as sent). An unknown
    `kind` raises KeyError: a template asking for a vocabulary that does not exist is a bug."""
    words = LABELS[kind]
    return words.get(value, value) if value else ""


def choices(kind: str, values: Iterable[str]) -> list[tuple[str, str]]:
    """(Leap's value, our label) pairs for a filter."""
    return [(v, label(kind, v)) for v in values]


def utility_label(code: str | None) -> str:
    """The name of a meter's utility (Leap's Meters enum, e.g. PGE → "… (PG&E)")."""
    if not code:
        return ""
    link_id = METER_UTILITY_CODES.get(code)
    if link_id is not None:
        return UTILITY_LABELS[link_id]
    return OTHER_UTILITY_LABELS.get(code, code)


def action_meaning(code: str | None) -> str:
    """What a required-action code asks for ("" when the code is not one we know)."""
    return ACTION_CODE_MEANINGS.get(code or "", "")
