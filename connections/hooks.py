"""What is due in the re-engagement cadence, and the outgoing hook that hands it to a partner's
email/SMS tool.

The due list is computed from stored verdicts plus the touchpoints of the last three days:
only connections whose last interaction is within Leap's cadence can be due, and that window
is index-backed (conn_last_interaction), so the scan stays small whatever the table's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from celery import shared_task
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from .messages import Message, render_message
from .models import Connection, OutgoingHook, Touchpoint
from .status import (
    CADENCE_END,
    CUSTOMER_ACTIONS,
    Action,
    CadenceState,
    NextTouch,
    next_touch,
)

SCAN_CHUNK = 500
HOOK_BATCH = 500
HOOK_TIMEOUT = 10  # seconds; the receiver should answer fast and queue its own work
COUNTED = (Touchpoint.Outcome.SENT, Touchpoint.Outcome.SKIPPED)


@dataclass(frozen=True)
class DueTouch:
    connection: Connection
    touch: NextTouch
    message: Message
    now: datetime

    @property
    def customer_may_be_active(self) -> bool:
        """Within Leap's quiet hour the data may lag: a person decides, automation waits."""
        at = self.connection.actionable_at
        return at is not None and self.now < at

    @property
    def overdue(self) -> bool:
        return self.touch.state == CadenceState.OVERDUE

    def as_dict(self) -> dict[str, Any]:
        c, link = self.connection, self.connection.link
        return {
            "connection_id": c.pk,
            "ref_id": c.ref_id,
            "customer_name": link.customer_name if link else "",
            "customer_email": link.customer_email if link else "",
            "link_url": link.url if link else "",
            "touch": self.touch.touch,
            "state": str(self.touch.state),
            "due_from": self.touch.due_from.isoformat() if self.touch.due_from else None,
            "due_by": self.touch.due_by.isoformat() if self.touch.due_by else None,
            "next_action": c.next_action,
            "message_key": c.message_key,
            "subject": self.message.subject,
            "body": self.message.body,
        }


def candidates(now: datetime) -> QuerySet[Connection]:
    """Connections that may owe the customer a touch: a customer action (or one waiting for
    the quiet hour to end) and a last interaction inside the three-day cadence."""
    waiting = Q(next_action=Action.IN_PROGRESS) & ~Q(message_key="")
    waiting &= ~Q(message_key="other_utility_connected")  # Leap: no follow-up by default
    recent = Touchpoint.objects.filter(at__gte=now - CADENCE_END).order_by("at")
    return (
        Connection.objects.filter(last_interaction_at__gte=now - CADENCE_END)
        .filter(Q(next_action__in=CUSTOMER_ACTIONS) | waiting)
        .select_related("link")
        .prefetch_related(Prefetch("touchpoints", queryset=recent, to_attr="recent_touches"))
        .order_by("last_interaction_at", "pk")
    )


def due_for(c: Connection, now: datetime) -> DueTouch | None:
    # prefetched by candidates() (an empty list included); read here for a lone connection
    if hasattr(c, "recent_touches"):
        touches: list[Touchpoint] = c.recent_touches
    else:
        touches = list(c.touchpoints.filter(at__gte=now - CADENCE_END))
    snoozed = any(
        t.outcome == Touchpoint.Outcome.SNOOZED
        and t.at >= c.last_interaction_at
        and t.snoozed_until is not None
        and t.snoozed_until > now
        for t in touches
    )
    if snoozed:
        return None
    counted = [t.at for t in touches if t.outcome in COUNTED]
    nt = next_touch(c.last_interaction_at, counted, now)
    if nt.state not in (CadenceState.DUE, CadenceState.OVERDUE):
        return None
    link = c.link
    message = render_message(
        c.message_key,
        customer_name=link.customer_name if link else "",
        link_url=link.url if link else "",
        subjects=c.message_subjects,
    )
    return DueTouch(c, nt, message, now)


def due_touches(now: datetime, *, automated_only: bool = False) -> Iterator[DueTouch]:
    """Every touch due now, most overdue first, streamed in chunks."""
    rows = candidates(now)
    if automated_only:
        rows = rows.filter(actionable_at__lte=now)
    for c in rows.iterator(chunk_size=SCAN_CHUNK):
        due = due_for(c, now)
        if due is not None:
            yield due


@shared_task(
    ignore_result=True,
    autoretry_for=(requests.RequestException,),
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    retry_jitter=True,
    max_retries=5,
    time_limit=5 * 60,
)
def post_due_touches_task() -> None:
    """POST the due touches (past Leap's quiet hour) to the partner's hook; a 2xx records each
    as sent automatically so it is not posted again. Network errors and 5xx retry with
    backoff, at most five times; a 4xx is the receiver refusing, recorded and not retried."""
    hook = OutgoingHook.load()
    if not hook.enabled or not hook.url:
        return
    now = timezone.now()
    batch = []
    for due in due_touches(now, automated_only=True):
        batch.append(due)
        if len(batch) >= HOOK_BATCH:
            break
    if not batch:
        return
    headers = {"X-Leapdash-Secret": hook.secret_header} if hook.secret_header else {}
    body = {"sent_at": now.isoformat(), "touches": [d.as_dict() for d in batch]}
    hook.last_attempt_at = now
    try:
        response = requests.post(hook.url, json=body, headers=headers, timeout=HOOK_TIMEOUT)
    except requests.RequestException as exc:
        hook.last_status = f"{type(exc).__name__}"[:200]
        hook.save(update_fields=["last_attempt_at", "last_status"])
        raise
    hook.last_status = f"HTTP {response.status_code}"
    hook.save(update_fields=["last_attempt_at", "last_status"])
    if response.status_code >= 500 or response.status_code == 429:
        response.raise_for_status()  # HTTPError is a RequestException: retried
    if not response.ok:
        return
    Touchpoint.objects.bulk_create(
        Touchpoint(
            connection=d.connection,
            touch=d.touch.touch or 0,
            channel=hook.channel,
            outcome=Touchpoint.Outcome.SENT,
            message_key=d.connection.message_key,
            automated=True,
            at=now,
        )
        for d in batch
    )
