"""LeapError and its subclasses: what went wrong talking to Leap, typed for the caller.

Messages carry the HTTP status, Leap's error title and details, and the path; never the API
key or any request header (tests assert it).
"""

from __future__ import annotations

import json
from typing import Any

from leapdash.leap.records import error_title


class LeapError(Exception):
    """Any failure talking to Leap. `status` is the HTTP status (None without a response)."""

    def __init__(self, message: str, *, status: int | None = None, retries: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.retries = retries


class LeapAuthError(LeapError):
    """401/403: the key is wrong, revoked or for the other environment. Never retried."""


class LeapRateLimited(LeapError):
    """429 still answered after the retries were spent."""

    def __init__(self, message: str, *, retry_after: float | None = None, retries: int = 0) -> None:
        super().__init__(message, status=429, retries=retries)
        self.retry_after = retry_after


class LeapServerError(LeapError):
    """5xx, a timeout or a lost connection, still failing after the retries were spent."""


class LeapProtocolError(LeapError):
    """Leap answered something unusable: not JSON, cut off, or the wrong shape."""


class LeapClientError(LeapError):
    """A 4xx Leap explained: `title` and `details` are Leap's own words."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        title: str = "",
        details: dict[str, Any] | None = None,
        retries: int = 0,
    ) -> None:
        super().__init__(message, status=status, retries=retries)
        self.title = title
        self.details = details or {}


class LeapBadRequest(LeapClientError):
    """400 (or another 4xx without a class of its own): the request was refused as invalid."""


class LeapNotFound(LeapClientError):
    """404: unknown meter or webhook."""


def error_for_status(
    request: str,
    status: int,
    content: bytes,
    *,
    retry_after: str | None,
    base_url: str,
    retries: int,
) -> LeapError:
    """The error for a non-2xx answer left after retries; `request` is "METHOD /path"."""
    try:
        title, details = error_title(json.loads(content))
    except ValueError:
        title, details = "", {}  # HTML, plain text or nothing: the status says enough
    where = f"{request}: HTTP {status}" + (f": {title}" if title else "")
    if status in (401, 403):
        return LeapAuthError(
            f"{where}. Leap refused the API key for {base_url}: it may be wrong or revoked, "
            "or belong to the other environment (staging vs production).",
            status=status,
            retries=retries,
        )
    if status == 429:
        return LeapRateLimited(
            f"{where} (still rate limited after {retries} retries)",
            retry_after=_seconds(retry_after),
            retries=retries,
        )
    if status >= 500:
        return LeapServerError(f"{where} (after {retries} retries)", status=status, retries=retries)
    if 400 <= status < 500:
        kind = LeapNotFound if status == 404 else LeapBadRequest
        detail = f" {json.dumps(details, sort_keys=True)[:300]}" if details else ""
        return kind(where + detail, status=status, title=title, details=details, retries=retries)
    return LeapProtocolError(f"{where}: unexpected status", status=status, retries=retries)


def _seconds(retry_after: str | None) -> float | None:
    try:
        return None if retry_after is None else float(retry_after)
    except ValueError:
        return None  # an HTTP date: the retries already honoured it


__all__ = [
    "LeapAuthError",
    "LeapBadRequest",
    "LeapClientError",
    "LeapError",
    "LeapNotFound",
    "LeapProtocolError",
    "LeapRateLimited",
    "LeapServerError",
    "error_for_status",
]
