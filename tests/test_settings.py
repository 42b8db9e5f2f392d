"""Production settings: checked in a fresh process with a production-like environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "prod-like-secret-9f8e7d6c5b4a39281706f5e4d3c2b1a0-zyxwvutsrqponm",
    "ALLOWED_HOSTS": "leapdash.example.com",
    "LEAP_API_KEY": "sk_live_should_never_leak",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Only the basics: the suite's own profile has been loaded into os.environ.
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_real_secret_key():
    result = _manage("check", **{**PRODUCTION, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_sandbox_is_off_in_production():
    code = "from django.urls import resolve; resolve('/sandbox/api/v1.1/connections')"
    result = _manage("shell", "-c", code, **PRODUCTION)
    assert result.returncode != 0
    assert "Resolver404" in result.stderr


def test_a_sync_interval_below_leaps_hourly_refresh_is_refused():
    result = _manage("check", **{**PRODUCTION, "LEAP_SYNC_INTERVAL_MINUTES": "15"})
    assert result.returncode != 0
    assert "at least 60" in result.stderr


EXAMPLE_KEY = next(
    line.split("=", 1)[1]
    for line in (ROOT / ".env.example").read_text().splitlines()
    if line.startswith("SECRET_KEY=")
)


@pytest.mark.parametrize(
    "key",
    [
        EXAMPLE_KEY,
        "change-me-" + "x7Kq9" * 10,  # the placeholder's words in any key
        "CHANGE-ME" + "aB3$z" * 10,
        "abcd" * 20,  # long, but four distinct characters
    ],
    ids=["example", "change-me", "upper-change-me", "four-distinct"],
)
def test_production_refuses_a_known_or_weak_secret_key(key):
    result = _manage("check", "--deploy", **{**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr  # says how to make a good one


def test_a_generated_key_is_accepted():
    import secrets

    key = secrets.token_urlsafe(50)
    env = {**PRODUCTION, "SECRET_KEY": key}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_sandbox_asked_for_with_debug_off_is_a_deploy_error_and_not_mounted():
    env = {**PRODUCTION, "LEAP_SANDBOX": "1"}
    result = _manage("check", "--deploy", **env)
    assert result.returncode != 0
    assert "leapdash.E001" in result.stderr
    code = "from django.urls import resolve; resolve('/sandbox/connect/o/t/')"
    mounted = _manage("shell", "-c", code, **env)
    assert "Resolver404" in mounted.stderr


def test_the_sandbox_mounted_with_debug_off_fails_check_deploy_on_warnings():
    env = {**PRODUCTION, "LEAP_SANDBOX": "1", "LEAP_SANDBOX_WITHOUT_DEBUG": "1"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "leapdash.W001" in result.stderr
    code = "from django.urls import resolve; print(resolve('/sandbox/connect/o/t/').url_name)"
    mounted = _manage("shell", "-c", code, **env)
    assert mounted.stdout.strip().splitlines()[-1] == "connect"


def test_the_demo_profile_runs_the_sandbox_with_debug_on():
    profile = (ROOT / "leapdash/profiles/demo.env").read_text().splitlines()
    assert "DEBUG=1" in profile
    assert "LEAP_SANDBOX=1" in profile


@pytest.mark.parametrize(
    ("name", "value"), [("SESSION_COOKIE_AGE", "43201"), ("SESSION_IDLE_SECONDS", "0")]
)
def test_session_lifetimes_past_the_limits_are_refused(name, value):
    result = _manage("check", **{**PRODUCTION, name: value})
    assert result.returncode != 0
    assert name in result.stderr
