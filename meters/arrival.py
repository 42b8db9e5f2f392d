"""When a completed connection's meters have arrived, are overdue, or ask the customer to
re-authorize: the one definition, used by the meters sync, the reconciliation and the pages.

Leap creates the meters about a day after a connection completes, "at times significantly
longer" (LEAP_API.md §2), so they count as overdue only METERS_OVERDUE_HOURS (72 by default)
after COMPLETED. A meter whose enrollment carries a partner action of type IS_AUTHORIZED (e.g.
AUTH_0001 "End customer must re-authorize meter") needs the customer: its connection goes back
to the re-engagement queue, and the cadence counts from when the sync first saw it.

The connections sync classifies a COMPLETED connection as WAIT_FOR_METERS and rewrites a row
only when Leap's record changes, so the verdicts set here stand until then; the next meters
sync sets them again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from connections.choices import Action, ConnectionStatus
from connections.models import Connection

from .models import Meter, MeterConnectionReference

# Connections whose meters we still expect: the targeted lookup asks Leap about these.
AWAITING = (Action.WAIT_FOR_METERS, Action.METERS_OVERDUE)
# What ops should check before asking Leap, in the order worth checking.
OVERDUE_CHECK = (
    "First search Leap's meters for this refId (Partner Portal): meters can take longer than "
    "a day. If there are none, check with the customer that the utility account they "
    "connected has electric service in their name; then ask Leap support, giving the refId "
    "and when it completed."
)


def overdue_after() -> timedelta:
    """How long after COMPLETED missing meters count as overdue (METERS_OVERDUE_HOURS)."""
    return timedelta(hours=settings.METERS_OVERDUE_HOURS)


def overdue_cutoff(now: datetime, after: timedelta) -> datetime:
    """Connections completed at or before this moment without meters are overdue."""
    return now - after


def overdue_reason(after: timedelta) -> str:
    hours = after.total_seconds() / 3600
    return f"Completed over {hours:g} hours ago and Leap has created no meters yet. {OVERDUE_CHECK}"


def meters_of_connection(**filters: object) -> Q:
    """A meter carries the connection's refId, as partner_reference or connection reference."""
    by_reference = Meter.objects.filter(partner_reference=OuterRef("ref_id"), **filters)
    by_connection = MeterConnectionReference.objects.filter(ref_id=OuterRef("ref_id"))
    if filters:
        by_connection = by_connection.filter(**{f"meter__{k}": v for k, v in filters.items()})
    return Exists(by_connection) | Exists(by_reference)


def meters_of_ref(ref_id: str) -> QuerySet[Meter]:
    """The meters of one customer: those carrying the refId, as partner_reference or
    connection reference (as meters_of_connection, for one refId)."""
    by_connection = MeterConnectionReference.objects.filter(ref_id=ref_id).values("meter_id")
    return Meter.objects.filter(Q(partner_reference=ref_id) | Q(pk__in=by_connection))


def update_connection_actions(*, now: datetime, overdue_after: timedelta) -> tuple[int, int]:
    """Completed connections: REAUTHORIZE while a meter asks for it, METERS_ARRIVED once a
    meter carries their refId, METERS_OVERDUE when none came in time. A few UPDATEs in all.
    Returns (arrived, overdue)."""
    completed = Connection.objects.filter(status=ConnectionStatus.COMPLETED)
    reauthorize = meters_of_connection(needs_reauthorization=True, is_archived=False)
    completed.filter(reauthorize).exclude(next_action=Action.REAUTHORIZE).update(
        next_action=Action.REAUTHORIZE,
        next_action_reason="A meter's enrollment asks the customer to re-authorize data sharing.",
        message_key="reauthorize",
        reauthorize_since=Coalesce(F("reauthorize_since"), Value(now)),
        actionable_at=now,
    )
    has_meter = meters_of_connection()
    arrived = (
        completed.filter(next_action__in=(*AWAITING, Action.REAUTHORIZE))
        .filter(has_meter)
        .exclude(reauthorize)
        .update(
            next_action=Action.METERS_ARRIVED,
            next_action_reason="Leap created the meters for this refId.",
            message_key="",
            reauthorize_since=None,
            actionable_at=None,
        )
    )
    overdue = (
        completed.filter(
            next_action=Action.WAIT_FOR_METERS,
            last_interaction_at__lte=overdue_cutoff(now, overdue_after),
        )
        .exclude(has_meter)
        .update(next_action=Action.METERS_OVERDUE, next_action_reason=overdue_reason(overdue_after))
    )
    return arrived, overdue
