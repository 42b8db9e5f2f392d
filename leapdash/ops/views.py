"""Probes for load balancers and monitors: liveness, readiness and Prometheus metrics.

None of them needs a login: /healthz and /readyz reveal nothing but up or down and sync ages,
and /metrics answers only to the bearer token in METRICS_TOKEN.
"""

from __future__ import annotations

import hmac
import logging

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from leapdash.runs.tracking import freshness

from .metrics import render_metrics

log = logging.getLogger(__name__)

# A probe must answer quickly even when Redis hangs: the balancer's own timeout is short.
REDIS_TIMEOUT_SECONDS = 2.0


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. No database, no Redis: a restart would not fix those."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        log.warning("readyz: the database does not answer: %s", exc)
        return f"error: {type(exc).__name__}"
    return "ok"


def _redis_urls() -> list[str]:
    """The Redis servers this process needs: the broker (unless tasks run inline), the cache."""
    urls = []
    if not settings.CELERY_TASK_ALWAYS_EAGER and settings.CELERY_BROKER_URL.startswith("redis"):
        urls.append(settings.CELERY_BROKER_URL)
    cache = settings.CACHES["default"]
    if cache["BACKEND"].endswith("RedisCache"):
        location = cache["LOCATION"]
        urls.extend([location] if isinstance(location, str) else location)
    return list(dict.fromkeys(urls))


def _check_redis() -> str:
    urls = _redis_urls()
    if not urls:
        return "not used"
    for url in urls:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        except redis.RedisError as exc:
            log.warning("readyz: Redis does not answer: %s", exc)
            return f"error: {type(exc).__name__}"
        finally:
            client.close()
    return "ok"


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database and Redis answer, 503 naming the one that does not.

    The age of each kind's last good sync is reported, not judged: a stale sync is an alert
    (see leapdash.runs.alerts), not a reason to take the web process out of the balancer.
    """
    checks = {"database": _check_database(), "redis": _check_redis()}
    failing = [name for name, result in checks.items() if result.startswith("error")]
    body: dict[str, object] = {"status": "failing" if failing else "ok", "checks": checks}
    if failing:
        body["failing"] = failing
    if checks["database"] == "ok":
        now = timezone.now()
        body["syncs"] = {
            f.kind: {
                "last_success_at": f.last_success_at.isoformat() if f.last_success_at else None,
                "age_seconds": f.age_seconds(now),
                "stale": f.stale,
            }
            for f in freshness(now)
        }
    return JsonResponse(body, status=503 if failing else 200)


def _token_matches(request: HttpRequest, expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # compare_digest takes as long for a wrong token as for a right one of the same length
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    )


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for the bearer of METRICS_TOKEN; absent when no token is set."""
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404("Metrics are off (METRICS_TOKEN is not set).")
    if not _token_matches(request, expected):
        return HttpResponse(
            "Wrong or missing metrics token.\n", status=403, content_type="text/plain"
        )
    body, content_type = render_metrics()
    return HttpResponse(body, content_type=content_type)
