"""The page a locked-out login gets: how long the lock lasts and when to try again."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """axes' lockout response (AXES_LOCKOUT_CALLABLE). Every try while locked counts as one
    more failure, so the lock runs from this attempt: retry after now + the cool-off."""
    cool_off = get_cool_off(request)
    context = {
        "minutes": round(cool_off.total_seconds() / 60) if cool_off else None,
        "retry_at": timezone.now() + cool_off if cool_off else None,
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


USERNAME_MAX = 255  # axes' column; no real username is longer (Django's are 150 at most)


def attempted_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> Any:
    """The username a login tried, as axes records it (AXES_USERNAME_CALLABLE): axes' own rule,
    cut to its column so that a 10 KB "username" is counted instead of failing the login."""
    source = credentials if credentials else request.POST
    username = source.get(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))
    return username[:USERNAME_MAX] if isinstance(username, str) else username
