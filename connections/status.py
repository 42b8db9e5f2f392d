"""What a Leap connection's statuses mean and what the partner should do next: pure, no I/O.

classify() follows Leap's three processing steps (LEAP_API.md §2): the overall
connection_status, then each utility connection, then the agreements; and Leap's stale rule:
automated actions wait until the last interaction is at least an hour old, because Leap
refreshes Connect data hourly. The verdict is stored at sync time so tables filter in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from django.db import models

# The catalogue moved to messages.py; these names stay importable from here ("X as X" re-exports).
from .messages import GENERIC_ERROR_KEY as GENERIC_ERROR_KEY
from .messages import MESSAGES as MESSAGES
from .messages import Message as Message
from .messages import error_message_key as error_message_key
from .messages import join_names
from .messages import render_message as render_message

if TYPE_CHECKING:
    from leapdash.leap.records import ConnectionRecord, UtilityConnectionRecord

# Leap refreshes Connect data hourly: never act on a record younger than that.
QUIET_PERIOD = timedelta(hours=1)


class ConnectionStatus(models.TextChoices):
    COMPLETED = "COMPLETED", "Completed"
    NOT_STARTED = "NOT_STARTED", "Not started"
    PARTIAL = "PARTIAL", "Partly connected"
    ERROR = "ERROR", "Error"


class UtilityStatus(models.TextChoices):
    CONNECTED = "CONNECTED", "Connected"
    NOT_CONNECTED = "NOT_CONNECTED", "Not connected"
    ERROR = "ERROR", "Error"


class AgreementStatus(models.TextChoices):
    NOT_REQUIRED = "NOT_REQUIRED", "Not required"
    PENDING = "PENDING", "Pending"
    SIGNED = "SIGNED", "Signed"
    DECLINED = "DECLINED", "Declined"


class ErrorCode(models.TextChoices):
    USER_CANCELED = "USER_CANCELED", "Customer cancelled"
    BAD_LOGIN = "BAD_LOGIN", "Wrong utility login"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED", "Utility account locked"
    MFA_UNSUPPORTED = "MFA_UNSUPPORTED", "Unsupported two-factor login"
    UTILITY_WEBSITE_DOWN = "UTILITY_WEBSITE_DOWN", "Utility website down"
    UTILITY_ERROR = "UTILITY_ERROR", "Utility error"
    UTILITY_RATE_LIMITED = "UTILITY_RATE_LIMITED", "Utility rate-limited"
    NO_METERS_FOUND = "NO_METERS_FOUND", "No meters found"
    PARTIAL_METERS = "PARTIAL_METERS", "Some meters missing"
    PENDING_MANUAL_REVIEW = "PENDING_MANUAL_REVIEW", "Pending manual review"
    AUTHORIZATION_REVOKED = "AUTHORIZATION_REVOKED", "Authorization revoked"
    AUTHORIZATION_EXPIRED = "AUTHORIZATION_EXPIRED", "Authorization expired"
    UNKNOWN_ERROR = "UNKNOWN_ERROR", "Unknown error"


class Agreement(models.TextChoices):
    """The two agreements Leap Connect can collect (keys of ConnectionRecord.agreements)."""

    PROHIBITED_RESOURCE_ATTESTATION = (
        "prohibited_resource_attestation",
        "Prohibited Resources Attestation",
    )
    DEMAND_RESPONSE_PARTICIPATION = (
        "demand_response_participation",
        "Demand Response Participation Agreement",
    )


class Action(models.TextChoices):
    """The partner's next step for one connection (stored in Connection.next_action)."""

    IN_PROGRESS = "IN_PROGRESS", "In progress"
    WAIT_FOR_METERS = "WAIT_FOR_METERS", "Wait for meters"
    METERS_ARRIVED = "METERS_ARRIVED", "Meters arrived"
    METERS_OVERDUE = "METERS_OVERDUE", "Meters overdue"
    RESEND_LINK = "RESEND_LINK", "Resend the link"
    TAILORED_MESSAGE = "TAILORED_MESSAGE", "Send a tailored message"
    CONNECT_REQUIRED_UTILITY = "CONNECT_REQUIRED_UTILITY", "Connect a required utility"
    SIGN_AGREEMENT = "SIGN_AGREEMENT", "Ask to sign an agreement"
    AGREEMENT_DECLINED = "AGREEMENT_DECLINED", "Agreement declined"
    OTHER_UTILITY_CONNECTED = "OTHER_UTILITY_CONNECTED", "Connected another utility"
    REVIEW_UNKNOWN = "REVIEW_UNKNOWN", "Review: unexpected data"


# Actions that mean contacting the customer: the re-engagement queue works on these.
CUSTOMER_ACTIONS = frozenset(
    {
        Action.RESEND_LINK,
        Action.TAILORED_MESSAGE,
        Action.CONNECT_REQUIRED_UTILITY,
        Action.SIGN_AGREEMENT,
        Action.AGREEMENT_DECLINED,
    }
)


def is_known(choices: type[models.TextChoices], value: str | None) -> bool:
    return value is not None and value in _values(choices)


@cache
def _values(choices: type[models.TextChoices]) -> frozenset[str]:
    """A choices class's values, built once: Django rebuilds the list on every access, which
    the sync would pay several times per record."""
    return frozenset(choices.values)


def label_of(choices: type[models.TextChoices], value: str | None) -> str:
    """Our label for a Leap value; an unknown value is shown raw, never hidden."""
    if value is None or value == "":
        return "—"
    return _labels(choices).get(value, value)


@cache
def _labels(choices: type[models.TextChoices]) -> Mapping[str, str]:
    return dict(choices.choices)


# Badge classes (static/css/app.css): one colour per meaning, chosen here, never in a template.
_BADGES: dict[str, str] = {
    ConnectionStatus.COMPLETED: "badge-ok",
    ConnectionStatus.NOT_STARTED: "badge-info",
    ConnectionStatus.PARTIAL: "badge-warn",
    ConnectionStatus.ERROR: "badge-bad",
    UtilityStatus.CONNECTED: "badge-ok",
    UtilityStatus.NOT_CONNECTED: "badge-warn",
    AgreementStatus.NOT_REQUIRED: "badge-muted",
    AgreementStatus.PENDING: "badge-warn",
    AgreementStatus.SIGNED: "badge-ok",
    AgreementStatus.DECLINED: "badge-bad",
    Action.IN_PROGRESS: "badge-info",
    Action.WAIT_FOR_METERS: "badge-info",
    Action.METERS_ARRIVED: "badge-ok",
    Action.METERS_OVERDUE: "badge-bad",
    Action.RESEND_LINK: "badge-warn",
    Action.TAILORED_MESSAGE: "badge-warn",
    Action.CONNECT_REQUIRED_UTILITY: "badge-warn",
    Action.SIGN_AGREEMENT: "badge-warn",
    Action.AGREEMENT_DECLINED: "badge-bad",
    Action.OTHER_UTILITY_CONNECTED: "badge-muted",
    Action.REVIEW_UNKNOWN: "badge-bad",
}
# ERROR is both a connection and a utility status: same colour either way.
UNKNOWN_BADGE = "badge-unknown"


def badge_class(value: str | None) -> str:
    """CSS class for a status or action badge; unknown values get a distinct neutral badge."""
    return _BADGES.get(value or "", UNKNOWN_BADGE)


@dataclass(frozen=True, slots=True)
class NextAction:
    kind: Action
    reason: str = ""
    message_key: str = ""  # key into MESSAGES; "" when nothing is sent to the customer
    actionable_at: datetime | None = None  # when automated follow-up may start
    subjects: tuple[str, ...] = ()  # the utilities or agreements the message is about


# --- classify ---------------------------------------------------------------------------------


def _utility_label(utility: UtilityConnectionRecord) -> str:
    return utility.utility_name or utility.utility_id


def _customer_action(
    kind: Action, actionable_at: datetime, reason: str, key: str, *subj: str
) -> NextAction:
    return NextAction(kind, reason, key, actionable_at, tuple(subj))


def _utility_error(u: UtilityConnectionRecord, at: datetime, context: str = "") -> NextAction:
    code = u.error_code or ""
    known = is_known(ErrorCode, code)
    what = label_of(ErrorCode, code) if known else f"unrecognised error code {code or '(none)'}"
    reason = f"{_utility_label(u)}: {what}{context}"
    return _customer_action(
        Action.TAILORED_MESSAGE, at, reason, error_message_key(code), _utility_label(u)
    )


def _utility_step(
    record: ConnectionRecord, at: datetime, follow_up_other_utility: bool
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
        if connected:
            return None
        return _first_problem(utilities, at, "")
    missing = [u for u in required if u.status != UtilityStatus.CONNECTED]
    if not missing:
        return None
    names = [_utility_label(u) for u in missing]
    if len(required) == 1 and connected:
        # Residential customer who connected another utility than the requested one: Leap
        # keeps it PARTIAL and suggests not following up (they may have no meter there).
        if not follow_up_other_utility:
            return NextAction(
                Action.OTHER_UTILITY_CONNECTED,
                f"Connected {join_names(_utility_label(u) for u in connected)} "
                f"instead of {names[0]}",
                "other_utility_connected",
                None,
                tuple(names),
            )
        return _first_problem(missing, at, "")
    if len(required) == 1:
        return _first_problem(missing, at, "")
    # Commercial: every required utility must be connected. An error gets its tailored
    # message first; otherwise name every missing utility.
    errored = [u for u in missing if u.status == UtilityStatus.ERROR]
    if errored:
        rest = [n for n in names if n != _utility_label(errored[0])]
        context = f" (also missing: {join_names(rest)})" if rest else ""
        return _utility_error(errored[0], at, context)
    return _customer_action(
        Action.CONNECT_REQUIRED_UTILITY,
        at,
        f"Required utilities not connected: {join_names(names)}",
        "connect_required_utility",
        *names,
    )


def _first_problem(
    utilities: Sequence[UtilityConnectionRecord], at: datetime, context: str
) -> NextAction:
    """Errors first (they have a tailored message), then plain not-connected ones."""
    for u in utilities:
        if u.status == UtilityStatus.ERROR:
            return _utility_error(u, at, context)
    names = [_utility_label(u) for u in utilities]
    return _customer_action(
        Action.RESEND_LINK, at, f"Not connected yet: {join_names(names)}", "resend_link", *names
    )


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


def _pending_action(record: ConnectionRecord, at: datetime, follow_up: bool) -> NextAction:
    """Steps 1–3 for a record that is not COMPLETED, ignoring the stale rule."""
    if record.status == ConnectionStatus.NOT_STARTED:
        return _customer_action(
            Action.RESEND_LINK,
            at,
            "Opened the link but never logged in to a utility",
            "resend_link",
        )
    return _utility_step(record, at, follow_up) or _agreement_step(record, at)


def classify(
    record: ConnectionRecord, now: datetime, *, follow_up_other_utility: bool = False
) -> NextAction:
    """What the partner should do next about one connection, following Leap's steps."""
    if record.status == ConnectionStatus.COMPLETED:
        return NextAction(
            Action.WAIT_FOR_METERS, "Connected; Leap creates the meters in about 24 hours"
        )
    if not is_known(ConnectionStatus, record.status):
        return NextAction(
            Action.REVIEW_UNKNOWN, f"Unrecognised connection status {record.status!r}"
        )
    actionable_at = record.last_interaction_at + QUIET_PERIOD
    action = _pending_action(record, actionable_at, follow_up_other_utility)
    if action.kind != Action.REVIEW_UNKNOWN and now < actionable_at:
        # Leap's data may be up to an hour stale: the customer could still be mid-flow.
        # Unexpected data is for ops, not the customer, so it shows at once.
        return NextAction(
            Action.IN_PROGRESS,
            f"Active within the last hour; then: {action.reason}",
            action.message_key,
            actionable_at,
            action.subjects,
        )
    return action


def meters_action(
    completed_at: datetime, now: datetime, *, meters_found: bool, overdue_after: timedelta
) -> Action:
    """For a COMPLETED connection: meters arrived, still expected, or overdue."""
    if meters_found:
        return Action.METERS_ARRIVED
    return Action.METERS_OVERDUE if now - completed_at >= overdue_after else Action.WAIT_FOR_METERS


# --- re-engagement cadence ----------------------------------------------------------------------


class CadenceState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    DUE = "due", "Due"
    OVERDUE = "overdue", "Overdue"
    MARKETING = "marketing", "Back to marketing"


@dataclass(frozen=True, slots=True)
class TouchWindow:
    touch: int
    opens: timedelta  # after the customer's last interaction
    closes: timedelta


# Leap's recommendation, counted from the last interaction: the first touch matters most.
CADENCE = (
    TouchWindow(1, timedelta(minutes=5), timedelta(hours=1)),
    TouchWindow(2, timedelta(hours=1), timedelta(days=1)),
    TouchWindow(3, timedelta(days=1), timedelta(days=3)),
)
CADENCE_END = CADENCE[-1].closes


@dataclass(frozen=True, slots=True)
class NextTouch:
    state: CadenceState
    touch: int | None = None  # 1, 2, 3; None once back to marketing
    due_from: datetime | None = None
    due_by: datetime | None = None


def next_touch(
    last_interaction_at: datetime, touches_at: Iterable[datetime], now: datetime
) -> NextTouch:
    """The next re-engagement touch for an abandoned connection.

    Only touches made at or after the last interaction count: a new interaction from the
    customer restarts the cadence. After the third touch, or three days after the last
    interaction, the customer goes back to normal marketing.
    """
    done = sum(1 for at in touches_at if at >= last_interaction_at)
    if done >= len(CADENCE) or now - last_interaction_at > CADENCE_END:
        return NextTouch(CadenceState.MARKETING)
    window = CADENCE[done]
    due_from = last_interaction_at + window.opens
    due_by = last_interaction_at + window.closes
    if now < due_from:
        state = CadenceState.SCHEDULED
    elif now <= due_by:
        state = CadenceState.DUE
    else:
        state = CadenceState.OVERDUE
    return NextTouch(state, window.touch, due_from, due_by)
