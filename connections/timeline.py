"""One connection as its pages show it: the next action's message and explanation, the next
touch, and the timeline (the link, Leap's Connect data, the webhooks, the touches and the
meters, newest first). The connection page and the link page both read it from here
(connections/_next_action.html, connections/_timeline.html)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from leapdash.leap.records.events import delivery_status
from links.models import LandingVisit

from .badges import status_note
from .cadence import describe_touch
from .due import message_for, next_touch_of, policy_for
from .models import Connection, Touchpoint, UtilityConnection, WebhookEvent

TIMELINE_LIMIT = 50  # per source, newest first: the pages stay bounded


def _meter_events(ref_id: str) -> list[dict[str, Any]]:
    """Meters carrying this refId (meters.arrival's rule), each linking to its page."""
    from meters.arrival import meters_of_ref  # the meters app imports this one's models

    found = meters_of_ref(ref_id).order_by("-created_at")[:TIMELINE_LIMIT]
    return [
        {
            "at": m.created_at,
            "kind": "meter",
            "title": "Meter arrived",
            "detail": f"{m.meter_id} · {m.utility_name}",
            "badge": "badge-ok",
            "url": reverse("meters:detail", args=[m.meter_id]),
        }
        for m in found
    ]


def timeline(c: Connection) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    def add(at: Any, kind: str, title: str, detail: str = "", badge: str = "") -> None:
        if at is not None:
            events.append(
                {"at": at, "kind": kind, "title": title, "detail": detail, "badge": badge}
            )

    link = c.link
    if link is not None:
        add(link.created_at, "link", "Link created", str(link.flow or link.get_kind_display()))
        add(link.sent_at, "link", "Link sent")
    for visit in LandingVisit.objects.filter(ref_id=c.ref_id)[:TIMELINE_LIMIT]:
        add(visit.created_at, "visit", "Reached the thank-you page (unverified)", "unverified")
    add(c.started_at, "leap", "Opened the link", "Leap Connect session started", "badge-info")
    for u in c.utilities.all():
        add(u.started_at, "utility", f"Tried {u.utility_name}")
        detail = u.error_label or ("required" if u.utility_is_required else "")
        add(
            u.last_interaction_at,
            "utility",
            f"{u.utility_name}: {u.status_label}",
            detail,
            u.status_badge,
        )
    for name, label, badge in c.agreements:
        add(c.last_interaction_at, "agreement", f"{name}: {label}", "", badge)
    webhooks = WebhookEvent.objects.filter(ref_id=c.ref_id)[:TIMELINE_LIMIT]
    for event in webhooks:
        add(
            event.received_at,
            "webhook",
            event.get_event_type_display(),
            delivery_status(event.payload),
        )
    for t in c.touchpoints.all()[:TIMELINE_LIMIT]:
        who = "automatically" if t.automated else (t.by.get_username() if t.by else "")
        title = f"Touch {t.touch} {t.get_outcome_display().lower()}"
        if t.outcome == Touchpoint.Outcome.SNOOZED and t.snoozed_until:
            title = f"Snoozed until {t.snoozed_until:%Y-%m-%d %H:%M} UTC"
        add(t.at, "touch", title, f"{t.get_channel_display()} {who}".strip())
    events.extend(_meter_events(c.ref_id))
    events.sort(key=lambda e: e["at"], reverse=True)
    return events


def connection_context(c: Connection, now: datetime) -> dict[str, Any]:
    """What the connection page and the link page show of one connection: the message its next
    action sends, why the action may differ from Leap's status, the next touch and the
    timeline. `c` comes with its link, utilities and touchpoints prefetched."""
    # the cadence reads the recent touches: they are prefetched already
    c.recent_touches = list(c.touchpoints.all())  # type: ignore[attr-defined]
    upcoming = next_touch_of(c, now)
    message = None
    if c.message_key:
        # the email of the next touch (touch 1 when the cadence has none to come)
        touch = (upcoming[0].touch if upcoming else None) or 1
        message = message_for(c, c.message_key, touch)
    return {
        "c": c,
        "message": message,
        "status_note": status_note(c.status, c.next_action, c.actionable_at),
        "next_touch": describe_touch(upcoming[0], policy_for(c)) if upcoming else "",
        "timeline": timeline(c),
    }


def with_details(rows: QuerySet[Connection]) -> QuerySet[Connection]:
    """Connections with what connection_context reads, prefetched."""
    return rows.select_related("link", "link__flow", "variant").prefetch_related(
        Prefetch("utilities", queryset=UtilityConnection.objects.order_by("position")),
        Prefetch("touchpoints", queryset=Touchpoint.objects.select_related("by")),
    )
