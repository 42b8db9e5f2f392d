"""htmx helpers: the one rule for page-versus-partial responses, and the URL a partial pushes."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def is_partial(request: HtmxHttpRequest) -> bool:
    """True when htmx wants only the fragment: not boosted, not a history restore."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def push_clean_url(request: HtmxHttpRequest, response: HttpResponse) -> HttpResponse:
    """Have htmx push the URL without the form's empty fields: shorter to share, same meaning."""
    if is_partial(request):
        kept = [(k, v) for k, values in request.GET.lists() for v in values if v]
        response["HX-Push-Url"] = request.path + (f"?{urlencode(kept)}" if kept else "")
    return response
