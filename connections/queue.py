"""The re-engagement queue: what is due now, the mark sent / snooze / skip actions, the due
list's CSV and JSON exports, and the ops-only outgoing hook setting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from itertools import islice

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leapdash.accounts.roles import dashboard_view, ops_view
from leapdash.htmx import HtmxHttpRequest
from links.csvs import csv_response

from .cadence import HORIZON
from .due import DueTouch, due_for, due_touches
from .hooks import post_due_touches_task
from .messages import message_title
from .models import Connection, OutgoingHook, Touchpoint
from .receivers import url_problem
from .status import ErrorCode, label_of

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


def group_title(message_key: str) -> str:
    """A heading for customers getting the same message: the error's name for utility errors
    (their subjects name each customer's utility), the generic subject otherwise."""
    code = message_key.removeprefix("error.")
    if message_key.startswith("error.") and code in ErrorCode.values:
        return f"Utility error: {label_of(ErrorCode, code)}"
    return message_title(message_key)


@dashboard_view
@require_GET
def queue(request: HtmxHttpRequest) -> HttpResponse:
    now = timezone.now()
    due = list(islice(due_touches(now), QUEUE_LIMIT + 1))
    more = len(due) > QUEUE_LIMIT
    due = due[:QUEUE_LIMIT]
    groups: dict[str, list[DueTouch]] = {}
    for d in sorted(due, key=lambda d: (d.touch.due_from or now, d.connection.pk)):
        groups.setdefault(d.message_key, []).append(d)
    grouped = [
        {"title": group_title(key), "key": key, "items": items}
        for key, items in sorted(groups.items(), key=lambda kv: -len(kv[1]))
    ]
    per_touch = {n: sum(1 for d in due if d.touch.touch == n) for n in (1, 2, 3)}
    context = {
        "groups": grouped,
        "count": len(due),
        "more": more,
        "limit": QUEUE_LIMIT,
        "per_touch": per_touch,
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
        channel = request.POST.get("channel", Touchpoint.Channel.EMAIL)
        if channel not in Touchpoint.Channel.values:
            channel = Touchpoint.Channel.EMAIL
        expected = request.POST.get("touch", "")
        if due is None or str(due.touch.touch) != expected:
            return _handled(request, c)
        elif action in ("sent", "skip", "snooze"):
            outcome = {
                "sent": Touchpoint.Outcome.SENT,
                "skip": Touchpoint.Outcome.SKIPPED,
                "snooze": Touchpoint.Outcome.SNOOZED,
            }[action]
            try:
                with transaction.atomic():  # a savepoint: the hook may have sent it
                    done = Touchpoint.objects.create(
                        connection=c,
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
            except IntegrityError:
                return _handled(request, c)
            note = {
                "sent": f"Touch {done.touch} marked sent by {done.get_channel_display().lower()}.",
                "skip": "Skipped: no more touches until the customer progresses.",
                "snooze": "Snoozed for 24 hours.",
            }[action]
        else:
            return HttpResponse("Unknown action.", status=400)
    return _done(request, c, note, done)


def _handled(request: HtmxHttpRequest, c: Connection) -> HttpResponse:
    return _done(request, c, "Already handled (the queue has moved on).", None)


def _done(
    request: HtmxHttpRequest, c: Connection, note: str, done: Touchpoint | None
) -> HttpResponse:
    if request.htmx:
        return render(request, "connections/_due_done.html", {"c": c, "note": note, "done": done})
    messages.success(request, f"{c.ref_id}: {note}")
    return redirect("connections:queue")


class HookForm(forms.ModelForm[OutgoingHook]):
    url = forms.URLField(label="Hook URL", required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = OutgoingHook
        fields = ["enabled", "url", "channel", "signing_secret"]
        # The secret is never written back into the page; left blank, the stored one is kept.
        widgets = {"signing_secret": forms.PasswordInput(render_value=False)}
        help_texts = {
            "signing_secret": "Signs each body (X-Leapdash-Signature); never sent itself. "
            "Leave blank to keep the current secret."
        }

    def clean_url(self) -> str:
        url = str(self.cleaned_data.get("url") or "")
        problem = url_problem(url) if url else None
        if problem:
            raise forms.ValidationError(problem)
        return url

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("enabled") and not data.get("url") and "url" not in self.errors:
            self.add_error("url", "An enabled hook needs a URL.")
        if not data.get("signing_secret") and self.instance.pk:
            data["signing_secret"] = self.instance.signing_secret
        return data


@ops_view
@require_http_methods(["GET", "POST"])
def hook_settings(request: HtmxHttpRequest) -> HttpResponse:
    hook = OutgoingHook.load()
    form = HookForm(request.POST or None, instance=hook)
    if request.method == "POST":
        if request.POST.get("send_now") == "1" and hook.enabled and hook.url:
            transaction.on_commit(lambda: post_due_touches_task.delay())
            messages.success(request, "Due touches will be posted to the hook shortly.")
            return redirect("connections:hook")
        if form.is_valid():
            form.save()
            messages.success(request, "Outgoing hook saved.")
            return redirect("connections:hook")
    context = {"form": form, "hook": hook, "window_days": HORIZON.days}
    return render(request, "connections/hook.html", context)
