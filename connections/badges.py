"""How a connection's statuses and next action look on a page: badge colours and the note that
explains a next action at odds with Leap's status. Presentation only; the verdicts are
status.classify()'s."""

from __future__ import annotations

from datetime import datetime

from .choices import Action, AgreementStatus, ConnectionStatus, UtilityStatus, label_of

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
    Action.REAUTHORIZE: "badge-warn",
    Action.PROVIDER_REVIEW: "badge-info",
    Action.ASK_LEAP_SUPPORT: "badge-bad",
}
# ERROR is both a connection and a utility status: same colour either way.
UNKNOWN_BADGE = "badge-unknown"


def badge_class(value: str | None) -> str:
    """CSS class for a status or action badge; unknown values get a distinct neutral badge."""
    return _BADGES.get(value or "", UNKNOWN_BADGE)


def status_note(status: str, next_action: str, actionable_at: datetime | None) -> str:
    """Why the next action may look at odds with Leap's status badge ("Error" yet "In
    progress"): the stale rule holds customer actions back for Leap's quiet hour."""
    if next_action != Action.IN_PROGRESS:
        return ""
    when = f" from {actionable_at:%H:%M} UTC" if actionable_at else " after an hour"
    return (
        f"Leap reports {label_of(ConnectionStatus, status)}, but the customer was active in Leap "
        "Connect within the last hour and Leap's data can be an hour behind, so leapdash acts"
        f"{when}, if they have not finished by then."
    )
