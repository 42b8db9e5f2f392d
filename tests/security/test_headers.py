"""Security headers on every page, and the cookie and transport settings of production."""

from __future__ import annotations

import json

import pytest

from tests.security.urls import all_urls
from tests.test_settings import PRODUCTION, _manage

GET_URLS = [pytest.param(path, id=name) for name, path in all_urls()]


def _directives(header: str) -> dict[str, list[str]]:
    parts = (p.split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def assert_locked_down(response) -> None:
    policy = _directives(response["Content-Security-Policy"])
    for directive in ("script-src", "style-src"):
        assert policy[directive] == ["'self'"], (directive, policy[directive])
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_there_are_pages_to_check():
    assert len(GET_URLS) >= 60


@pytest.mark.parametrize("path", GET_URLS)
def test_every_response_carries_the_security_headers(ops_client, client, path):
    """Pages, partials, downloads, errors and redirects alike (logged in and not)."""
    assert_locked_down(ops_client.get(path))
    assert_locked_down(ops_client.get(path, headers={"HX-Request": "true"}))
    assert_locked_down(client.get(path))


def test_a_404_and_the_login_page_carry_them_too(client, db):
    assert_locked_down(client.get("/no-such-page/"))
    assert_locked_down(client.get("/accounts/login/"))


PROBE = """
import json
from django.conf import settings
from django.test import Client
names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
         "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_CONTENT_TYPE_NOSNIFF",
         "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY", "DEBUG", "LEAP_SANDBOX"]
values = {n: getattr(settings, n) for n in names}
client = Client(HTTP_HOST="leapdash.example.com")
plain = client.get("/accounts/login/")
values["http_redirect"] = [plain.status_code, plain.get("Location", "")]
page = client.get("/accounts/login/", secure=True)
values["hsts"] = page.get("Strict-Transport-Security", "")
cookie = page.cookies["csrftoken"]
values["csrf_cookie"] = {"secure": bool(cookie["secure"]), "samesite": cookie["samesite"]}
print(json.dumps(values))
"""


def test_production_sends_cookies_over_https_only():
    """DEBUG off and no profile: checked in a fresh process, as tests/test_settings.py does."""
    import os

    # the manifest comes from collectstatic at deploy time; this process has none
    env = {**PRODUCTION, "STATIC_MANIFEST": "0"}
    if "DATABASE_URL" in os.environ:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    result = _manage("shell", "-c", PROBE, **env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["LEAP_SANDBOX"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["http_redirect"] == [301, "https://leapdash.example.com/accounts/login/"]
    assert "max-age=31536000" in values["hsts"]
    assert values["csrf_cookie"] == {"secure": True, "samesite": "Lax"}
