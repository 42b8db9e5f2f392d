"""LeapClient: the one place that talks to Leap over HTTP.

Leap's paths and calls over one Transport (leapdash.leap.transport: pooled connections, Bearer
key, retries, typed errors), with records parsed by leapdash.leap.records. Listings are
generators yielding one Page at a time, so memory stays bounded by a page and a sync can resume
from Page.next_token.

A client is not shared between threads: it counts retries per request on itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from leapdash.leap import records as rec
from leapdash.leap.errors import (
    LeapAuthError,
    LeapBadRequest,
    LeapError,
    LeapNotFound,
    LeapProtocolError,
    LeapRateLimited,
    LeapServerError,
)
from leapdash.leap.paging import CallStats, Page
from leapdash.leap.search import check_page_size, search_bodies
from leapdash.leap.transport import Transport

logger = logging.getLogger(__name__)

R = TypeVar("R")

# Leap's paths (LEAP_INTERFACES.md), appended to the API root.
CONNECTIONS = "/v1.1/connections"
METERS_SEARCH = "/v2/meters/search"
METER = "/v2/meters/{}"
ENROLLMENTS = "/v2/meters/{}/enrollments"
ENROLLMENTS_SEARCH = "/v2/meters/enrollments/search"
READ_ONLY_POSTS = (METERS_SEARCH, ENROLLMENTS_SEARCH)  # POSTs that only read
PARTNER_REF = "/v1.1/meters/{}/partner_meter_ref"
PARTNER_REFS = "/v1.1/meters/partner_meter_ref"
WEBHOOKS = "/v1.1/webhooks"
WEBHOOK = "/v1.1/webhooks/{}"
WEBHOOK_TEST = "/v1.1/webhooks/{}/test"

REF_IDS_PER_REQUEST = 100  # Connect API `ref-ids`
BULK_UPDATE_CHUNK = 1000  # PATCH /v1.1/meters/partner_meter_ref


class LeapClient:
    """Leap's Connect, Meters v2, Enrollments v2, partner-reference and webhook APIs."""

    @classmethod
    def from_settings(cls, *, timeout: float | None = None, max_retries: int = 5) -> LeapClient:
        """The client of the configured Leap; a shorter timeout or fewer retries on request."""
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        if not settings.LEAP_API_KEY:
            raise ImproperlyConfigured("LEAP_API_KEY is empty: set the key Leap issued.")
        return cls(
            settings.LEAP_API_BASE_URL,
            settings.LEAP_API_KEY,
            timeout=settings.LEAP_API_TIMEOUT if timeout is None else timeout,
            max_retries=max_retries,
        )

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30,
        max_retries: int = 5,
        max_retry_after: int = 120,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = Transport(
            base_url,
            api_key,
            read_only_posts=READ_ONLY_POSTS,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_after=max_retry_after,
            sleep=sleep,
        )
        self.base_url = self._http.base_url
        self._book = self._http.book

    @property
    def timeout(self) -> float:
        return self._http.timeout

    def __repr__(self) -> str:
        return f"LeapClient(base_url={self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LeapClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- Connect API ------------------------------------------------------------------------

    def iter_connections(
        self,
        *,
        ref_ids: Sequence[str] | None = None,
        start: datetime | None = None,
        last_interaction_since: datetime | None = None,
        page_size: int = 500,
        page_token: str | None = None,
    ) -> Iterator[Page[rec.ConnectionRecord]]:
        """Connect API entries, page by page. ref_ids go 100 per request; page_token resumes
        a listing (only one that needs a single request, i.e. at most 100 ref_ids)."""
        # Reference: LEAP_API.md §3 "Connect API: GET /v1.1/connections"
        check_page_size(page_size)
        base = [("page-size", str(page_size))]
        if start is not None:
            base.append(("start-date", rec.format_datetime(start)))
        if last_interaction_since is not None:
            base.append(("last-interaction-date", rec.format_datetime(last_interaction_since)))
        queries = [base]
        if ref_ids is not None:
            ids = list(dict.fromkeys(ref_ids))
            queries = [
                [*base, ("ref-ids", ",".join(ids[i : i + REF_IDS_PER_REQUEST]))]
                for i in range(0, len(ids), REF_IDS_PER_REQUEST)
            ]
        _check_resumable(page_token, len(queries))

        def fetch(query: list[tuple[str, str]]) -> Callable[[str | None], Any]:
            def get(token: str | None) -> Any:
                pairs = query if token is None else [*query, ("page-token", token)]
                return self._http.call("GET", CONNECTIONS, query=pairs, decode=rec.decode_body)

            return get

        return self._pages(
            "connections",
            [fetch(q) for q in queries],
            rec.connections_page,
            rec.parse_connection,
            page_token,
            rec.clean_connection,
        )

    # --- Meters v2 / Enrollments v2 ---------------------------------------------------------

    def iter_meters(
        self, *, page_token: str | None = None, page_size: int = 500, **filters: Any
    ) -> Iterator[Page[rec.MeterRecord]]:
        """Meter details matching the filters (MeterFilterRequest names, or the aliases
        created_after / created_before / last_modified_since / action_types)."""
        # Reference: leap-meters-v2.yml, POST /v2/meters/search
        bodies = search_bodies(page_size, filters)
        _check_resumable(page_token, len(bodies))
        return self._pages(
            "meters",
            [self._search(METERS_SEARCH, body) for body in bodies],
            rec.search_page,
            rec.parse_meter,
            page_token,
            rec.clean_meter,
        )

    def iter_enrollments(
        self, *, page_token: str | None = None, page_size: int = 500, **filters: Any
    ) -> Iterator[Page[rec.EnrollmentRecord]]:
        """Enrollment status of the meters matching the filters (same filters as meters)."""
        # Reference: leap-enrollments-v2.yml, POST /v2/meters/enrollments/search
        bodies = search_bodies(page_size, filters)
        _check_resumable(page_token, len(bodies))
        return self._pages(
            "enrollments",
            [self._search(ENROLLMENTS_SEARCH, body) for body in bodies],
            rec.search_page,
            rec.parse_enrollment,
            page_token,
        )

    def get_meter(self, meter_id: str) -> rec.MeterRecord:
        """One meter's details; raises LeapNotFound, or RecordError if unreadable."""
        # Reference: leap-meters-v2.yml, GET /v2/meters/{meter_id}
        return rec.parse_meter(self._single("get_meter", "GET", METER.format(_seg(meter_id))))

    def get_enrollments(self, meter_id: str) -> rec.EnrollmentRecord:
        """One meter's enrollment status; raises LeapNotFound, or RecordError if unreadable."""
        # Reference: leap-enrollments-v2.yml, GET /v2/meters/{meter_id}/enrollments
        path = ENROLLMENTS.format(_seg(meter_id))
        return rec.parse_enrollment(self._single("get_enrollments", "GET", path))

    def ping(self) -> None:
        """One cheap authenticated read; raises LeapAuthError if the key is refused."""
        self._single("ping", "POST", METERS_SEARCH, body={"page_size": 1})

    # --- partner references -----------------------------------------------------------------

    def update_partner_reference(self, meter_id: str, partner_reference: str) -> dict[str, Any]:
        """Set one meter's partner_reference (other meters may hold the same one: a connection's
        meters share its refId); LeapNotFound for an unknown meter."""
        # Reference: LEAP_API.md §3 "Partner reference updates"
        if not rec.is_valid_partner_reference(partner_reference):
            raise ValueError(
                f"invalid partner_reference {partner_reference!r}: 3–256 characters, none of "
                f"{rec.PARTNER_REFERENCE_FORBIDDEN}"
            )
        answer = self._single(
            "update_partner_reference",
            "PATCH",
            PARTNER_REF.format(_seg(meter_id)),
            body={"partner_reference": partner_reference},
        )
        if not isinstance(answer, dict):
            raise LeapProtocolError("partner reference update: answer is not a JSON object")
        return answer

    def bulk_update_partner_references(
        self, pairs: Sequence[tuple[str, str]]
    ) -> rec.BulkUpdateResult:
        """Set many partner references, 1,000 per request. References Leap would refuse are
        reported as errors without being sent."""
        # Reference: LEAP_API.md §3 "Partner reference updates"
        result = rec.BulkUpdateResult((), ())
        valid = []
        for meter_id, ref in pairs:
            if rec.is_valid_partner_reference(ref):
                valid.append({"meter_id": meter_id, "partner_reference": ref})
            else:
                invalid = rec.BulkUpdateError(meter_id, "INVALID_PARTNER_REFERENCE")
                result = result.merged(rec.BulkUpdateResult((), (invalid,)))
        for i in range(0, len(valid), BULK_UPDATE_CHUNK):
            body = {"meters": valid[i : i + BULK_UPDATE_CHUNK]}
            answer = self._single("bulk_update_partner_references", "PATCH", PARTNER_REFS, body)
            result = result.merged(_parsed(rec.parse_bulk_update, answer))
        return result

    # --- webhook subscriptions --------------------------------------------------------------
    # Reference: leap-webhooks-v1.1.yml

    def list_webhooks(self) -> list[rec.WebhookSubscription]:
        return _parsed(rec.parse_webhook_list, self._single("list_webhooks", "GET", WEBHOOKS))

    def create_webhook(
        self,
        receiver_url: str,
        event_types: Sequence[str],
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Subscribe; returns the webhook_id. `headers` come back on every delivery (our
        shared secret goes there)."""
        body = _webhook_body(receiver_url, event_types, headers)
        return _parsed(rec.parse_webhook_id, self._single("create_webhook", "POST", WEBHOOKS, body))

    def update_webhook(
        self,
        webhook_id: str,
        receiver_url: str,
        event_types: Sequence[str],
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Replace every setting of a subscription (Leap's PUT overwrites all of them)."""
        body = _webhook_body(receiver_url, event_types, headers)
        path = WEBHOOK.format(_seg(webhook_id))
        return _parsed(rec.parse_webhook_id, self._single("update_webhook", "PUT", path, body))

    def delete_webhook(self, webhook_id: str) -> None:
        self._single("delete_webhook", "DELETE", WEBHOOK.format(_seg(webhook_id)), empty_ok=True)

    def test_webhook(self, webhook_id: str, event: Mapping[str, Any]) -> rec.WebhookTestResult:
        """Ask Leap to send `event` (e.g. {"webhook_event_type": "meter.created", ...}) to the
        subscription's receiver and report what it answered."""
        path = WEBHOOK_TEST.format(_seg(webhook_id))
        answer = self._single("test_webhook", "POST", path, dict(event))
        return _parsed(rec.parse_webhook_test, answer)

    # --- plumbing ---------------------------------------------------------------------------

    def _search(self, path: str, body: dict[str, Any]) -> Callable[[str | None], Any]:
        def post(token: str | None) -> Any:
            return self._http.call(
                "POST",
                path,
                body=body if token is None else {**body, "page_token": token},
                decode=rec.decode_body,
            )

        return post

    def _pages(
        self,
        call: str,
        fetches: list[Callable[[str | None], Any]],
        split: Callable[[object], tuple[list[Any], str | None]],
        parse: Callable[[object], R],
        page_token: str | None,
        clean_parse: Callable[[object], R] | None = None,
    ) -> Iterator[Page[R]]:
        """Walk each search's pages in turn, one page in memory; log per page and per call.
        A clean page (records.Body) is read by `clean_parse` where there is one: the same
        records and errors as `parse` gives, sooner."""
        stats = CallStats(call)
        try:
            for n, fetch in enumerate(fetches):
                token = page_token if n == 0 else None
                while True:
                    started = time.monotonic()
                    body: rec.Body = stats.fetch(fetch, token, self._book)
                    read = clean_parse if body.clean and clean_parse is not None else parse
                    try:
                        items, next_token = split(body.data)
                    except ValueError as exc:
                        raise LeapProtocolError(f"{call}: unexpected page shape: {exc}") from None
                    if next_token is not None and next_token == token:
                        raise LeapProtocolError(f"{call}: Leap sent back the same page token")
                    page: Page[R] = Page([], [], next_token, self._book.retries)
                    for item in items:
                        try:
                            page.records.append(read(item))
                        except rec.RecordError as err:
                            page.errors.append(err)
                    stats.page(page, time.monotonic() - started)
                    yield page
                    if next_token is None:
                        break
                    token = next_token
        finally:
            stats.summary()

    def _single(
        self,
        call: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        empty_ok: bool = False,
    ) -> Any:
        stats = CallStats(call)
        try:
            return stats.fetch(
                lambda _token: self._http.call(method, path, body=body, empty_ok=empty_ok),
                None,
                self._book,
            )
        finally:
            stats.summary()


def _check_resumable(page_token: str | None, searches: int) -> None:
    if page_token is not None and searches != 1:
        raise ValueError("page_token resumes a single search; these filters need several")


def _webhook_body(
    receiver_url: str, event_types: Sequence[str], headers: Mapping[str, str] | None
) -> dict[str, Any]:
    return {
        "receiver_url": receiver_url,
        "event_types": list(event_types),
        "headers": [{"name": k, "value": v} for k, v in (headers or {}).items()],
    }


def _parsed(parse: Callable[[object], R], answer: Any) -> R:
    """Parse a single answer; an unreadable one is a protocol problem, not a bad record."""
    try:
        return parse(answer)
    except rec.RecordError as exc:
        raise LeapProtocolError(f"unexpected answer: {exc}") from None


def _seg(value: str) -> str:
    """A path segment: ids from our database never reach another path."""
    if not value:
        raise ValueError("an id is required")
    return quote(value, safe="")


__all__ = [
    "LeapAuthError",
    "LeapBadRequest",
    "LeapClient",
    "LeapError",
    "LeapNotFound",
    "LeapProtocolError",
    "LeapRateLimited",
    "LeapServerError",
    "Page",
]
