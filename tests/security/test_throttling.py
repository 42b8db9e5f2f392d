"""Login throttling beyond the dashboard's login form (tests/accounts covers that form): the
admin's login is throttled by the same counter, and the lock lifts after the cool-off only."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD


def _fail(client: Client, path: str, username: str, times: int) -> None:
    for _ in range(times):
        client.post(path, {"username": username, "password": "wrong"})


def test_the_admin_login_is_throttled_too(ops_user):
    client = Client()
    _fail(client, "/admin/login/", ops_user.username, settings.AXES_FAILURE_LIMIT)
    locked = client.post("/admin/login/", {"username": ops_user.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_on_both_forms_add_up(ops_user):
    client = Client()
    _fail(client, "/admin/login/", ops_user.username, settings.AXES_FAILURE_LIMIT - 2)
    _fail(client, "/accounts/login/", ops_user.username, 2)
    locked = client.post("/accounts/login/", {"username": ops_user.username, "password": PASSWORD})
    assert locked.status_code == 429


def test_the_lock_lifts_after_the_cool_off(pm_user):
    # (a try while locked counts as one more failure and extends the lock, so none is made)
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _fail(client, "/accounts/login/", pm_user.username, settings.AXES_FAILURE_LIMIT)
        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(minutes=1))
        ok = client.post("/accounts/login/", {"username": pm_user.username, "password": PASSWORD})
        assert ok.status_code == 302
