"""The one rule for page-versus-partial responses."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def is_partial(request: HtmxHttpRequest) -> bool:
    """True when htmx wants only the fragment: not boosted, not a history restore."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request
