"""What a Leap connection's statuses mean and what the partner should do next: pure, no I/O.

classify() follows Leap's three processing steps (LEAP_API.md §2): the overall
connection_status, then each utility connection, then the agreements; and Leap's stale rule:
automated actions wait until the last interaction is at least an hour old, because Leap
refreshes Connect data hourly. The customer type decides step 2: a commercial customer must
connect every required utility, a residential one who connected another utility is parked
unless the flow asks to follow up. Who acts on each error comes from actors.py. The verdict is
stored at sync time so tables filter in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from links.models import CustomerType

from .actors import CUSTOMER_ACTIONS, MANUAL_REVIEW_PATIENCE, Actor, error_actor
from .choices import (
    Action,
    Agreement,
    AgreementStatus,
    ConnectionStatus,
    ErrorCode,
    UtilityStatus,
    is_known,
    label_of,
)
from .messages import error_message_key, join_names

if TYPE_CHECKING:
    from leapdash.leap.records import ConnectionRecord, UtilityConnectionRecord

# Leap refreshes Connect data hourly: never act on a record younger than that.
QUIET_PERIOD = timedelta(hours=1)
# Raised whenever classify() changes its verdicts: the next sync classifies every stored
# connection again (connections.reclassify).
RULES_VERSION = 2


@dataclass(frozen=True, slots=True)
class NextAction:
    kind: Action
    reason: str = ""
    message_key: str = ""  # key into MESSAGES; "" when nothing is sent to the customer
    # when automated follow-up may start; for a manual review, when it goes to ops
    actionable_at: datetime | None = None
    subjects: tuple[str, ...] = ()  # the utilities or agreements the message is about


@dataclass(frozen=True, slots=True)
class Customer:
    """What the partner knows of the customer behind a connection."""

    type: str = ""  # CustomerType value; "" when no link of ours carries the refId
    follow_up_other_utility: bool = False  # the flow's choice (residential customers)


UNKNOWN_CUSTOMER = Customer()


# --- classify ---------------------------------------------------------------------------------


def _utility_label(utility: UtilityConnectionRecord) -> str:
    return utility.utility_name or utility.utility_id


def _customer_action(
    kind: Action, actionable_at: datetime, reason: str, key: str, *subj: str
) -> NextAction:
    return NextAction(kind, reason, key, actionable_at, tuple(subj))


def _utility_error(
    u: UtilityConnectionRecord, at: datetime, now: datetime, context: str = ""
) -> NextAction:
    """A utility in ERROR, routed by who acts on its code (actors.ERROR_ACTORS)."""
    code = u.error_code or ""
    known = is_known(ErrorCode, code)
    what = label_of(ErrorCode, code) if known else f"unrecognised error code {code or '(none)'}"
    name = _utility_label(u)
    reason = f"{name}: {what}{context}"
    actor = error_actor(code)
    if actor == Actor.CUSTOMER_REAUTHORIZE:
        return _customer_action(Action.REAUTHORIZE, at, reason, error_message_key(code), name)
    if actor == Actor.NOBODY_YET:
        # the provider reviews by hand: no customer touch; ops ask Leap after a few days
        since = at - QUIET_PERIOD
        escalate_at = since + MANUAL_REVIEW_PATIENCE
        if now >= escalate_at:
            days = MANUAL_REVIEW_PATIENCE.days
            reason = f"{reason} for over {days} days: ask Leap support"
            return NextAction(Action.ASK_LEAP_SUPPORT, reason, subjects=(name,))
        return NextAction(
            Action.PROVIDER_REVIEW,
            f"{reason}: the data provider is reviewing, nothing for the customer to do",
            actionable_at=escalate_at,
            subjects=(name,),
        )
    return _customer_action(Action.TAILORED_MESSAGE, at, reason, error_message_key(code), name)


def _errors_first(missing: Sequence[UtilityConnectionRecord]) -> list[UtilityConnectionRecord]:
    """Errors the customer can act on come first, then plain not-connected utilities, then
    errors nobody can act on yet (a manual review)."""

    def rank(u: UtilityConnectionRecord) -> int:
        if u.status != UtilityStatus.ERROR:
            return 1
        return 2 if error_actor(u.error_code) == Actor.NOBODY_YET else 0

    return sorted(missing, key=rank)  # stable: Leap's order within a rank


def _first_problem(
    missing: Sequence[UtilityConnectionRecord],
    at: datetime,
    now: datetime,
    *,
    note: str = "",
    not_connected: Action = Action.RESEND_LINK,
) -> NextAction:
    """The most useful problem among the utilities still missing: an error with its tailored
    message, else the utilities not connected yet, else a manual review."""
    first = _errors_first(missing)[0]
    if first.status == UtilityStatus.ERROR:
        rest = [_utility_label(u) for u in missing if u is not first]
        context = f" (also missing: {join_names(rest)})" if rest else ""
        return _utility_error(first, at, now, context + note)
    names = [_utility_label(u) for u in missing if u.status != UtilityStatus.ERROR]
    if not_connected == Action.CONNECT_REQUIRED_UTILITY:
        reason, key = "Required utilities not connected", "connect_required_utility"
    else:
        reason, key = "Not connected yet", "resend_link"
    return _customer_action(not_connected, at, f"{reason}: {join_names(names)}{note}", key, *names)


def _parked(
    connected: Sequence[UtilityConnectionRecord], names: list[str], note: str
) -> NextAction:
    return NextAction(
        Action.OTHER_UTILITY_CONNECTED,
        f"Connected {join_names(_utility_label(u) for u in connected)} instead of "
        f"{join_names(names)}{note}",
        "other_utility_connected",
        None,
        tuple(names),
    )


def _utility_step(
    record: ConnectionRecord, at: datetime, now: datetime, customer: Customer
) -> NextAction | None:
    """Step 2: None when the utilities are satisfied (go on to the agreements)."""
    utilities = record.utilities
    for u in utilities:
        if not is_known(UtilityStatus, u.status):
            return NextAction(
                Action.REVIEW_UNKNOWN,
                f"{_utility_label(u)} has an unrecognised status {u.status!r}",
                subjects=(_utility_label(u),),
            )
    if not utilities:
        return _customer_action(
            Action.RESEND_LINK, at, "No utility login attempted yet", "resend_link"
        )
    connected = [u for u in utilities if u.status == UtilityStatus.CONNECTED]
    required = [u for u in utilities if u.utility_is_required]
    if not required:
        # No utility was requested: any connected utility satisfies step 2.
        return None if connected else _first_problem(utilities, at, now)
    missing = [u for u in required if u.status != UtilityStatus.CONNECTED]
    if not missing:
        return None
    names = [_utility_label(u) for u in missing]
    if customer.type == CustomerType.COMMERCIAL:
        return _commercial(missing, bool(connected), at, now)
    if customer.type == CustomerType.RESIDENTIAL:
        others = [u for u in connected if not u.utility_is_required]
        if others and not customer.follow_up_other_utility:
            # Leap keeps it PARTIAL and suggests not following up (no meter there, perhaps).
            return _parked(others, names, "")
        return _first_problem(missing, at, now)
    # Unknown type (no link of ours): one required utility plus another connected reads as a
    # residential customer who chose another utility; several required, as a commercial one.
    if len(required) == 1 and connected:
        return _parked(connected, names, " (customer type unknown)")
    if len(required) == 1:
        return _first_problem(missing, at, now, note=" (customer type unknown)")
    return _commercial(missing, bool(connected), at, now, " (customer type unknown)")


def _commercial(
    missing: Sequence[UtilityConnectionRecord],
    any_connected: bool,
    at: datetime,
    now: datetime,
    note: str = "",
) -> NextAction:
    """Commercial: every required utility must be connected. An error on a required utility
    gets its tailored message first; a connected utility elsewhere never parks the customer."""
    several = any_connected or len(missing) > 1
    kind = Action.CONNECT_REQUIRED_UTILITY if several else Action.RESEND_LINK
    return _first_problem(missing, at, now, note=note, not_connected=kind)


def _agreement_step(record: ConnectionRecord, at: datetime) -> NextAction:
    """Step 3: NOT_REQUIRED is ignored; DECLINED before PENDING (it needs a different tone)."""
    statuses = {
        Agreement.PROHIBITED_RESOURCE_ATTESTATION: (
            record.agreements.prohibited_resource_attestation
        ),
        Agreement.DEMAND_RESPONSE_PARTICIPATION: record.agreements.demand_response_participation,
    }
    for agreement, value in statuses.items():
        if not is_known(AgreementStatus, value):
            return NextAction(
                Action.REVIEW_UNKNOWN,
                f"{agreement.label} has an unrecognised status {value!r}",
                subjects=(str(agreement.label),),
            )
    declined = [str(a.label) for a, v in statuses.items() if v == AgreementStatus.DECLINED]
    if declined:
        return _customer_action(
            Action.AGREEMENT_DECLINED,
            at,
            f"Declined: {join_names(declined)}",
            "agreement_declined",
            *declined,
        )
    pending = [str(a.label) for a, v in statuses.items() if v == AgreementStatus.PENDING]
    if pending:
        return _customer_action(
            Action.SIGN_AGREEMENT, at, f"To sign: {join_names(pending)}", "sign_agreement", *pending
        )
    return NextAction(
        Action.REVIEW_UNKNOWN,
        f"Leap reports {record.status} but every required utility is connected and no "
        "agreement is outstanding",
    )


def _pending_action(
    record: ConnectionRecord, at: datetime, now: datetime, customer: Customer
) -> NextAction:
    """Steps 1–3 for a record that is not COMPLETED, ignoring the stale rule."""
    if record.status == ConnectionStatus.NOT_STARTED:
        return _customer_action(
            Action.RESEND_LINK,
            at,
            "Opened the link but never logged in to a utility",
            "resend_link",
        )
    return _utility_step(record, at, now, customer) or _agreement_step(record, at)


def classify(
    record: ConnectionRecord, now: datetime, customer: Customer = UNKNOWN_CUSTOMER
) -> NextAction:
    """What the partner should do next about one connection, following Leap's steps."""
    if record.status == ConnectionStatus.COMPLETED:
        return NextAction(
            Action.WAIT_FOR_METERS,
            "Connected; Leap creates the meters in about 24 hours, at times much longer",
        )
    if not is_known(ConnectionStatus, record.status):
        return NextAction(
            Action.REVIEW_UNKNOWN, f"Unrecognised connection status {record.status!r}"
        )
    actionable_at = record.last_interaction_at + QUIET_PERIOD
    action = _pending_action(record, actionable_at, now, customer)
    if action.kind in CUSTOMER_ACTIONS and now < actionable_at:
        # Leap's data may be up to an hour stale: the customer could still be mid-flow.
        # Verdicts that ask nothing of the customer show at once.
        return NextAction(
            Action.IN_PROGRESS,
            f"Active within the last hour; then: {action.reason}",
            action.message_key,
            actionable_at,
            action.subjects,
        )
    return action
