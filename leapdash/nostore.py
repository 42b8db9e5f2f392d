"""Nothing a logged-in user sees is kept by a browser or proxy cache: pages, htmx partials,
CSV and JSON downloads all carry `Cache-Control: no-store`. Static files (served before the
session is read) and the anonymous login page keep their own headers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # request.user is the one the view saw; a logout's own response is anonymous
        if request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
