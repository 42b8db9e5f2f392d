"""Login throttling behind the TLS proxy: locks are per user and per client address, and the
client address is read from X-Forwarded-For as set by TRUSTED_PROXY_COUNT proxies, never the
proxy's own address (which every request shares)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.factories import PASSWORD

PROXY = "10.0.0.1"  # REMOTE_ADDR of every request: the proxy's address
ONE_PROXY = {
    "AXES_IPWARE_META_PRECEDENCE_ORDER": ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"),
    "AXES_IPWARE_PROXY_COUNT": 0,  # what TRUSTED_PROXY_COUNT=1 sets
    "IPWARE_STRICT": False,
}


def _via_proxy(forwarded_for: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def _fail(client: Client, path: str, username: str, times: int) -> None:
    for _ in range(times):
        client.post(path, {"username": username, "password": "wrong"})


def _log_in(client: Client, path: str, username: str) -> int:
    return client.post(path, {"username": username, "password": PASSWORD}).status_code


@override_settings(**ONE_PROXY)
@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_failures_from_one_client_never_lock_the_same_user_at_another(ops_user, path):
    attacker = _via_proxy("203.0.113.66")
    _fail(attacker, path, ops_user.username, settings.AXES_FAILURE_LIMIT + 3)
    assert _log_in(attacker, path, ops_user.username) == 429
    assert _log_in(_via_proxy("198.51.100.7"), path, ops_user.username) == 302


@override_settings(**ONE_PROXY)
def test_a_forged_forwarded_for_entry_does_not_move_the_lock(pm_user):
    """The proxy appends the real address; whatever the client wrote before it is ignored."""
    attacker = "203.0.113.66"
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5", "6.6.6.6"):
        _fail(_via_proxy(f"{forged}, {attacker}"), "/accounts/login/", pm_user.username, 1)
    assert _log_in(_via_proxy(f"9.9.9.9, {attacker}"), "/accounts/login/", pm_user.username) == 429
    assert _log_in(_via_proxy("198.51.100.7"), "/accounts/login/", pm_user.username) == 302


def test_without_the_proxy_setting_forwarded_for_is_not_trusted(pm_user):
    """The default (no proxy): a client cannot pick its address by sending the header."""
    for n in range(settings.AXES_FAILURE_LIMIT):
        _fail(_via_proxy(f"203.0.113.{n}"), "/accounts/login/", pm_user.username, 1)
    assert _log_in(_via_proxy("198.51.100.7"), "/accounts/login/", pm_user.username) == 429


def test_the_lockout_page_says_when_to_retry(pm_user):
    client = Client()
    _fail(client, "/accounts/login/", pm_user.username, settings.AXES_FAILURE_LIMIT)
    locked = client.post("/accounts/login/", {"username": pm_user.username, "password": "x"})
    assert locked.status_code == 429
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    page = locked.content.decode()
    assert f"Try again in {minutes} minutes" in page
    assert re.search(r'after <time datetime="[^"]+">\d\d:\d\d UTC</time>', page)
    assert locked["Retry-After"] == str(minutes * 60)


def test_the_settings_read_the_proxy_count_from_the_environment():
    from tests.test_settings import PRODUCTION, _manage

    code = (
        "from django.conf import settings as s; "
        "print(s.AXES_IPWARE_META_PRECEDENCE_ORDER, s.AXES_IPWARE_PROXY_COUNT)"
    )
    result = _manage("shell", "-c", code, **PRODUCTION, TRUSTED_PROXY_COUNT="2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "('HTTP_X_FORWARDED_FOR', 'REMOTE_ADDR') 1"


def test_an_overlong_username_is_counted_not_a_server_error(db):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/accounts/login/", {"username": "u" * 10_000, "password": "x"})
        assert response.status_code in (200, 429)
    locked = client.post("/accounts/login/", {"username": "u" * 10_000, "password": "x"})
    assert locked.status_code == 429
