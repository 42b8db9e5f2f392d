"""Sessions end 12 hours after login (SESSION_COOKIE_AGE) whatever the activity, and after
SESSION_IDLE_SECONDS without a request from the user. Requests that only poll (a progress card
refreshing itself) do not count as activity: views marked @polls leave the clock alone.

The login time and the last activity live in the session. The activity stamp is rewritten at
most once a minute, so a busy user does not write the session on every request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect

LOGIN_AT = "leapdash_login_at"
SEEN_AT = "leapdash_seen_at"
STAMP_EVERY = 60  # seconds between rewrites of the activity stamp

V = TypeVar("V", bound=Callable[..., Any])


def polls(view: V) -> V:
    """Mark a view whose requests are polling, not the user: they do not extend idle time."""
    view.leapdash_polls = True  # type: ignore[attr-defined]
    return view


def stamp_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """user_logged_in: start both clocks; the cookie and the stored session expire with the
    absolute lifetime too, so activity never extends them."""
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now
    request.session.set_expiry(timedelta(seconds=settings.SESSION_COOKIE_AGE))  # fixed time


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return None
        session, now = request.session, time.time()
        login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
        if login_at is None or seen_at is None:  # a session from before these rules
            session[LOGIN_AT] = session[SEEN_AT] = now
            return None
        if (
            now - login_at > settings.SESSION_COOKIE_AGE
            or now - seen_at > settings.SESSION_IDLE_SECONDS
        ):
            logout(request)
            back = request.headers.get("HX-Current-URL") or request.get_full_path()
            login = redirect_to_login(back)
            if request.headers.get("HX-Request"):
                return HttpResponseClientRedirect(login["Location"])
            return login
        if not getattr(view, "leapdash_polls", False) and now - seen_at >= STAMP_EVERY:
            session[SEEN_AT] = now
        return None
