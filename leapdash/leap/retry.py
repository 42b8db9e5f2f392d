"""Retries for Leap calls: urllib3's Retry, with an injectable sleep and a retry count.

Policy (issue 5): 429 honours Retry-After (seconds or HTTP date, capped); 500/502/503/504,
timeouts and lost connections back off exponentially with jitter; a bounded number of times.
GETs and the read-only search POSTs are retried on all of these; every other write (PATCH,
PUT, DELETE, webhook POSTs) only when the connection failed before a request was sent.

urllib3 normally waits in Retry.sleep(), called by the connection pool after increment().
The wait happens in increment() instead, so that the same path runs whether urllib3 drives
the Retry or the `responses` test double does (it calls increment() but never sleep()).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection
from types import TracebackType
from typing import Any, Self

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import InvalidHeader
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

logger = logging.getLogger("leapdash.leap.client")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RetryBook:
    """Shared by one client's Retry objects (urllib3 copies a Retry on every attempt):
    the sleep to use and the retries spent on the current request."""

    __slots__ = ("retries", "sleep", "slept")

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self.sleep = sleep
        self.retries = 0
        self.slept = 0.0

    def reset(self) -> None:
        self.retries = 0
        self.slept = 0.0


class LeapRetry(Retry):
    """urllib3 Retry that waits through RetryBook.sleep and counts in RetryBook.retries."""

    def __init__(self, *args: Any, book: RetryBook | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.book = book if book is not None else RetryBook(time.sleep)

    def new(self, **kw: Any) -> Self:
        kw.setdefault("book", self.book)
        return super().new(**kw)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        new_retry = super().increment(method, url, response, error, _pool, _stacktrace)
        delay = new_retry.delay_for(response)
        self.book.retries += 1
        self.book.slept += delay
        cause = f"HTTP {response.status}" if response is not None else type(error).__name__
        # the path only: no query string, no headers
        path = (url or "").split("?", 1)[0]
        logger.debug("leap retry %d of %s %s after %s: waiting %.2fs",
                     self.book.retries, method, path, cause, delay)  # fmt: skip
        self.book.sleep(delay)
        return new_retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Already waited in increment()."""

    def delay_for(self, response: BaseHTTPResponse | None) -> float:
        """Retry-After when the answer has one (capped at retry_after_max), else exponential
        backoff from the attempt count plus random jitter."""
        if response is not None and self.respect_retry_after_header:
            try:
                retry_after = self.get_retry_after(response)
            except InvalidHeader:
                retry_after = None  # unreadable header: back off as if there were none
            if retry_after is not None:
                return float(retry_after)
        attempts = max(len(self.history), 1)
        backoff = min(self.backoff_max, self.backoff_factor * (2 ** (attempts - 1)))
        return float(backoff + random.uniform(0, self.backoff_jitter))


BACKOFF_FACTOR = 0.5  # seconds before the first retry, doubled for each next one
BACKOFF_MAX = 30.0


def backoff(attempt: int) -> float:
    """The wait before retry number attempt + 1 (no jitter), as the adapter counts it."""
    return float(min(BACKOFF_MAX, BACKOFF_FACTOR * 2**attempt))


def leap_adapter(
    *,
    book: RetryBook,
    max_retries: int,
    retry_methods: Collection[str],
    max_retry_after: int,
    backoff_factor: float = BACKOFF_FACTOR,
    backoff_max: float = BACKOFF_MAX,
) -> HTTPAdapter:
    """An HTTPAdapter whose retries follow the policy above; `retry_methods` are the methods
    retried on statuses and read errors (everything is retried on connect errors)."""
    retry = LeapRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        redirect=0,
        allowed_methods=frozenset(retry_methods),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        backoff_jitter=backoff_factor,
        retry_after_max=max_retry_after,
        raise_on_status=False,  # the last answer comes back: the client maps it to an error
        raise_on_redirect=False,
        respect_retry_after_header=True,
        book=book,
    )
    return HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=4)
