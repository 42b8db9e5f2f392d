"""The suite owns one Redis database: it never empties database 0 nor refers to it."""

from __future__ import annotations

import uuid
from pathlib import Path

import redis
from django.conf import settings
from django.core.cache import cache

from tests.conftest import _check_redis_is_the_suites, _redis_db

PROFILE = Path(__file__).resolve().parents[2] / "leapdash/profiles/test.env"


def test_the_test_profile_names_a_redis_database_other_than_0():
    lines = dict(line.split("=", 1) for line in PROFILE.read_text().splitlines() if "=" in line)
    assert _redis_db(lines["REDIS_URL"]) != 0


def test_emptying_the_suites_cache_leaves_database_0_alone():
    server = redis.connection.parse_url(settings.REDIS_URL)
    db0 = redis.Redis(host=server.get("host", "127.0.0.1"), port=server.get("port", 6379), db=0)
    key = f"leapdash-suite-sentinel:{uuid.uuid4()}"
    db0.set(key, "kept", ex=300)
    try:
        cache.set("a-lock", "held")
        cache.clear()
        assert cache.get("a-lock") is None
        assert db0.get(key) == b"kept"
    finally:
        db0.delete(key)


def test_the_suite_refuses_to_run_on_database_0(settings):
    settings.REDIS_URL = settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
    assert "not 0" in (_check_redis_is_the_suites() or "")


def test_the_suite_refuses_a_broker_in_another_database_than_the_cache(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/14"
    settings.REDIS_URL = "redis://127.0.0.1:6379/13"
    assert _check_redis_is_the_suites() is not None
