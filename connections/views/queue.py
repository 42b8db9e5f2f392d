"""The re-engagement queue: what is due now, the mark sent / snooze / skip actions (one card, or
several marked sent at once), the due list's CSV and JSON exports, and the ops-only outgoing hook
setting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from leapdash.accounts.roles import dashboard_view
from leapdash.csvs import csv_response
from leapdash.htmx import HtmxHttpRequest

from ..choices import ErrorCode, label_of
from ..due import DueTouch, due_for, due_touches
from ..messages import message_title
from ..models import Connection, OutgoingHook, Touchpoint
from ..templates import EMAIL, Book, template_book, template_for

QUEUE_LIMIT = 300  # shown on the page; the exports and the hook take every due touch
SNOOZE = timedelta(hours=24)
CSV_HEADER = [
    "idempotency_key",
    "refId",
    "customer",
    "email",
    "link_url",
    "touch",
    "abandoned_at_utc",
    "due_from_utc",
    "message_key",
    "subject",
    "body",
]


def group_title(message_key: str, book: Book | None = None) -> str:
    """A heading for customers getting the same message: the error's name for utility errors
    (their subjects name each customer's utility), the stored touch-1 email subject in generic
    words otherwise (`book` holds every template when given)."""
    code = message_key.removeprefix("error.")
    if message_key.startswith("error.") and code in ErrorCode.values:
        return f"Utility error: {label_of(ErrorCode, code)}"
    return message_title(message_key, template_for(message_key, 1, EMAIL, book).subject)


def group_slug(message_key: str) -> str:
    """The key as an HTML id part: keys hold dots, which a CSS selector would read as a class."""
    return message_key.replace(".", "-")


def mailto(email: str, subject: str, body: str) -> str:
    # quote(), not urlencode(): mail clients show a "+" literally, %20 as a space
    return f"mailto:{quote(email, safe='@')}?subject={quote(subject)}&body={quote(body)}"


def card(d: DueTouch) -> dict[str, Any]:
    """One due touch as the queue shows it: the contact and the message ready to send."""
    email = d.connection.link.customer_email if d.connection.link else ""
    return {
        "d": d,
        "email": email,
        "mailto": mailto(email, d.message.subject, d.message.body) if email else "",
    }


def queue_state(now: datetime) -> dict[str, Any]:
    """The due touches the page shows, grouped by message, and the tiles' counts."""
    due = list(islice(due_touches(now), QUEUE_LIMIT + 1))
    more = len(due) > QUEUE_LIMIT
    due = due[:QUEUE_LIMIT]
    book = template_book()
    groups: dict[str, list[DueTouch]] = {}
    for d in sorted(due, key=lambda d: (d.touch.due_from or now, d.connection.pk)):
        groups.setdefault(d.message_key, []).append(d)
    grouped = [
        {
            "title": group_title(key, book),
            "key": key,
            "slug": group_slug(key),
            "items": [card(d) for d in items],
        }
        for key, items in sorted(groups.items(), key=lambda kv: -len(kv[1]))
    ]
    return {
        "groups": grouped,
        "count": len(due),
        "more": more,
        "limit": QUEUE_LIMIT,
        "per_touch": {n: sum(1 for d in due if d.touch.touch == n) for n in (1, 2, 3)},
    }


def counts_after(now: datetime, touched_keys: set[str]) -> dict[str, Any]:
    """The tiles and group counts again, for out-of-band swaps after an action. A group the
    action emptied is not in the queue any more: it is sent with a count of 0."""
    state = queue_state(now)
    counts = {g["slug"]: len(g["items"]) for g in state["groups"]}
    for key in touched_keys:
        counts.setdefault(group_slug(key), 0)
    return {**state, "group_counts": sorted(counts.items()), "oob": True}


@dashboard_view
@require_GET
def queue(request: HtmxHttpRequest) -> HttpResponse:
    context = {
        **queue_state(timezone.now()),
        "channels": Touchpoint.Channel.choices,
        "hook": OutgoingHook.objects.filter(pk=1).first(),
    }
    return render(request, "connections/queue.html", context)


def _csv_rows() -> Iterator[list[object]]:
    for d in due_touches(timezone.now()):
        item = d.as_dict()
        yield [
            item["idempotency_key"],
            item["ref_id"],
            item["customer_name"],
            item["customer_email"],
            item["link_url"],
            item["touch"],
            item["abandoned_at"],
            item["due_from"],
            item["message_key"],
            item["subject"],
            item["body"],
        ]


@dashboard_view
@require_GET
def queue_export_csv(request: HtmxHttpRequest) -> HttpResponse:
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return csv_response(f"due-touches-{stamp}.csv", CSV_HEADER, _csv_rows())


def _json_chunks() -> Iterator[str]:
    yield "["
    for i, d in enumerate(due_touches(timezone.now())):
        yield ("," if i else "") + "\n" + json.dumps(d.as_dict())
    yield "\n]\n"


@dashboard_view
@require_GET
def queue_export_json(request: HtmxHttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_json_chunks(), content_type="application/json")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="due-touches-{stamp}.json"'
    return response


def _channel(request: HtmxHttpRequest) -> str:
    channel = request.POST.get("channel", Touchpoint.Channel.EMAIL)
    return channel if channel in Touchpoint.Channel.values else Touchpoint.Channel.EMAIL


def _record(
    request: HtmxHttpRequest, due: DueTouch, action: str, channel: str, now: datetime
) -> Touchpoint:
    """Record one touch in a savepoint; IntegrityError when its key is taken (the hook or
    another person recorded it first)."""
    outcome = {
        "sent": Touchpoint.Outcome.SENT,
        "skip": Touchpoint.Outcome.SKIPPED,
        "snooze": Touchpoint.Outcome.SNOOZED,
    }[action]
    with transaction.atomic():  # a savepoint: the hook may have sent it
        return Touchpoint.objects.create(
            connection=due.connection,
            touch=due.touch.touch or 0,
            channel=channel,
            outcome=outcome,
            message_key=due.message_key,
            by=request.user if request.user.is_authenticated else None,
            at=now,
            snoozed_until=now + SNOOZE if action == "snooze" else None,
            abandoned_at=due.touch.abandoned_at,
            # a snooze is not a touch: it holds no key
            key=None if action == "snooze" else due.key,
        )


def _sent_note(done: Touchpoint) -> str:
    return f"Touch {done.touch} marked sent by {done.get_channel_display().lower()}."


@dashboard_view
@require_POST
def touch(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Mark the due touch sent, skip the customer until they progress, or snooze for a day."""
    now = timezone.now()
    with transaction.atomic():
        # the row lock makes a double click record one touch, not two
        c = get_object_or_404(
            Connection.objects.select_for_update(of=("self",)).select_related("link"), pk=pk
        )
        due = due_for(c, now)
        action = request.POST.get("action", "")
        expected = request.POST.get("touch", "")
        if due is None or str(due.touch.touch) != expected:
            return _handled(request, c)
        elif action in ("sent", "skip", "snooze"):
            try:
                done = _record(request, due, action, _channel(request), now)
            except IntegrityError:
                return _handled(request, c)
            note = {
                "sent": _sent_note(done),
                "skip": "Skipped: no more touches until the customer progresses.",
                "snooze": "Snoozed for 24 hours.",
            }[action]
        else:
            return HttpResponse("Unknown action.", status=400)
    return _done(request, c, note, done)


def _handled(request: HtmxHttpRequest, c: Connection) -> HttpResponse:
    return _done(request, c, HANDLED, None)


def _done(
    request: HtmxHttpRequest, c: Connection, note: str, done: Touchpoint | None
) -> HttpResponse:
    if request.htmx:
        keys = {done.message_key if done else c.message_key}
        context = {"c": c, "note": note, "done": done, **counts_after(timezone.now(), keys)}
        return render(request, "connections/_touch_done.html", context)
    messages.success(request, f"{c.ref_id}: {note}")
    return redirect("connections:queue")


HANDLED = "Already handled (the queue has moved on)."
NOT_DUE = "No longer due: nothing recorded."


def _selected(request: HtmxHttpRequest) -> dict[int, str]:
    """The ticked cards: connection id → the touch the card showed ("12:2" → {12: "2"})."""
    picked: dict[int, str] = {}
    for value in request.POST.getlist("due")[:QUEUE_LIMIT]:
        pk, _, touch_number = value.partition(":")
        if pk.isdigit() and touch_number.isdigit():
            picked[int(pk)] = touch_number
    return picked


@dashboard_view
@require_POST
def touch_bulk(request: HtmxHttpRequest) -> HttpResponse:
    """Mark several due touches sent by one channel: each exactly as the single action records
    it; those no longer due (or already recorded) are reported, not recorded."""
    now = timezone.now()
    picked = _selected(request)
    channel = _channel(request)
    results: list[dict[str, Any]] = []
    book = template_book()  # every template in one query, not one per selected customer
    with transaction.atomic():
        # locked in id order, so two overlapping bulk actions cannot deadlock
        rows = (
            Connection.objects.select_for_update(of=("self",))
            .select_related("link")
            .filter(pk__in=list(picked))
            .order_by("pk")
        )
        for c in rows:
            due = due_for(c, now, book=book)
            if due is None or str(due.touch.touch) != picked[c.pk]:
                results.append({"c": c, "note": NOT_DUE, "done": None, "key": c.message_key})
                continue
            try:
                done = _record(request, due, "sent", channel, now)
            except IntegrityError:
                results.append({"c": c, "note": HANDLED, "done": None, "key": due.message_key})
                continue
            results.append({"c": c, "note": _sent_note(done), "done": done, "key": due.message_key})
    summary = _bulk_summary(results, channel)
    if not request.htmx:
        messages.success(request, summary)
        return redirect("connections:queue")
    context = {
        "summary": summary,
        "results": results,
        **counts_after(timezone.now(), {r["key"] for r in results}),
    }
    return render(request, "connections/_bulk_done.html", context)


def _bulk_summary(results: list[dict[str, Any]], channel: str) -> str:
    if not results:
        return "Nothing selected."
    sent = sum(1 for r in results if r["done"] is not None)
    handled = sum(1 for r in results if r["note"] == HANDLED)
    gone = sum(1 for r in results if r["note"] == NOT_DUE)
    label = Touchpoint.Channel(channel).label.lower()
    parts = [f"{sent} marked sent by {label}."]
    if handled:
        parts.append(f"{handled} already handled.")
    if gone:
        parts.append(f"{gone} no longer due, not recorded.")
    return " ".join(parts)
