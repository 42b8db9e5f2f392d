"""Page, what the client's listings yield, and the per-call bookkeeping behind its logs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from leapdash.leap.errors import LeapError
from leapdash.leap.records import RecordError
from leapdash.leap.retry import RetryBook

logger = logging.getLogger("leapdash.leap.client")

R = TypeVar("R")


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
