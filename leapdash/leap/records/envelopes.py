"""The wrappers around Leap's records: page envelopes and error bodies.

A wrong envelope is a protocol problem (the whole response is unusable), so these raise
ValueError for the client to turn into LeapProtocolError, unlike RecordError which spoils one
record only.
"""

from __future__ import annotations

from typing import Any


def connections_page(obj: object) -> tuple[list[Any], str | None]:
    """Connect API page → (raw connection objects, next page token or None)."""
    return _page(obj, "connections", "nextPageToken")


def search_page(obj: object) -> tuple[list[Any], str | None]:
    """Meters / enrollments search page → (raw meter objects, next page token or None)."""
    return _page(obj, "meters", "next_page_token")


def _page(obj: object, items_key: str, token_key: str) -> tuple[list[Any], str | None]:
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object with '{items_key}', got {type(obj).__name__}")
    items = obj.get(items_key)
    if not isinstance(items, list):
        raise ValueError(f"'{items_key}' is missing or not a list")
    token = obj.get(token_key)
    if token is not None and not isinstance(token, str):
        raise ValueError(f"'{token_key}' is not a string")
    return items, token or None  # absent, null and "" all mean: last page


def error_title(obj: object) -> tuple[str, dict[str, Any]]:
    """Leap error body → (title, details).

    Meters/Connect send {"title", "status", "details"}; the webhook API sends
    {"error", "message"}; a 500 may be a bare string.
    """
    if isinstance(obj, str):
        return obj[:200], {}
    if not isinstance(obj, dict):
        return "", {}
    title = obj.get("title") or obj.get("error") or ""
    details = obj.get("details")
    if not isinstance(details, dict):
        details = {}
    message = obj.get("message")
    if isinstance(message, str) and "message" not in details:
        details = {**details, "message": message}
    return (title if isinstance(title, str) else str(title))[:200], details
