"""Page, what the client's listings yield, and the per-call bookkeeping behind its logs."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from leapdash.leap.errors import LeapError
from leapdash.leap.records import RecordError
from leapdash.leap.retry import RetryBook

logger = logging.getLogger("leapdash.leap.client")

R = TypeVar("R")
T = TypeVar("T")


@dataclass
class Page(Generic[R]):
    records: list[R]  # parsed records of this page (bad ones left out)
    errors: list[RecordError]  # records of this page that failed to parse
    next_token: str | None  # token of the NEXT page (None on the last); resume from it
    retries: int  # retries spent fetching this page


class CallStats:
    """Counts for one client call: one DEBUG line per page, one INFO summary."""

    def __init__(self, call: str) -> None:
        self.call = call
        self.pages = self.records = self.bad = self.retries = 0
        self.started = time.monotonic()
        self.failed: str | None = None

    def fetch(self, fetch: Callable[[str | None], Any], token: str | None, book: RetryBook) -> Any:
        try:
            return fetch(token)
        except LeapError as exc:
            self.failed = type(exc).__name__
            raise
        finally:
            self.retries += book.retries

    def page(self, page: Page[Any], seconds: float) -> None:
        self.pages += 1
        self.records += len(page.records)
        self.bad += len(page.errors)
        logger.debug(
            "leap %s page %d: %d records, %d bad, %d retries, %.2fs, more=%s",
            self.call, self.pages, len(page.records), len(page.errors), page.retries, seconds,
            "yes" if page.next_token else "no",
        )  # fmt: skip

    def summary(self) -> None:
        outcome = f"failed ({self.failed})" if self.failed else "done"
        logger.info(
            "leap %s %s: %d pages, %d records, %d bad, %d retries, %.2fs",
            self.call, outcome, self.pages, self.records, self.bad, self.retries,
            time.monotonic() - self.started,
        )  # fmt: skip


_DONE = object()


def prefetched(pages: Iterator[T], *, timeout: float = 600.0) -> Iterator[T]:
    """Yield `pages` while the next one is already being fetched in a background thread.

    A sync then waits for Leap and for its own database writes side by side instead of one
    after the other. At most one page waits in the queue, so memory stays bounded by a few
    pages. An exception raised while fetching is re-raised here, after the pages before it;
    when the consumer stops early, the fetching thread is told to stop too.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            for page in pages:
                if not put(page):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, who re-raises it
            put(_Failure(exc))

    thread = threading.Thread(target=fetch, name="leap-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get(timeout=timeout)
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join(timeout=5)


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
