"""The development and local (`make up`) profiles, checked in fresh processes."""

from __future__ import annotations

from tests.test_settings import PRODUCTION, _manage

SHOW = "from django.conf import settings as s; print({names})"


def _show(env: dict[str, str], *names: str) -> list[str]:
    code = SHOW.format(names=", ".join(f"s.{n}" for n in names))
    result = _manage("shell", "--no-imports", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_development_profile_starts_with_nothing_else_set():
    assert _show({"ENV_FILE": "leapdash/profiles/dev.env"}, "DEBUG") == ["True"]


def test_without_a_profile_a_missing_secret_key_is_still_refused():
    result = _manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_local_profile_is_production_over_plain_http_with_a_one_minute_beat():
    debug, redirect, cookie, storage, interval = _show(
        {"ENV_FILE": "leapdash/profiles/local.env"},
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "STORAGES['staticfiles']['BACKEND']",
        "CELERY_BEAT_SCHEDULE['sync-connections']['schedule'].total_seconds()",
    )
    assert (debug, redirect, cookie) == ("False", "False", "False")
    assert storage == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert interval == "60.0"


def test_real_environment_variables_win_over_the_local_profile():
    env = {"ENV_FILE": "leapdash/profiles/local.env", "LEAP_SYNC_INTERVAL_MINUTES": "90"}
    assert _show(env, "LEAP_SYNC_INTERVAL_MINUTES") == ["90"]


def test_a_short_interval_is_refused_when_leap_is_not_the_sandbox():
    env = {
        **PRODUCTION,
        "LEAP_SANDBOX": "1",
        "LEAP_API_BASE_URL": "https://api.leap.energy",
        "LEAP_SYNC_INTERVAL_MINUTES": "1",
    }
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "only while the sandbox is the Leap" in result.stderr


def test_ensure_database_creates_a_missing_database_once():
    import uuid

    import psycopg

    name = f"leapdash_ensure_{uuid.uuid4().hex[:8]}"
    env = {
        "ENV_FILE": "leapdash/profiles/dev.env",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
    }
    admin = "host=127.0.0.1 user=postgres dbname=postgres"
    try:
        first = _manage("ensure_database", **env)
        assert first.returncode == 0, first.stderr
        assert f"Created database '{name}'" in first.stdout
        again = _manage("ensure_database", **env)
        assert again.returncode == 0, again.stderr
        assert again.stdout == ""
        with psycopg.connect(admin) as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        assert row == (1,)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
