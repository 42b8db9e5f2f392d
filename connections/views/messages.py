"""The message templates page: every message key's texts per touch and channel, the editor with
its live preview for a real connection of that kind (or a sample one), and the version history
with revert. Program managers and ops both edit: the texts are the partner's own words.

`?set=<name>` shows and edits a named template set, which a cadence variant may send instead of
the standard texts: a set holds only the texts it changes, the others read as the standard."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.db import transaction
from django.db.models.functions import Length
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leapdash.accounts.roles import dashboard_view
from leapdash.htmx import HtmxHttpRequest
from links.models import Link

from ..due import message_for, template_set_of
from ..messages import MESSAGES, Message, render_message
from ..models import Connection, MessageTemplate, MessageTemplateVersion
from ..templates import (
    CHANNELS,
    FIELDS,
    SMS,
    SMS_LIMIT,
    STANDARD,
    TOUCHES,
    set_name_errors,
    shorten_sms,
    template_book,
    template_errors,
    template_for,
    template_sets,
)
from .queue import group_title

SAMPLE_NAME, SAMPLE_UTILITIES = "Alex Rivera", ["PG&E: Pacific Gas and Electric"]
SAMPLE_LINK = "https://connect.leap.energy/c/sample-link"


def _checked(key: str, touch: int, channel: str) -> None:
    if key not in MESSAGES or touch not in TOUCHES or channel not in CHANNELS:
        raise Http404("No such message template.")


def _asked_set(request: HtmxHttpRequest) -> str:
    """The template set named by ?set= as set names are written ("" for the standard texts)."""
    return request.GET.get("set", STANDARD).strip().lower()


def _set_of(request: HtmxHttpRequest) -> str:
    """The template set a request is about; a malformed name is no set at all."""
    name = _asked_set(request)
    if set_name_errors(name):
        raise Http404("No such template set.")
    return name


def _query(template_set: str) -> str:
    return f"?set={template_set}" if template_set else ""


def _edit_url(key: str, touch: int, channel: str, template_set: str) -> str:
    url = reverse("connections:message_edit", args=[key, touch, channel])
    return url + _query(template_set)


@dashboard_view
@require_GET
def message_list(request: HtmxHttpRequest) -> HttpResponse:
    asked = _asked_set(request)
    problems = set_name_errors(asked)
    template_set = STANDARD if problems else asked
    book = template_book()
    groups = []
    for key in MESSAGES:
        rows = []
        for touch in TOUCHES:
            for channel in CHANNELS:
                template = template_for(key, touch, channel, book, template_set)
                own = template.template_set == template_set and bool(template.version)
                rows.append({"touch": touch, "channel": channel, "t": template, "own": own})
        groups.append({"key": key, "title": group_title(key, book), "rows": rows})
    context = {
        "groups": groups,
        "template_set": template_set,
        "qs": _query(template_set),
        "sets": sorted(set(template_sets()) | ({template_set} - {STANDARD})),
        "set_problems": problems,
        "asked": asked,
    }
    return render(request, "connections/messages.html", context)


def _example(key: str) -> Connection | None:
    """The latest connection this message goes to: the preview's customer."""
    rows = Connection.objects.filter(message_key=key).select_related("link", "link__flow")
    return rows.filter(link__isnull=False).order_by("-last_interaction_at", "-pk").first()


def _longest_link(example: Connection | None) -> str:
    """The longest real link of the example's flow (of any link without one): SMS lengths
    are counted with it, so a text that fits does so for every customer of the flow."""
    links = Link.objects.all()
    if example is not None and example.link is not None and example.link.flow_id is not None:
        links = links.filter(flow_id=example.link.flow_id)
    found = links.annotate(n=Length("url")).order_by("-n").values_list("url", flat=True).first()
    return found or SAMPLE_LINK


def preview(key: str, touch: int, channel: str, subject: str, body: str) -> dict[str, Any]:
    """The rendered texts (or why they are refused) and, for an SMS, its length."""
    errors = template_errors(subject) + template_errors(body)
    if channel == SMS and subject:
        errors.append("An SMS has no subject: leave it empty.")
    if errors:
        return {"errors": errors}
    example = _example(key)
    template = Message(subject, body)
    if example is not None:
        # the draft, whichever template set the example's cadence variant sends
        sets = {STANDARD, template_set_of(example)}
        shown = message_for(
            example, key, touch, channel, {(s, key, touch, channel): template for s in sets}
        )
    else:
        shown = render_message(
            key,
            customer_name=SAMPLE_NAME,
            subjects=SAMPLE_UTILITIES,
            link_url=SAMPLE_LINK,
            template=template,
        )
    context: dict[str, Any] = {"message": shown, "example": example, "errors": []}
    if channel == SMS:
        link = _longest_link(example)
        name, subjects = SAMPLE_NAME, SAMPLE_UTILITIES
        if example is not None and example.link is not None:
            name, subjects = example.link.customer_name, list(example.message_subjects)
        longest = render_message(
            key, customer_name=name, subjects=subjects, link_url=link, template=template
        ).body
        context.update(
            longest_link=link,
            length=len(longest),
            limit=SMS_LIMIT,
            shortened=shorten_sms(longest, link) if len(longest) > SMS_LIMIT else "",
        )
    return context


def _editor_context(
    key: str, touch: int, channel: str, template_set: str, **texts: str
) -> dict[str, Any]:
    rows = MessageTemplate.objects.filter(template_set=template_set)
    row = rows.filter(key=key, touch=touch, channel=channel).first()
    current = template_for(key, touch, channel, template_set=template_set)
    subject = texts.get("subject", current.subject)
    body = texts.get("body", current.body)
    history = list(row.versions.select_related("saved_by")) if row else []
    for older, newer in zip(history[1:], history, strict=False):
        newer.changed = [  # type: ignore[attr-defined]
            name for name in ("subject", "body") if getattr(older, name) != getattr(newer, name)
        ]
    return {
        "key": key,
        "touch": touch,
        "channel": channel,
        "title": group_title(key),
        "template_set": template_set,
        "qs": _query(template_set),
        "inherited": row is None and template_set != STANDARD,
        "is_sms": channel == SMS,
        "subject": subject,
        "body": body,
        "row": row,
        "history": history,
        "fields": FIELDS,
        "preview": preview(key, touch, channel, subject, body),
    }


def save_template(
    key: str,
    touch: int,
    channel: str,
    *,
    subject: str,
    body: str,
    user: Any,
    note: str,
    template_set: str = STANDARD,
) -> MessageTemplate:
    """A new version of one template. A missing row is created from the text it replaces (the
    standard one's, which is the built-in text where the standard row is missing too)."""
    now = timezone.now()
    with transaction.atomic():
        original = template_for(key, touch, channel)
        row, _ = MessageTemplate.objects.select_for_update().get_or_create(
            template_set=template_set,
            key=key,
            touch=touch,
            channel=channel,
            defaults={"subject": original.subject, "body": original.body, "updated_at": now},
        )
        if not row.versions.exists():
            row.versions.create(
                version=row.version, subject=row.subject, body=row.body, saved_at=now
            )
        row.version += 1
        row.subject, row.body, row.updated_by, row.updated_at = subject, body, user, now
        row.save()
        row.versions.create(
            version=row.version,
            subject=subject,
            body=body,
            saved_by=user,
            saved_at=now,
            note=note[:200],
        )
    return row


@dashboard_view
@require_http_methods(["GET", "POST"])
def message_edit(request: HtmxHttpRequest, key: str, touch: int, channel: str) -> HttpResponse:
    _checked(key, touch, channel)
    template_set = _set_of(request)
    if request.method != "POST":
        context = _editor_context(key, touch, channel, template_set)
        return render(request, "connections/message_edit.html", context)
    subject = request.POST.get("subject", "").strip() if channel != SMS else ""
    body = request.POST.get("body", "").strip()
    context = _editor_context(key, touch, channel, template_set, subject=subject, body=body)
    if not body:
        context["preview"] = {"errors": ["The message needs a body."]}
    if context["preview"]["errors"]:
        return render(request, "connections/message_edit.html", context, status=422)
    row = save_template(
        key,
        touch,
        channel,
        subject=subject,
        body=body,
        user=request.user,
        note=request.POST.get("note", "").strip(),
        template_set=template_set,
    )
    flash.success(request, f"Saved as version {row.version}.")
    return HttpResponseRedirect(_edit_url(key, touch, channel, template_set))


@dashboard_view
@require_POST
def message_preview(request: HtmxHttpRequest, key: str, touch: int, channel: str) -> HttpResponse:
    _checked(key, touch, channel)
    subject = request.POST.get("subject", "").strip() if channel != SMS else ""
    context = preview(key, touch, channel, subject, request.POST.get("body", "").strip())
    return render(request, "connections/_message_preview.html", {"preview": context})


@dashboard_view
@require_POST
def message_revert(request: HtmxHttpRequest, key: str, touch: int, channel: str) -> HttpResponse:
    _checked(key, touch, channel)
    template_set = _set_of(request)
    row = get_object_or_404(
        MessageTemplate, template_set=template_set, key=key, touch=touch, channel=channel
    )
    version = request.POST.get("version", "")
    old = get_object_or_404(
        MessageTemplateVersion, template=row, version=int(version) if version.isdigit() else 0
    )
    saved = save_template(
        key,
        touch,
        channel,
        subject=old.subject,
        body=old.body,
        user=request.user,
        note=f"Reverted to version {old.version}",
        template_set=template_set,
    )
    flash.success(request, f"Reverted to version {old.version} (saved as version {saved.version}).")
    return HttpResponseRedirect(_edit_url(key, touch, channel, template_set))
