"""The HTTP transport under LeapClient: one requests.Session with the Bearer key, urllib3
retries honouring Retry-After, a retry of reads whose 2xx body is not JSON, and Leap's answers
turned into decoded JSON or a typed LeapError."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from leapdash import __version__
from leapdash.leap.errors import LeapProtocolError, LeapServerError, error_for_status
from leapdash.leap.retry import RetryBook, backoff, leap_adapter

logger = logging.getLogger("leapdash.leap.client")


class Transport:
    """Requests to one Leap base URL; counts retries per request in `book`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        read_only_posts: tuple[str, ...] = (),
        timeout: float = 30,
        max_retries: int = 5,
        max_retry_after: int = 120,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("a Leap API key is required")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.book = RetryBook(sleep)
        session = requests.Session()
        session.headers.update(
            {
                "Authorization": f"Bearer {api_key}",
                "User-Agent": f"leapdash/{__version__}",
                "Accept": "application/json",
            }
        )

        def adapter(retry_methods: set[str]) -> HTTPAdapter:
            return leap_adapter(
                book=self.book,
                max_retries=max_retries,
                retry_methods=retry_methods,
                max_retry_after=max_retry_after,
            )

        # GETs are retried on statuses and read errors; other methods only on connect errors
        session.mount(self.base_url + "/", adapter({"GET"}))
        # ...except the searches: POSTs, but read-only, so retried like GETs
        search = adapter({"POST"})
        for path in read_only_posts:
            session.mount(self.base_url + path, search)
        self._session = session
        self.read_only_posts = read_only_posts

    def close(self) -> None:
        self._session.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: dict[str, Any] | None = None,
        empty_ok: bool = False,
        decode: Callable[[bytes], Any] = json.loads,
    ) -> Any:
        """One request (urllib3 retries inside it) → decoded JSON, or a LeapError. `decode`
        reads a 2xx body; it raises ValueError, as json.loads does, for one that is not JSON.

        A read (a GET or a search) answered 2xx with a body that is not JSON, e.g. cut off
        mid-body by a proxy, is asked again like a 5xx: up to max_retries times, backing off.
        """
        url = self.base_url + path
        if query:
            # Built by hand so an opaque token's + / = are percent-encoded exactly once;
            # requests leaves existing %XX escapes alone.
            url += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query)
        self.book.reset()
        read_only = method == "GET" or path in self.read_only_posts
        for attempt in range(self.max_retries + 1):
            try:
                return self._request(method, path, url, body, empty_ok, decode)
            except _NotJson as exc:
                if not read_only or attempt == self.max_retries:
                    raise exc.error from None
                delay = backoff(attempt)
                self.book.retries += 1
                self.book.slept += delay
                logger.debug("leap retry of %s %s after a body that is not JSON: "
                             "waiting %.2fs", method, path, delay)  # fmt: skip
                self.book.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _request(
        self,
        method: str,
        path: str,
        url: str,
        body: dict[str, Any] | None,
        empty_ok: bool,
        decode: Callable[[bytes], Any],
    ) -> Any:
        response, content = self._send(method, path, url, body)
        status = response.status_code
        if 200 <= status < 300:
            if not content.strip() and empty_ok:
                return None
            try:
                return decode(content)
            except ValueError:
                raise _NotJson(
                    LeapProtocolError(
                        f"{method} {path}: HTTP {status} but not JSON ({len(content)} bytes, "
                        f"{response.headers.get('Content-Type', 'no content type')}, "
                        f"after {self.book.retries} retries)",
                        status=status,
                        retries=self.book.retries,
                    )
                ) from None
        raise error_for_status(
            f"{method} {path}",
            status,
            content,
            retry_after=response.headers.get("Retry-After"),
            base_url=self.base_url,
            retries=self.book.retries,
        )

    def _send(
        self, method: str, path: str, url: str, body: dict[str, Any] | None
    ) -> tuple[requests.Response, bytes]:
        """The request and its whole body; a transport failure becomes a LeapError."""
        try:
            response = self._session.request(
                method, url, json=body, timeout=self.timeout, allow_redirects=False
            )
            return response, response.content
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            raise LeapProtocolError(
                f"{method} {path}: Leap's answer was cut off or undecodable ({type(exc).__name__})",
                retries=self.book.retries,
            ) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise LeapServerError(
                f"{method} {path}: no answer from Leap after {self.book.retries} retries "
                f"({type(exc).__name__})",
                retries=self.book.retries,
            ) from exc
        except requests.RequestException as exc:
            raise LeapProtocolError(
                f"{method} {path}: unusable answer ({type(exc).__name__})",
                retries=self.book.retries,
            ) from exc


class _NotJson(Exception):
    """A 2xx whose body is not JSON; carries the error to raise once retries are spent."""

    def __init__(self, error: LeapProtocolError) -> None:
        super().__init__(str(error))
        self.error = error
