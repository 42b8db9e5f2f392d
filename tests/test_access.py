"""Every URL in the URLconf is locked to the right roles; new URLs are covered automatically."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# URLs that are public by design, each with its own protection (named here so that a new
# public URL is a conscious decision, reviewed in this list).
PUBLIC = {
    "login",  # the login page itself, throttled by axes
    "logout",  # POST only; ends a session
    "leap_webhook",  # Leap's webhook deliveries: shared-secret header, POST only
    "links:done",  # Leap's final redirect lands customers here: records an unverified visit only
}
PUBLIC_PREFIXES = (
    "admin:",  # Django's admin has its own login; opened to ops only (tested below)
    "sandbox:",  # the local Leap stand-in: Bearer key for its API, public customer pages
)
SAMPLE_ARGS = {
    "int": "1",
    "str": "sample",
    "slug": "sample",
    "uuid": "00000000-0000-0000-0000-000000000001",
    "path": "sample",
}


def _walk(resolvers, prefix="", namespace=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry.callback


def _concrete(route: str) -> str:
    route = re.sub(
        r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_ARGS.get(m.group(1) or "str", "sample"), route
    )
    return "/" + route.lstrip("^").rstrip("$")


def dashboard_urls():
    for name, route, view in _walk(get_resolver().url_patterns):
        if name in PUBLIC or name.startswith(PUBLIC_PREFIXES):
            continue
        yield pytest.param(_concrete(route), getattr(view, "leapdash_roles", None), id=name)


DASHBOARD_URLS = list(dashboard_urls())


def test_the_urlconf_has_dashboard_pages_to_check():
    assert len(DASHBOARD_URLS) >= 5


@pytest.mark.parametrize(("url", "roles"), DASHBOARD_URLS)
def test_every_dashboard_view_declares_its_roles(url, roles):
    assert roles, f"{url} is neither public nor wrapped in dashboard_view/ops_view"


@pytest.mark.parametrize(("url", "roles"), DASHBOARD_URLS)
def test_anonymous_visitors_are_sent_to_log_in(client, url, roles):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(("url", "roles"), DASHBOARD_URLS)
def test_a_user_without_a_role_is_refused(no_role_client, url, roles):
    assert no_role_client.get(url).status_code == 403


@pytest.mark.parametrize(("url", "roles"), DASHBOARD_URLS)
def test_program_managers_open_dashboard_pages_but_not_ops_actions(pm_client, url, roles):
    status = pm_client.get(url).status_code
    if roles == {"Ops"}:
        assert status == 403
    else:
        assert status != 403


@pytest.mark.parametrize(("url", "roles"), DASHBOARD_URLS)
def test_ops_open_everything(ops_client, url, roles):
    assert ops_client.get(url).status_code != 403


def test_the_admin_is_for_ops_only(pm_user, ops_client, client):
    pm_user.is_staff = True
    pm_user.save()
    client.force_login(pm_user)
    assert client.get("/admin/").status_code == 302  # back to the admin login
    assert ops_client.get("/admin/").status_code == 200
