"""What every sandbox API endpoint shares: Bearer auth, Leap's error bodies, page tokens, chaos.

Error bodies are Leap's `{"title", "status", "details"}` (the webhook API uses its own
`{"error", "message"}`); an unexpected failure is a plain-text 500, as Leap's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from . import chaos

logger = logging.getLogger(__name__)

WRONG_KEY = (
    "You do not have the necessary permissions for this operation. Leap API keys are scoped "
    "to one environment: a staging key is refused by production and a production key by "
    "staging. Check that the key belongs to this environment (here: the leapdash sandbox, "
    "LEAP_SANDBOX_API_KEY)."
)
INTERNAL_ERROR = "An error happened whilst processing your request"


class ApiError(Exception):
    """Raised by a view to answer with Leap's error body."""

    def __init__(self, status: int, title: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.details = details or {}


def error_response(
    status: int, title: str, details: dict | None = None, style: str = "leap"
) -> JsonResponse:
    if style == "webhooks":
        return JsonResponse(
            {"error": title, "message": (details or {}).get("message", title)}, status=status
        )
    return JsonResponse({"title": title, "status": status, "details": details or {}}, status=status)


def _bearer(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return key.strip()


def api_view(methods: list[str], style: str = "leap", wrong_key_status: int = 403) -> Callable:
    """CSRF-exempt (Bearer-authenticated) JSON endpoint with auth, chaos and a plain-text 500.

    Leap answers a wrong key with 403; UtilityAPI (test-submit) with 401."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            key = _bearer(request)
            if key is None:
                return error_response(
                    401, "Unauthorized", {"message": "Auth token is missing"}, style
                )
            expected = settings.LEAP_SANDBOX_API_KEY
            if not expected or not constant_time_compare(key, expected):
                return error_response(wrong_key_status, WRONG_KEY, {"message": WRONG_KEY}, style)
            if request.method not in methods:
                refused = error_response(405, "Method not allowed", {"allowed": methods}, style)
                refused["Allow"] = ", ".join(methods)  # RFC 9110: a 405 names what is allowed
                return refused
            if any(has_nul(v) for v in [*request.GET.values(), *kwargs.values()]):
                return error_response(
                    400, "Invalid parameter", {"error": "NUL is not allowed in parameters"}, style
                )
            knobs = chaos.before_request(key)
            request.sandbox_chaos = knobs  # type: ignore[attr-defined]
            if knobs is not None and knobs.response is not None:
                return knobs.response
            try:
                response = view(request, *args, **kwargs)
            except ApiError as exc:
                details = (
                    exc.details
                    if style == "leap"
                    else {"message": exc.details.get("message", exc.title)}
                )
                return error_response(exc.status, exc.title, details, style)
            except Exception:
                # recorded, then answered the way Leap answers an internal error
                logger.exception("sandbox API error on %s", request.path)
                return HttpResponse(INTERNAL_ERROR, status=500, content_type="text/plain")
            return chaos.after_response(knobs, response)

        return wrapper

    return decorator


def json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "Request body is not valid JSON", {"error": str(exc)}) from exc


def json_object(request: HttpRequest) -> dict[str, Any]:
    """The body as a JSON object; anything else (null, a list, a number) is a 400, as Leap's
    schemas make every request body an object."""
    body = json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object", {"body": type(body).__name__})
    if has_nul(body):
        raise ApiError(400, "Invalid body", {"error": "NUL is not allowed in any value"})
    return body


def has_nul(value: Any) -> bool:
    """True if a string anywhere in the value holds NUL, which PostgreSQL cannot store or
    compare: such a request is refused as a 400 rather than failing in the database."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def parse_when(value: Any, field: str) -> datetime:
    """An ISO-8601 date-time with an offset (or Z), as UTC."""
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
        # in UTC: PostgreSQL refuses offsets beyond 15:59, which Python reads
        utc = moment.astimezone(UTC) if moment and moment.tzinfo else None
    except (ValueError, OverflowError):
        utc = None
    if utc is None:
        raise ApiError(400, f"Invalid {field}", {field: value, "error": "expected ISO-8601 UTC"})
    return utc


# --- page tokens ---------------------------------------------------------------------------
# Opaque, signed, and built so that every token contains "+", "/" and "=": clients must
# URL-encode them. The leading bytes encode to "+/+/"; the length is padded to end in "==".
_MAGIC = b"\xfb\xff\xbf"


def _mac(data: bytes) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), data, hashlib.sha256).digest()[:9]


def filters_hash(filters: Any) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True, default=str).encode()).hexdigest()[:8]


def encode_token(kind: str, last_pk: int, filters: Any) -> str:
    payload = f"{kind}:{last_pk}:{filters_hash(filters)}".encode()
    while (len(_MAGIC) + 9 + len(payload)) % 3 != 1:
        payload += b"."
    raw = _MAGIC + _mac(payload) + payload
    return base64.b64encode(raw).decode()


def decode_token(token: str, kind: str, filters: Any, field: str) -> int:
    """The last primary key of the previous page; 400 for anything not issued by us."""
    if " " in token:
        raise ApiError(
            400,
            "Invalid page token",
            {
                field: token,
                "error": "the token contains a space: it was not URL-encoded, so '+' arrived as "
                "' '. URL-encode the previous nextPageToken before sending it.",
            },
        )
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    payload = raw[len(_MAGIC) + 9 :]
    ok = raw[: len(_MAGIC)] == _MAGIC and hmac.compare_digest(
        raw[len(_MAGIC) : len(_MAGIC) + 9], _mac(payload)
    )
    parts = payload.rstrip(b".").decode(errors="replace").split(":")
    if not ok or len(parts) != 3 or parts[0] != kind or not parts[1].isdigit():
        raise ApiError(
            400, "Invalid page token", {field: token, "error": "unknown or damaged token"}
        )
    if parts[2] != filters_hash(filters):
        raise ApiError(
            400,
            "Invalid page token",
            {field: token, "error": "the filters changed since this token"},
        )
    return int(parts[1])
