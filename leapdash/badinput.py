"""Input PostgreSQL cannot store, refused before any view sees it: a 400, never a 500.

Text columns cannot hold U+0000 and UTF-8 cannot encode a lone surrogate, so either one in the
path, a query parameter (name or value) or a form field would fail deep inside a query. The
check runs before CSRF (which reads the form), so an upload past UPLOAD_MAX_BYTES also ends
here, as a 413. The sandbox API answers with Leap's error body, everything else with a short
page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.html import escape

from leapdash.uploads import UploadTooLarge

# NUL and the surrogate range: unstorable in PostgreSQL text, unencodable in UTF-8.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
SANDBOX_API = "/sandbox/api/"


def _bad(values: Iterable[str]) -> bool:
    return any(UNSTORABLE.search(value) for value in values)


def _pairs(query: QueryDict) -> Iterable[str]:
    for key, values in query.lists():
        yield key
        yield from values


def refusal(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if request.path_info.startswith(SANDBOX_API):
        # the sandbox API's own title for a refused parameter, in Leap's error body
        body = {"title": "Invalid parameter", "status": status, "details": {"message": message}}
        return JsonResponse(body, status=status)
    page = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{escape(message)}</p>"
    return HttpResponse(page, status=status)


class BadInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _bad([request.path_info]) or _bad(_pairs(request.GET)):
            return refusal(
                request, 400, "Bad Request", "The address holds characters that are not allowed."
            )
        # the sandbox API takes JSON bodies, which its views check themselves
        if request.method == "POST" and not request.path_info.startswith(SANDBOX_API):
            try:
                form = request.POST
            except UploadTooLarge as exc:
                return refusal(request, 413, "Request Entity Too Large", str(exc))
            if _bad(_pairs(form)):
                return refusal(
                    request, 400, "Bad Request", "The form holds characters that are not allowed."
                )
        return self.get_response(request)
