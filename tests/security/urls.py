"""Every URL of the URLconf with sample arguments, for the checks that must cover them all."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import get_resolver

from leapdash.accounts.roles import PRODUCT_APPS
from tests.test_access import _concrete, _walk

# The admin's pages for models outside the product are Django's and third parties' own.
ADMIN_SKIPPED = ("admin:app_list",)


def all_urls() -> Iterator[tuple[str, str]]:
    """(URL name, concrete path) for every named URL: the dashboard, public pages, the admin
    pages of the product's models, and the sandbox."""
    for name, route, _view in _walk(get_resolver().url_patterns):
        path = _concrete(route)
        if name.startswith("admin:"):
            if name in ADMIN_SKIPPED:
                continue
            if path != "/admin/" and path.split("/")[2] not in PRODUCT_APPS:
                continue
        yield name, path
