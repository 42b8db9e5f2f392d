"""The sandbox's scenario catalogue: one table, as data.

Each row says what a test case does to a connection (connection_status, the utility's status and
error_code, agreements) and which meters appear later (count, classification, enrollment status,
required actions). The same rows drive the customer journey (UAPI_TEST_<name> usernames and the
Staging Test Utility menu), POST /v2/forms/{form_uid}/test-submit and `sandbox seed`.
The names are UtilityAPI's test scenarios plus Connect-only cases; the README prints this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Utility:
    """A utility the sandbox offers: Leap Connect id, Connect display name, region, enum code."""

    id: str
    name: str
    region: str
    code: str  # the Meters API / webhook `utility` enum
    uapi_name: str  # what UtilityAPI's test-submit calls it


UTILITIES: dict[str, Utility] = {
    u.id: u
    for u in (
        Utility("pge", "PG&E: Pacific Gas & Electric", "CAISO", "PGE", "PG&E"),
        Utility("sce", "SCE: Southern California Edison", "CAISO", "SCE", "SCE"),
        Utility("sdge", "SDG&E: San Diego Gas & Electric", "CAISO", "SDGE", "SDG&E"),
        Utility("cecony-utilityapi", "ConEd: Consolidated Edison", "NYISO", "CECONY", "ConEd"),
        Utility("oru-utilityapi", "O&RU: Orange and Rockland Utilities", "NYISO", "ORU", "O&RU"),
        Utility("psegli-utilityapi", "PSEG-LI: PSEG Long Island", "NYISO", "PSEGLI", "PSEG-LI"),
        Utility("staging-test", "Staging Test Utility (CAISO)", "CAISO", "LEAP_TEST_CAISO", "TEST"),
        Utility("demo", "Demo Utility", "", "DEMO", "DEMO"),
    )
}


def find_utility(value: str) -> Utility | None:
    """A utility by id, Connect display name, enum code or UtilityAPI name (case-insensitive)."""
    wanted = value.strip().lower()
    for utility in UTILITIES.values():
        names = (utility.id, utility.name, utility.code, utility.uapi_name)
        if wanted in (n.lower() for n in names):
            return utility
    return None


@dataclass(frozen=True)
class Action:
    """A required action on a meter's enrollment (Enrollments v2 RequiredAction)."""

    side: str  # "partner" | "leap"
    action_type: str
    action_code: str
    description: str


REAUTHORIZE = Action(
    "partner", "IS_AUTHORIZED", "AUTH_0001", "End customer must re-authorize meter."
)
RELOGIN = Action(
    "partner", "IS_AUTHORIZED", "AUTH_0002", "The utility login stopped working; re-authorize."
)
LEAP_COLLECTING = Action(
    "leap", "IS_ELIGIBLE", "LEAP_0002", "Leap is retrying data collection from the utility."
)
NO_BILLS = Action("partner", "HAS_AMI", "DATA_0001", "No bills are available for this meter.")
NO_INTERVALS = Action(
    "partner", "HAS_AMI", "DATA_0002", "No interval data is available for this meter."
)
PARTIAL_DATA = Action(
    "leap", "NO_MISSING_FIELDS", "DATA_0003", "Some utility data failed to load; Leap retries."
)
ASSIGN = Action(
    "leap", "IS_ASSIGNED_TO_A_RESOURCE", "LEAP_0001", "This meter is not enrolled in the program."
)


@dataclass(frozen=True)
class Scenario:
    """One test case. `connection_status` is the outcome when submitted alone (test-submit)."""

    name: str
    description: str
    connection_status: str
    utility_status: str = "CONNECTED"
    error_code: str | None = None
    meters: int = 0
    classification: str = "RESIDENTIAL"
    enrollment_status: str = "ACTIVE"
    actions: tuple[Action, ...] = ()
    # Connect-only cases
    pra_status: str | None = None  # forces the Prohibited Resources Attestation status
    other_utility: bool = False  # the customer connected a utility other than the requested one
    second_required: bool = False  # a second required utility is left NOT_CONNECTED
    only_utility: str | None = None  # utility-specific scenario (UtilityAPI's pge_cca_service)
    kind: str = "utilityapi"  # "utilityapi" (UAPI_TEST_<name> username) | "connect"
    seed_weight: int = 1  # relative frequency in `sandbox seed`
    tags: tuple[str, ...] = field(default=())

    @property
    def username(self) -> str:
        return f"UAPI_TEST_{self.name}"

    @property
    def in_staging_menu(self) -> bool:
        """The Staging Test Utility offers UtilityAPI cases plus a customer who cancels."""
        return self.kind == "utilityapi" or self.name == "user_canceled"


def _error(name: str, code: str, what: str) -> Scenario:
    return Scenario(name, what, "ERROR", "ERROR", code, seed_weight=2)


def _after(name: str, what: str, action: Action) -> Scenario:
    return Scenario(
        f"{name}_after",
        f"Finds 1 meter, then {what} while collecting its data.",
        "COMPLETED",
        meters=1,
        enrollment_status="PENDING",
        actions=(action,),
    )


_ERRORS = (
    ("badlogin", "BAD_LOGIN", "an invalid utility login", RELOGIN),
    ("websitedown", "UTILITY_WEBSITE_DOWN", "the utility website being down", LEAP_COLLECTING),
    ("utilityerror", "UTILITY_ERROR", "an error on the utility side", LEAP_COLLECTING),
    ("locked", "ACCOUNT_LOCKED", "a locked-out utility login", RELOGIN),
    ("access_unsupported", "MFA_UNSUPPORTED", "an unsupported multi-factor login", RELOGIN),
    ("randomerror", "UNKNOWN_ERROR", "an unexpected error", LEAP_COLLECTING),
    ("wait_to_login", "UTILITY_RATE_LIMITED", "the utility rate-limiting Leap", LEAP_COLLECTING),
    ("pending_manual", "PENDING_MANUAL_REVIEW", "meter collection pending manual review", ASSIGN),
)

SCENARIO_LIST: tuple[Scenario, ...] = (
    Scenario("residential", "Finds 1 residential meter.", "COMPLETED", meters=1, seed_weight=60),
    Scenario(
        "commercial",
        "Finds 4 commercial meters.",
        "COMPLETED",
        meters=4,
        classification="COMMERCIAL",
        enrollment_status="ELIGIBLE",
        actions=(ASSIGN,),
        seed_weight=10,
    ),
    *(_error(name, code, f"Fails with {what}.") for name, code, what, _ in _ERRORS),
    *(_after(name, what, action) for name, _, what, action in _ERRORS),
    Scenario("empty", "An account without any meters.", "ERROR", "ERROR", "NO_METERS_FOUND"),
    Scenario(
        "revoked",
        "Finds 1 meter whose authorization is then revoked.",
        "COMPLETED",
        meters=1,
        enrollment_status="INELIGIBLE",
        actions=(REAUTHORIZE,),
    ),
    Scenario(
        "expired",
        "Finds 1 meter whose authorization then expires.",
        "COMPLETED",
        meters=1,
        enrollment_status="INELIGIBLE",
        actions=(REAUTHORIZE,),
    ),
    Scenario(
        "nobills",
        "Finds 1 meter without bills.",
        "COMPLETED",
        meters=1,
        enrollment_status="INELIGIBLE",
        actions=(NO_BILLS,),
    ),
    Scenario(
        "nointervals",
        "Finds 1 meter without interval data.",
        "COMPLETED",
        meters=1,
        enrollment_status="INELIGIBLE",
        actions=(NO_INTERVALS,),
    ),
    Scenario(
        "partialmeters",
        "Finds only part of the meter list (2 meters); the utility errored on the rest.",
        "ERROR",
        "ERROR",
        "PARTIAL_METERS",
        meters=2,
        enrollment_status="ELIGIBLE",
    ),
    Scenario(
        "partialbills",
        "Finds 1 meter; some bills fail to load.",
        "COMPLETED",
        meters=1,
        enrollment_status="ELIGIBLE",
        actions=(PARTIAL_DATA,),
    ),
    Scenario(
        "partialintervals",
        "Finds 1 meter; some intervals fail to load.",
        "COMPLETED",
        meters=1,
        enrollment_status="ELIGIBLE",
        actions=(PARTIAL_DATA,),
    ),
    Scenario(
        "pge_cca_service",
        "PG&E only: a CCA service and its parent service (2 meters).",
        "COMPLETED",
        meters=2,
        only_utility="pge",
    ),
    Scenario(
        "user_canceled",
        "The customer cancels at the utility.",
        "ERROR",
        "ERROR",
        "USER_CANCELED",
        kind="connect",
        seed_weight=4,
    ),
    Scenario(
        "never_logged_in",
        "Opened the link, picked a utility, never logged in.",
        "NOT_STARTED",
        "NOT_CONNECTED",
        kind="connect",
        seed_weight=8,
    ),
    Scenario(
        "other_utility",
        "Residential: connected a utility other than the requested one.",
        "PARTIAL",
        meters=1,
        other_utility=True,
        kind="connect",
        seed_weight=2,
    ),
    Scenario(
        "agreement_pending",
        "Commercial: utility connected, Prohibited Resources Attestation not signed yet.",
        "PARTIAL",
        classification="COMMERCIAL",
        pra_status="PENDING",
        kind="connect",
        seed_weight=2,
    ),
    Scenario(
        "agreement_declined",
        "Commercial: utility connected, Prohibited Resources Attestation declined.",
        "PARTIAL",
        classification="COMMERCIAL",
        pra_status="DECLINED",
        kind="connect",
    ),
    Scenario(
        "one_of_two_required",
        "Commercial: one of two required utilities connected.",
        "PARTIAL",
        classification="COMMERCIAL",
        second_required=True,
        kind="connect",
        seed_weight=2,
    ),
)
SCENARIOS: dict[str, Scenario] = {s.name: s for s in SCENARIO_LIST}
