"""The outgoing hook: each due touch POSTed to the partner's email/SMS tool, once.

Every touch travels alone, with its idempotency key (connection + abandonment + touch) in the
`Idempotency-Key` header and in the body, the same key on every retry, and the body signed with
a secret that is never sent (`X-Leapdash-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.body">`).
A 2xx records the touch as sent; the database holds at most one touch per key, so two racing
tasks or a retried one cannot record it twice. One task posts at a time (a lock in the shared
cache); the receiver dedupes on the key for the rare post that races anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime

import requests
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F

from .due import DueTouch, due_touches
from .models import OutgoingHook, Touchpoint
from .receivers import guarded_session
from .templates import EMAIL, SMS

log = logging.getLogger(__name__)

HOOK_BATCH = 2000  # touches per run at most; the rest go at the next run, 15 minutes later
CONNECT_TIMEOUT, READ_TIMEOUT = 5, 10  # seconds: the receiver should queue its own work
LOCK_KEY, LOCK_SECONDS = "leapdash:hook-post", 5 * 60
RESPONSE_CAP = 64 * 1024  # bytes of a receiver's answer read at most, then dropped


class HookUnavailable(requests.RequestException):
    """The receiver failed (network error, 429 or 5xx): the run stops and is retried."""


def signature(secret: str, body: bytes, at: datetime) -> str:
    """Stripe's scheme: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    stamp = str(int(at.timestamp()))
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


@dataclass
class Delivery:
    delivered: int = 0
    refused: int = 0
    unreachable: int = 0
    status: str = ""


def post_due_touches(now: datetime, *, session: requests.Session | None = None) -> Delivery:
    """POST every due touch (at most HOOK_BATCH) and record those the receiver accepted."""
    result = Delivery()
    hook = OutgoingHook.load()
    if not hook.enabled or not hook.url:
        return result
    if not cache.add(LOCK_KEY, 1, LOCK_SECONDS):
        return result  # another run is posting: it takes these touches too
    http = session or guarded_session()
    try:
        # an SMS hook gets the SMS templates (shortened to fit); every other channel the email
        channel = SMS if hook.channel == Touchpoint.Channel.SMS else EMAIL
        for i, due in enumerate(due_touches(now, channel=channel)):
            if i >= HOOK_BATCH:
                break
            if not _post_one(http, hook, due, now, result):
                break
    finally:
        cache.delete(LOCK_KEY)
        if session is None:
            http.close()
        _record(hook, now, result)
    if result.unreachable:
        raise HookUnavailable(result.status)
    return result


def _post_one(
    http: requests.Session, hook: OutgoingHook, due: DueTouch, now: datetime, result: Delivery
) -> bool:
    """Deliver one touch; False when the receiver is unavailable (stop this run)."""
    if Touchpoint.objects.filter(key=due.key).exists():
        return True  # recorded since the list was read (a racing run, or a person)
    body = json.dumps({"sent_at": now.isoformat(), **due.as_dict()}).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": due.key}
    if hook.signing_secret:
        headers["X-Leapdash-Signature"] = signature(hook.signing_secret, body, now)
    try:
        response = http.post(
            hook.url,
            data=body,
            headers=headers,
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            allow_redirects=False,
            stream=True,
        )
        with response:
            response.raw.read(RESPONSE_CAP, decode_content=False)
    except requests.RequestException:
        result.unreachable += 1
        result.status = "unreachable"  # no more detail: it would map the network for a user
        return False
    code = response.status_code
    if code == 429 or code >= 500:
        result.unreachable += 1
        result.status = "unreachable"
        return False
    if not 200 <= code < 300:
        result.refused += 1
        result.status = f"refused by the receiver (HTTP {code})"
        return True
    _record_sent(hook, due, now)
    result.delivered += 1
    result.status = "delivered"
    return True


def _record_sent(hook: OutgoingHook, due: DueTouch, now: datetime) -> None:
    try:
        with transaction.atomic():
            Touchpoint.objects.create(
                connection=due.connection,
                touch=due.touch.touch or 0,
                channel=hook.channel,
                outcome=Touchpoint.Outcome.SENT,
                message_key=due.message_key,
                automated=True,
                at=now,
                abandoned_at=due.touch.abandoned_at,
                key=due.key,
            )
    except IntegrityError:
        log.info("touch %s was already recorded", due.key)


def _record(hook: OutgoingHook, now: datetime, result: Delivery) -> None:
    """The hook's last result and its counts (added in SQL: the monitor reads these)."""
    if not (result.delivered or result.refused or result.unreachable):
        return
    OutgoingHook.objects.filter(pk=hook.pk).update(
        last_attempt_at=now,
        last_status=result.status[:200],
        delivered_count=F("delivered_count") + result.delivered,
        refused_count=F("refused_count") + result.refused,
        unreachable_count=F("unreachable_count") + result.unreachable,
    )
