"""POST /webhooks/leap/: Leap's push channel, used only as a hint to re-read a refId.

Leap signs nothing; it sends back the custom headers registered with the subscription, so a
shared secret header (compared in constant time) is the protection, in place of CSRF. Leap
redelivers up to 10 times and may reorder: events are stored once per webhook_event_id and the
Connect API stays the source of truth (a targeted re-sync is queued after commit).
"""

from __future__ import annotations

import hmac
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leapdash.leap.records.events import EnvelopeError, parse_webhook_delivery
from links.models import Link

from .cadence import AUTHORIZATION_EVENT, SESSION_EVENT, after_event
from .choices import Action, ConnectionStatus
from .models import Connection, WebhookEvent
from .status import QUIET_PERIOD, RULES_VERSION
from .sync import assign_variants
from .tasks import refresh_connections_task

SECRET_HEADER = "X-Leapdash-Webhook-Secret"
RESYNC_EVENTS = frozenset({SESSION_EVENT, AUTHORIZATION_EVENT})


def _bad(reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=400)


def _authorized(request: HttpRequest) -> bool:
    expected = settings.LEAP_WEBHOOK_SECRET
    given = request.headers.get(SECRET_HEADER, "")
    # An unset secret refuses everything rather than accepting anything.
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
@require_POST
def leap_webhook(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        return JsonResponse({"error": "unauthorized"}, status=401)
    try:
        delivery = parse_webhook_delivery(request.body)
    except EnvelopeError as exc:
        return _bad(str(exc))
    event_id, event_type, ref_id = delivery.event_id, delivery.event_type, delivery.ref_id

    now = timezone.now()
    resync = event_type in RESYNC_EVENTS and bool(ref_id)
    with transaction.atomic():
        _, created = WebhookEvent.objects.get_or_create(
            webhook_event_id=event_id,
            defaults={
                "event_type": event_type,
                "ref_id": ref_id,
                "payload": delivery.body,
                "received_at": now,
                "processed_at": now if resync else None,
            },
        )
        if created and resync:
            note_session(ref_id, event_type, delivery.status, now)
            transaction.on_commit(lambda: refresh_connections_task.delay([ref_id]))
    # Unknown event types are kept for ops but trigger nothing; meter.created waits for the
    # meters app. Any 2xx tells Leap to stop redelivering.
    return JsonResponse({"stored": created}, status=200 if not created else 202)


def note_session(ref_id: str, event_type: str, status: str, now: datetime) -> None:
    """Keep what the webhooks say of the customer's session on the connection, from the first
    receipt of each event: the re-engagement cadence counts from it. A refId that has a link of
    ours but no connection yet (Leap's Connect data follows within the hour) gets a placeholder
    connection, so the first touch need not wait for it."""
    connection = Connection.objects.select_for_update().filter(ref_id=ref_id).first()
    if connection is None:
        connection = _placeholder(ref_id, now)
        if connection is None:
            return
    state = after_event(connection.webhook_state, event_type, status)
    if status == "UPDATED" and state == connection.webhook_state:
        return  # accompanies another event: not news
    connection.webhook_state, connection.webhook_at = state, now
    connection.save(update_fields=["webhook_state", "webhook_at"])


def _placeholder(ref_id: str, now: datetime) -> Connection | None:
    link = Link.objects.filter(ref_id=ref_id).select_related("flow").order_by("pk").first()
    if link is None:
        return None  # not ours, or not yet: the Connect sync brings it
    Link.objects.filter(pk=link.pk, first_opened_at__isnull=True).update(first_opened_at=now)
    region = link.flow.region if link.flow else ""
    connection, _ = Connection.objects.get_or_create(
        ref_id=ref_id,
        defaults={
            "leap_id": "",
            "transmission_region": region,
            "last_interaction_at": now,
            "status": ConnectionStatus.NOT_STARTED,
            "next_action": Action.IN_PROGRESS,
            "next_action_reason": "Seen by Leap's webhook; Connect data follows within the hour",
            "rules_version": RULES_VERSION,
            "message_key": "finish_connecting",
            "actionable_at": now + QUIET_PERIOD,
            "link": link,
            "fingerprint": "",
            "first_synced_at": now,
            "last_synced_at": now,
        },
    )
    if assign_variants([ref_id]):  # its cadence variant, before its first touch
        connection.refresh_from_db(fields=["variant"])
    return connection
