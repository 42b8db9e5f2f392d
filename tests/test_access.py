"""Every URL in the URLconf is locked to the right roles; new URLs are covered automatically.

The matrix: anonymous visitors are sent to log in, a user without a role gets 403, program
managers open dashboard pages but not ops actions or the admin, ops open everything. Each URL is
tried with GET and with POST, so a POST-only action is checked as it is really used.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from leapdash.accounts.roles import PRODUCT_APPS

# URLs that are public by design, each with its own protection (named here so that a new
# public URL is a conscious decision, reviewed in this list).
PUBLIC = {
    "login",  # the login page itself, throttled by axes
    "logout",  # POST only; ends a session
    "leap_webhook",  # Leap's webhook deliveries: shared-secret header, POST only
    "links:done",  # Leap's final redirect lands customers here: records an unverified visit only
    "healthz",  # liveness probe: {"status": "ok"}, touches nothing
    "readyz",  # readiness probe: up/down per dependency and sync ages, no data
    "metrics",  # Prometheus scrape: bearer METRICS_TOKEN (404 when unset, 403 when wrong)
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


METHODS = ("get", "post")


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


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("url", "roles"), DASHBOARD_URLS)
def test_every_dashboard_url_follows_the_role_matrix(
    client, no_role_client, pm_client, ops_client, url, roles, method
):
    """anonymous → log in; no role → 403; program manager → 403 on ops actions only; ops → in."""
    anonymous = getattr(client, method)(url)
    assert anonymous.status_code == 302, "anonymous"
    assert anonymous["Location"].startswith("/accounts/login/"), "anonymous"
    assert getattr(no_role_client, method)(url).status_code == 403, "no role"
    pm_status = getattr(pm_client, method)(url).status_code
    if roles == {"Ops"}:
        assert pm_status == 403, "program manager on an ops action"
    else:
        assert pm_status != 403, "program manager on a dashboard page"
    assert getattr(ops_client, method)(url).status_code != 403, "ops"


def test_the_ops_only_actions_are_the_expected_ones():
    """A view moving between the roles is a decision to review here, not a silent change."""
    ops_only = {p.id for p in DASHBOARD_URLS if p.values[1] == {"Ops"}}
    assert ops_only >= {"connections:sync_now", "connections:hook", "meters:reconciliation_run"}


def test_the_admin_is_for_ops_only(pm_user, ops_client, client):
    pm_user.is_staff = True
    pm_user.save()
    client.force_login(pm_user)
    assert client.get("/admin/").status_code == 302  # back to the admin login
    assert ops_client.get("/admin/").status_code == 200


def admin_urls():
    for name, route, _view in _walk(get_resolver().url_patterns):
        # the login and logout pages are the way in and out; app_list's route is a regex
        if name.startswith("admin:") and name not in (
            "admin:login",
            "admin:logout",
            "admin:app_list",
        ):
            yield pytest.param(_concrete(route), id=name)


ADMIN_URLS = list(admin_urls())


def test_the_admin_has_pages_to_check():
    assert len(ADMIN_URLS) >= 10


@pytest.mark.parametrize("url", ADMIN_URLS)
def test_every_admin_page_is_for_ops_only(client, pm_user, ops_client, admin_client, url):
    """Staff status alone (a program manager made staff by mistake) opens no admin page."""
    assert client.get(url).status_code == 302, "anonymous"
    pm_user.is_staff = True
    pm_user.save()
    client.force_login(pm_user)
    for method in METHODS:
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, response.status_code)
        assert response["Location"].startswith("/admin/login/")
    if url == "/admin/" or url.split("/")[2] in PRODUCT_APPS:
        # Ops hold every permission on the product's models (auth, beat and axes are for
        # superusers): they get what a superuser gets, e.g. no add page for synced models.
        assert ops_client.get(url).status_code == admin_client.get(url).status_code, "ops"
