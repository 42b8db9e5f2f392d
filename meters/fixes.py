"""Changing meters' partner_reference at Leap, with an audit row before and after each call.

The audit row is committed as "sent" before Leap is called, so a crash mid-call still leaves
a trace; it is then marked applied or refused with Leap's answer. Only meters Leap applied
change locally. A fix whose reference the meter already holds is reported and not re-sent,
so re-running the same fix is harmless.

Moving a meter to a refId that another customer's link or connection carries would give that
customer the meter: such a fix names both customers and is sent only once the user confirmed
it for that meter (the view refuses the whole request otherwise; apply() skips it as well).
A refId of one of the meter's own connections is its customer's, so it needs no confirmation.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from leapdash.leap.client import LeapClient
from leapdash.leap.errors import LeapClientError, LeapError
from links.builder import ref_id_problems

from .customers import Customer, customer_of, holders, own_references
from .models import Meter, ReferenceChange
from .reconcile import reconcile_some

BULK_CHUNK = 1000  # Leap's limit per bulk PATCH
Answers = dict[str, tuple[bool, str, dict[str, Any]]]  # meter_id -> (applied, title, response)
STATUS_LABELS = {
    "ready": "Ready",
    "confirm": "Needs your confirmation",
    "unchanged": "Unchanged",
    "invalid": "Invalid reference",
    "applied": "Applied",
    "failed": "Refused by Leap",
    "unconfirmed": "Not sent",
}


@dataclass
class Fix:
    """One proposed change and, once tried, its outcome."""

    meter: Meter
    new: str
    old: str = ""  # the reference before the change
    # ready | confirm (another customer's refId) | unchanged | invalid | applied | failed |
    # unconfirmed (a "confirm" fix sent without the confirmation)
    status: str = "ready"
    message: str = ""
    current: Customer = field(default_factory=Customer)  # the meter's customer
    target: Customer | None = None  # the other customer whose refId `new` is ("confirm")
    target_kind: str = ""  # "link" | "connection": what of theirs carries `new`

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def sendable(self) -> bool:
        return self.status in ("ready", "confirm")


def preview(pairs: Sequence[tuple[Meter, str]]) -> list[Fix]:
    """Check each new reference like a refId (the partner_reference rules are part of it) and
    whose it is; nothing is sent or stored."""
    pairs = [(meter, new.strip()) for meter, new in pairs]
    known = holders([new for _, new in pairs] + [r for m, _ in pairs for r in own_references(m)])
    fixes = []
    for meter, new in pairs:
        fix = Fix(meter, new, old=meter.partner_reference, current=customer_of(meter, known))
        problems = ref_id_problems(new)
        holder = known.get(new)
        if problems:
            fix.status, fix.message = "invalid", " ".join(problems)
        elif new == meter.partner_reference:
            fix.status, fix.message = "unchanged", "The meter already has this reference."
        elif holder and holder.held and new not in meter.connection_references:
            fix.status, fix.target = "confirm", holder.customer
            fix.target_kind = "link" if holder.has_link else "connection"
            fix.message = (
                f"{new} is {holder.customer.spoken}'s {fix.target_kind}; this meter is "
                f"{fix.current.spoken}'s."
            )
        fixes.append(fix)
    return fixes


def unconfirmed(fixes: Sequence[Fix], confirmed: Collection[int]) -> list[Fix]:
    """The fixes to another customer's refId whose meter (pk) is not in `confirmed`."""
    return [f for f in fixes if f.status == "confirm" and f.meter.pk not in confirmed]


def apply(
    *,
    client: LeapClient,
    pairs: Sequence[tuple[Meter, str]],
    user_id: int | None,
    now: datetime,
    overdue_after: timedelta,
    confirmed: Collection[int] = (),
) -> list[Fix]:
    """Send the valid, changed fixes to Leap (one PATCH for one meter, else the bulk endpoint in
    chunks of 1,000) and record every attempt. A move to another customer's refId is sent only
    if its meter's pk is in `confirmed`."""
    fixes = preview(pairs)
    for fix in unconfirmed(fixes, confirmed):
        fix.status = "unconfirmed"
        fix.message = f"Not sent: {fix.message} Confirm the move to send it."
    ready = [f for f in fixes if f.sendable]
    if not ready:
        return fixes
    changes = _audit_rows(ready, user_id, now)
    answers = _send(client, ready)
    applied = [
        fix.meter
        for fix, change in zip(ready, changes, strict=True)
        if _settle(fix, change, answers, now)
    ]
    with transaction.atomic():
        ReferenceChange.objects.bulk_update(
            changes, ["status", "leap_title", "leap_response", "finished_at"], batch_size=1000
        )
        Meter.objects.bulk_update(applied, ["partner_reference"], batch_size=1000)
        reconcile_some(
            meter_ids=[m.pk for m in applied],
            references=[c.old_reference for c in changes] + [c.new_reference for c in changes],
            now=now,
            overdue_after=overdue_after,
        )
    return fixes


def _audit_rows(ready: Sequence[Fix], user_id: int | None, now: datetime) -> list[ReferenceChange]:
    """One "sent" audit row per fix, committed before Leap is called."""
    return ReferenceChange.objects.bulk_create(
        ReferenceChange(
            meter=f.meter, old_reference=f.old, new_reference=f.new, by_id=user_id, requested_at=now
        )
        for f in ready
    )


def _send(client: LeapClient, ready: Sequence[Fix]) -> Answers:
    """Leap's answer per meter: one PATCH for one meter, else the bulk endpoint in chunks."""
    if len(ready) == 1:
        return _send_one(client, ready[0])
    answers: Answers = {}
    for i in range(0, len(ready), BULK_CHUNK):
        answers.update(_send_chunk(client, ready[i : i + BULK_CHUNK]))
    return answers


def _settle(fix: Fix, change: ReferenceChange, answers: Answers, now: datetime) -> bool:
    """Record Leap's answer on the fix and its audit row; True when Leap applied it."""
    done, title, response = answers.get(
        fix.meter.meter_id, (False, "NO_ANSWER", {"error": "Leap did not mention this meter."})
    )
    change.status = ReferenceChange.Status.APPLIED if done else ReferenceChange.Status.FAILED
    change.leap_title = title[:200]
    change.leap_response = response
    change.finished_at = now
    if done:
        fix.status, fix.message = "applied", "Leap applied the new reference."
        fix.meter.partner_reference = fix.new
    else:
        fix.status, fix.message = "failed", _explain(title, response)
    return done


def _send_one(client: LeapClient, fix: Fix) -> Answers:
    meter_id = fix.meter.meter_id
    try:
        answer = client.update_partner_reference(meter_id, fix.new)
    except LeapClientError as exc:  # 400, 404: Leap's own words
        title = exc.title or f"HTTP {exc.status}"
        return {meter_id: (False, title, {"status": exc.status, "title": title, **exc.details})}
    except LeapError as exc:
        return {meter_id: (False, type(exc).__name__, {"error": str(exc)[:500]})}
    return {meter_id: (True, "", answer)}


def _send_chunk(client: LeapClient, chunk: Sequence[Fix]) -> Answers:
    try:
        result = client.bulk_update_partner_references([(f.meter.meter_id, f.new) for f in chunk])
    except LeapError as exc:  # the whole chunk failed: nothing of it changed at Leap
        return {
            f.meter.meter_id: (False, type(exc).__name__, {"error": str(exc)[:500]}) for f in chunk
        }
    answers: Answers = {meter_id: (True, "", {"updated": True}) for meter_id in result.updated}
    for error in result.errors:
        answers[error.meter_id] = (False, error.title, {"title": error.title})
    return answers


EXPLANATIONS = {
    "METER_NOT_FOUND": "Leap does not know this meter (removed, or another environment).",
    "INVALID_PARTNER_REFERENCE": "Leap refused the reference as invalid.",
}


def _explain(title: str, response: dict[str, Any]) -> str:
    text = EXPLANATIONS.get(title) or EXPLANATIONS.get(title.upper().replace(" ", "_"))
    if text:
        return f"{title}: {text}"
    return f"{title}: {response.get('error', '')}".rstrip(": ")
