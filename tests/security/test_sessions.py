"""Sessions: 12 hours from login at most, 30 idle minutes (polling does not count as activity),
passwords of 12+ characters, and a password change ends the user's other sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from leapdash.runs.models import SyncRun
from tests.factories import PASSWORD

NEW_PASSWORD = "a-much-longer-Passphrase-42"


def _logged_in(user) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _in(client: Client) -> bool:
    return client.get("/").status_code == 200


def test_the_settings_hold_the_limits():
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    assert not settings.SESSION_SAVE_EVERY_REQUEST


def test_a_session_ends_after_30_idle_minutes(pm_user):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = _logged_in(pm_user)
        clock.shift(timedelta(minutes=29))
        assert _in(client)
        clock.shift(timedelta(minutes=29))  # 29 min after the last request: still in
        assert _in(client)
        clock.shift(timedelta(minutes=31))
        response = client.get("/connections/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/connections/")
        assert not _in(client)  # logged out, not only redirected once


def test_polling_a_progress_card_does_not_keep_a_session_alive(pm_user):
    run = SyncRun.objects.create(
        kind=SyncRun.Kind.CONNECTIONS, status=SyncRun.Status.RUNNING, started_at=timezone.now()
    )
    progress = f"/sync/runs/{run.pk}/progress/"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = _logged_in(pm_user)
        for _ in range(15):  # 30 minutes of polling every 2 minutes, nothing else
            clock.shift(timedelta(minutes=2))
            assert client.get(progress, headers={"HX-Request": "true"}).status_code == 200
        clock.shift(timedelta(minutes=2))
        response = client.get(progress, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert response["HX-Redirect"].startswith("/accounts/login/")
        assert not _in(client)


def test_activity_never_extends_a_session_past_12_hours(pm_user):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = _logged_in(pm_user)
        cookie_age = client.cookies[settings.SESSION_COOKIE_NAME]["max-age"]
        assert 0 < int(cookie_age) <= 12 * 60 * 60
        for _ in range(12 * 4 - 1):  # a request every 15 minutes for 11 h 45 min
            clock.shift(timedelta(minutes=15))
            assert _in(client)
        clock.shift(timedelta(minutes=16))
        assert not _in(client)


def test_the_session_cookie_is_not_renewed_by_activity(pm_user):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = _logged_in(pm_user)
        clock.shift(timedelta(hours=2))
        client.get("/")  # rewrites the activity stamp, so the cookie is sent again
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        assert int(cookie["max-age"]) <= 10 * 60 * 60 + 1


@pytest.mark.parametrize(
    "password",
    ["Short-pw-1", "password1234", "pat-pm@example.com!"],
    ids=["under-12", "common", "like-the-username"],
)
def test_weak_passwords_are_refused(pm_user, password):
    with pytest.raises(ValidationError):
        validate_password(password, pm_user)


def test_a_twelve_character_uncommon_password_is_accepted(pm_user):
    validate_password("Qx7-vbn-Lp2z", pm_user)


def test_a_password_change_ends_the_users_other_sessions(pm_user):
    here, elsewhere = _logged_in(pm_user), _logged_in(pm_user)
    form = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = here.post("/accounts/password/", form)
    assert response.status_code == 302
    assert _in(here)  # the session that changed it stays
    assert not _in(elsewhere)
    assert elsewhere.get("/connections/")["Location"].startswith("/accounts/login/")


def test_the_password_page_applies_the_rules(pm_user):
    client = _logged_in(pm_user)
    form = {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    response = client.post("/accounts/password/", form)
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
