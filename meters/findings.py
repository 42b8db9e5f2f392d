"""A reconciliation finding in words: why the meter or record is in its category, and the fix
the reconciliation page suggests. The categories themselves are meters.models.Category."""

from __future__ import annotations

from django.conf import settings

from connections.choices import ConnectionStatus, label_of

from .arrival import OVERDUE_CHECK
from .models import Category, ReconciliationResult

REASONS: dict[str, tuple[str, str]] = {
    Category.DUPLICATE: (
        "Meters of more than one customer (different connections) hold this reference.",
        "Give each customer's meters their own reference: fix the wrong ones below.",
    ),
    Category.MATCHED: ("A partner record has this reference.", ""),
    Category.BY_CONNECTION: (
        "Its partner_reference matches no record, but a connection it came from does.",
        "Set the meter's reference to the suggested one.",
    ),
    Category.UNKNOWN_METER: (
        "No partner record has its reference or any of its connection references.",
        "Add the customer to your records, or set the meter's reference to one of yours.",
    ),
    Category.OVERDUE: (
        "The connection completed over {hours} hours ago and no meter has arrived.",
        "{overdue_fix}",
    ),
    Category.WAITING: (
        "The connection completed; Leap creates meters about a day later.",
        "Wait: the meters sync looks them up every hour.",
    ),
    # WAITING without a completed connection: the link is new (meters.reconcile)
    "waiting_link": (
        "The link is not sent yet, or was sent under {hours} hours ago (Leap status: {status}).",
        "Wait: send the link if it is not sent yet; the customer has time to connect.",
    ),
    Category.REENGAGE: (
        "No completed connection (Leap status: {status}).",
        "Re-engage the customer: resend the link or follow up.",
    ),
    Category.COUNT_MISMATCH: (
        "Expected {expected} meters; Leap has {found} with this reference.",
        "{fix}",
    ),
}


def wording(result: ReconciliationResult) -> tuple[str, str]:
    """(reason, suggested fix) of a finding, in the words the reconciliation page shows."""
    key = str(Category(result.category))
    if key == Category.WAITING and result.connection_status != "COMPLETED":
        key = "waiting_link"
    reason, fix = REASONS[key]
    fewer = (result.found_meters or 0) < (result.expected_meters or 0)
    facts = {
        "hours": f"{settings.METERS_OVERDUE_HOURS:g}",
        "overdue_fix": OVERDUE_CHECK,
        "status": label_of(ConnectionStatus, result.connection_status)
        if result.connection_status
        else "link never opened",
        "expected": result.expected_meters,
        "found": result.found_meters,
        "fix": (
            "Ask the customer to connect the accounts still missing (or correct the expected "
            "count)."
            if fewer
            else "Check the extra meters' references, or correct the expected count."
        ),
    }
    return reason.format(**facts), fix.format(**facts)
