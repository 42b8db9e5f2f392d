"""GET /v1.1/connections: the Connect API (LEAP_API.md section 3), keyset-paged."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, JsonResponse

from . import chaos
from .api import ApiError, api_view, decode_token, encode_token, parse_when
from .models import Connection
from .state import published_document, refresh_boundary, sandbox_now

MAX_REF_IDS = 100
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
PARAMETERS = ("ref-ids", "start-date", "last-interaction-date", "page-size", "page-token")


def _page_size(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    if not raw.strip().isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ApiError(
            400, "Invalid page-size", {"page-size": raw, "error": f"between 1 and {MAX_PAGE_SIZE}"}
        )
    return int(raw)


@api_view(["GET"])
def connections(request: HttpRequest) -> JsonResponse:
    params = request.GET
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:  # a misspelt filter would otherwise widen the answer silently
        raise ApiError(400, "Unknown parameter", {"parameters": unknown, "known": PARAMETERS})
    filters: dict[str, object] = {}
    rows = Connection.objects.all()
    if "ref-ids" in params:
        ref_ids = [r.strip() for r in params["ref-ids"].split(",") if r.strip()]
        if not ref_ids or len(ref_ids) > MAX_REF_IDS:
            raise ApiError(
                400,
                "Invalid ref-ids",
                {"ref-ids": params["ref-ids"], "error": f"1 to {MAX_REF_IDS} comma-separated"},
            )
        rows = rows.filter(ref_id__in=ref_ids)
        filters["ref-ids"] = sorted(ref_ids)
    if "start-date" in params:
        start = parse_when(params["start-date"], "start-date")
        rows = rows.filter(started_at__gte=start)
        filters["start-date"] = start.isoformat()
    if "last-interaction-date" in params:
        since = parse_when(params["last-interaction-date"], "last-interaction-date")
        rows = rows.filter(last_interaction_at__gte=since)
        filters["last-interaction-date"] = since.isoformat()
    size = _page_size(params.get("page-size"), DEFAULT_PAGE_SIZE)
    if params.get("page-token"):
        after = decode_token(params["page-token"], "connections", filters, "page-token")
        rows = rows.filter(pk__gt=after)
    boundary = refresh_boundary(sandbox_now())
    # only what the last refresh published: unchanged rows, or a changed row's previous state
    rows = rows.filter(Q(changed_at__lte=boundary) | Q(stale_document__isnull=False))
    page = list(
        rows.order_by("pk").only("pk", "changed_at", "document", "stale_document")[: size + 1]
    )
    knobs = getattr(request, "sandbox_chaos", None)
    documents = [published_document(row, boundary) for row in page[:size]]
    token = None
    if len(page) > size:
        anchor = chaos.next_anchor(knobs, page, size)
        token = encode_token("connections", anchor.pk, filters)
    return JsonResponse(
        {"connections": chaos.oddify(knobs, [d for d in documents if d]), "nextPageToken": token}
    )
