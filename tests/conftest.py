"""Suite-wide fixtures. The suite needs the real PostgreSQL and Redis: it stops, naming the
service and how to start it, if either is unreachable (never a silent fallback or skip)."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client

from leapdash.accounts.roles import OPS, PROGRAM_MANAGERS
from tests.factories import UserFactory

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no"


def _check_postgres() -> str | None:
    import psycopg

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return f"the tests need PostgreSQL, but DATABASE_URL selects {db['ENGINE']}"
    try:
        psycopg.connect(
            host=db.get("HOST") or "127.0.0.1",
            port=int(db.get("PORT") or 5432),
            user=db.get("USER") or "postgres",
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=5,
        ).close()
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"PostgreSQL is not reachable at {db.get('HOST')}:{db.get('PORT')} ({first}). "
            f"Start it (e.g. `{START_POSTGRES}`) or set DATABASE_URL."
        )
    return None


def _check_redis() -> str | None:
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        return (
            f"Redis is not reachable at {settings.REDIS_URL} ({exc}). "
            f"Start it (e.g. `{START_REDIS}`) or set REDIS_URL."
        )
    return None


def pytest_configure(config: pytest.Config) -> None:
    # Test users are many and their passwords are not secrets: hash them cheaply.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_sessionstart(session: pytest.Session) -> None:
    problems = [p for p in (_check_postgres(), _check_redis(), _check_redis_is_the_suites()) if p]
    if problems:
        pytest.exit("cannot run the tests:\n  " + "\n  ".join(problems), returncode=3)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end sessions left by live_server request threads.

    A keep-alive HTTP connection (requests.Session) keeps its server thread, and that thread's
    database connection, alive until the socket closes; the thread is a daemon, so the drop
    would otherwise find "1 other session using the database".
    """
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _redis_db(url: str) -> int:
    return int(redis.connection.parse_url(url).get("db", 0))


def _check_redis_is_the_suites() -> str | None:
    """The suite empties its Redis database between tests (FLUSHDB): never database 0, the
    default of every other Redis user, nor a database other than the broker's."""
    urls = {settings.REDIS_URL, settings.CELERY_BROKER_URL}
    location = settings.CACHES["default"].get("LOCATION")
    if isinstance(location, str) and location.startswith("redis"):
        urls.add(location)
    dbs = {_redis_db(url) for url in urls}
    if 0 in dbs or len(dbs) != 1:
        return (
            f"the tests empty their Redis database between tests, so they need one of their "
            f"own, not 0 (REDIS_URL, CELERY_BROKER_URL and the cache use {sorted(dbs)}): "
            f"leapdash/profiles/test.env sets redis://127.0.0.1:6379/15"
        )
    return None


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Locks and throttles live in the Redis cache: every test starts without them. This
    empties the suite's own Redis database (see _check_redis_is_the_suites), broker included."""
    cache.clear()
    yield
    cache.clear()


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pm_user(db):
    user: Any = UserFactory(username="pat-pm")
    user.groups.add(Group.objects.get(name=PROGRAM_MANAGERS))
    return user


@pytest.fixture
def ops_user(db):
    user: Any = UserFactory(username="olly-ops", is_staff=True)
    user.groups.add(Group.objects.get(name=OPS))
    return user


@pytest.fixture
def pm_client(pm_user) -> Client:
    return _client_for(pm_user)


@pytest.fixture
def ops_client(ops_user) -> Client:
    return _client_for(ops_user)


@pytest.fixture
def no_role_client(db) -> Client:
    return _client_for(UserFactory(username="nora-norole"))


@pytest.fixture
def midday(settings):
    """A time zone where it is around noon now: the cadence only sends in the customer's day."""
    from django.utils import timezone

    offset = timezone.now().hour - 12  # Etc/GMT+5 is five hours behind UTC
    settings.REENGAGE_TIME_ZONES = {}
    settings.REENGAGE_DEFAULT_TIME_ZONE = f"Etc/GMT{offset:+d}" if offset else "Etc/GMT"
