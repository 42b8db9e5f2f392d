"""/healthz and /readyz: public, dependency-aware only where they should be."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone

from leapdash.ops import views
from leapdash.runs.models import SyncRun


def test_healthz_answers_ok_without_a_login_or_the_database():
    # no django_db mark: any query would raise "Database access not allowed"
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_has_no_slash_variant_and_refuses_post():
    assert Client().get("/healthz/").status_code == 404
    assert Client().post("/healthz").status_code in (403, 405)


@pytest.mark.django_db
def test_readyz_reports_each_check_and_the_age_of_the_last_good_sync():
    done = timezone.now() - timedelta(minutes=30)
    SyncRun.objects.create(
        kind=SyncRun.Kind.CONNECTIONS, status="succeeded", started_at=done, finished_at=done
    )
    response = Client().get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "redis": "ok"}
    connections = body["syncs"]["connections"]
    assert 1790 < connections["age_seconds"] < 1900
    assert connections["stale"] is False
    assert body["syncs"]["meters"] == {"last_success_at": None, "age_seconds": None, "stale": True}
    assert set(body["syncs"]) == {"connections", "meters"}


@pytest.mark.django_db
def test_readyz_is_503_naming_redis_when_redis_does_not_answer(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error")


@pytest.mark.django_db
def test_readyz_is_503_naming_the_database_when_it_does_not_answer(monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", broken)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert "syncs" not in response.json()


def test_readyz_skips_redis_when_nothing_uses_it(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert views._check_redis() == "not used"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_the_probes_are_not_redirected_to_https(settings, path):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get(path).status_code == 200
    assert Client().get("/accounts/login/").status_code == 301  # the rest still is
