"""CSRF: every POST in the URLconf needs the token, htmx requests included; the header works.

Both exemptions are reviewed here: the webhook receiver (shared-secret header) and the
sandbox's Leap API (Bearer key), neither of which a browser session can drive.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.security.urls import all_urls

CSRF_EXEMPT = {"leap_webhook"}
CSRF_EXEMPT_PREFIX = "sandbox:api-"
CSRF_FAILED = b"CSRF verification failed"

POST_URLS = [
    pytest.param(path, id=name)
    for name, path in all_urls()
    if name not in CSRF_EXEMPT and not name.startswith(CSRF_EXEMPT_PREFIX)
]


@pytest.fixture
def csrf_ops(ops_user, admin_user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(ops_user)
    return client


def test_there_are_post_urls_to_check():
    assert len(POST_URLS) >= 60


@pytest.mark.parametrize("path", POST_URLS)
def test_every_post_without_a_valid_token_is_refused(csrf_ops, path):
    for headers in ({}, {"HX-Request": "true"}):
        response = csrf_ops.post(path, {"confirm": "1"}, headers=headers)
        assert response.status_code == 403, headers
        assert CSRF_FAILED in response.content
    csrf_ops.get("/accounts/login/")  # sets the CSRF cookie
    wrong = csrf_ops.post(path, headers={"HX-Request": "true", "X-CSRFToken": "x" * 32})
    assert wrong.status_code == 403
    assert CSRF_FAILED in wrong.content


def test_logging_in_needs_the_token(pm_user):
    from tests.factories import PASSWORD

    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "pat-pm", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def _page_token(client: Client, path: str) -> str:
    """The token as htmx sends it: from the page's hx-headers, as base.html renders it."""
    html = client.get(path).content.decode()
    match = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", html)
    assert match, "base.html lost the hx-headers CSRF header"
    return match.group(1)


def test_htmx_posts_with_the_pages_header_token_are_accepted(pm_user, make_link):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pm_user)
    token = _page_token(client, "/links/new/")
    htmx = {"HX-Request": "true", "X-CSRFToken": token}
    preview = client.post("/links/new/preview/", {"ref_id": "abc-1"}, headers=htmx)
    assert preview.status_code == 200
    link = make_link(ref_id="csrf-1")
    sent = client.post(f"/links/{link.pk}/sent/", headers=htmx)
    assert sent.status_code == 302
    fix = client.post("/meters/fix/", {"meter": "1", "reference": "x"}, headers=htmx)
    assert fix.status_code == 200


def test_a_form_token_is_accepted(pm_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pm_user)
    token = _page_token(client, "/meters/partners/")
    response = client.post("/meters/partners/from-links/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_the_admins_forms_accept_their_token_and_nothing_else(ops_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ops_user)
    page = client.get("/admin/links/flow/add/").content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found
    token = found.group(1)
    form = {"org_name": "acme", "title": "home", "region": "CAISO", "customer_type": "residential"}
    refused = client.post("/admin/links/flow/add/", form)
    assert refused.status_code == 403
    accepted = client.post("/admin/links/flow/add/", {**form, "csrfmiddlewaretoken": token})
    assert accepted.status_code in (200, 302)
    assert CSRF_FAILED not in accepted.content
