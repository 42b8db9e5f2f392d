"""A per-address limit on the sandbox's anonymous customer pages, which create connections and
journey sessions. The API is not limited here: it needs the key, and has its own chaos 429s."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

WINDOW = 60  # seconds


def throttled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """At most LEAP_SANDBOX_JOURNEY_PER_MINUTE requests per client address and minute; the
    address is the one the login throttle uses (behind TRUSTED_PROXY_COUNT proxies)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        window = int(time.time()) // WINDOW
        key = f"sandbox-journey:{get_client_ip_address(request)}:{window}"
        cache.add(key, 0, timeout=WINDOW * 2)
        if cache.incr(key) > settings.LEAP_SANDBOX_JOURNEY_PER_MINUTE:
            wait = WINDOW - int(time.time()) % WINDOW
            response = HttpResponse(
                "Too many requests from your address: try again in a minute.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(wait)
            return response
        return view(request, *args, **kwargs)

    return wrapper
