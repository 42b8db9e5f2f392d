"""GET /v1.1/connections over real HTTP: paging with tricky tokens, filters, errors, refresh."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
import requests

from leapdash.leap.sandbox.models import Connection
from leapdash.leap.sandbox.seeding import seed
from leapdash.leap.sandbox.state import sandbox_now
from tests.sandbox.conftest import KEY, submit

AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def seeded(db):
    seed(connections=57, seed=7)


def _get(live_server, query: str, headers=AUTH):
    return requests.get(f"{live_server.url}/sandbox/api/v1.1/connections?{query}", headers=headers)


def test_paging_with_url_encoded_tokens_returns_every_connection_once(live_server, seeded):
    seen: list[str] = []
    tokens = []
    query = "page-size=10"
    while True:
        response = _get(live_server, query)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [c["ref_id"] for c in body["connections"]]
        token = body["nextPageToken"]
        if token is None:
            break
        tokens.append(token)
        query = f"page-size=10&page-token={quote(token, safe='')}"
    assert len(tokens) == 5
    assert all("+" in t and "/" in t and t.endswith("=") for t in tokens)
    assert sorted(seen) == sorted(Connection.objects.values_list("ref_id", flat=True))
    assert len(seen) == len(set(seen)) == 57


def test_a_token_sent_without_url_encoding_is_refused(live_server, seeded):
    token = _get(live_server, "page-size=10").json()["nextPageToken"]
    response = _get(live_server, f"page-size=10&page-token={token}")  # '+' arrives as ' '
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["title"] == "Invalid page token"
    assert "URL-encode" in body["details"]["error"]


@pytest.mark.parametrize(
    "token", ["bm90LWEtdG9rZW4=", "%2B%2F%2B%2Fxxxx", "%2B%2F%2B%2F" + "A" * 40 + "%3D%3D", "!!"]
)
def test_a_forged_or_damaged_token_is_refused(live_server, seeded, token):
    response = _get(live_server, f"page-token={token}")
    assert response.status_code == 400
    assert response.json()["title"] == "Invalid page token"


def test_a_token_is_bound_to_its_filters(api, seeded):
    since = (sandbox_now() - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = api.get("/v1.1/connections", {"page-size": 5}).json()["nextPageToken"]
    response = api.get(
        "/v1.1/connections", {"page-size": 5, "page-token": token, "start-date": since}
    )
    assert response.status_code == 400
    assert "filters changed" in response.json()["details"]["error"]


@pytest.mark.parametrize(
    ("params", "title"),
    [
        ({"page-size": 0}, "Invalid page-size"),
        ({"page-size": 501}, "Invalid page-size"),
        ({"page-size": "ten"}, "Invalid page-size"),
        ({"ref-ids": ",".join(f"r{i}" for i in range(101))}, "Invalid ref-ids"),
        ({"start-date": "yesterday"}, "Invalid start-date"),
        ({"last-interaction-date": "2024-01-01T00:00:00"}, "Invalid last-interaction-date"),
    ],
)
def test_bad_parameters_get_400_with_leaps_error_body(api, params, title):
    response = api.get("/v1.1/connections", params)
    assert response.status_code == 400
    assert response.json() == {"title": title, "status": 400, "details": response.json()["details"]}


def test_page_size_defaults_to_100_and_allows_500(api, db):
    seed(connections=120, seed=3)
    assert len(api.get("/v1.1/connections").json()["connections"]) == 100
    assert len(api.get("/v1.1/connections", {"page-size": 500}).json()["connections"]) == 120


def test_filters_by_ref_ids_start_and_last_interaction(api, seeded):
    rows = list(Connection.objects.order_by("last_interaction_at"))
    picked = [rows[0].ref_id, rows[5].ref_id]
    body = api.get("/v1.1/connections", {"ref-ids": ",".join(picked)}).json()
    assert sorted(c["ref_id"] for c in body["connections"]) == sorted(picked)
    cut = rows[40].last_interaction_at
    body = api.get(
        "/v1.1/connections", {"last-interaction-date": cut.isoformat(), "page-size": 500}
    ).json()
    assert len(body["connections"]) == 17
    by_start = sorted(rows, key=lambda r: r.started_at)
    start = by_start[50].started_at.isoformat()
    assert len(api.get("/v1.1/connections", {"start-date": start}).json()["connections"]) == 7


def test_missing_key_is_401_and_wrong_key_is_403_about_environments(live_server, db):
    assert _get(live_server, "", headers={}).status_code == 401
    response = _get(live_server, "", headers={"Authorization": "Bearer production-key"})
    assert response.status_code == 403
    assert "staging" in response.json()["title"]
    assert "production" in response.json()["title"]


def test_connect_data_is_served_as_of_the_last_refresh(api, flow, settings):
    settings.LEAP_SANDBOX_REFRESH_SECONDS = 10**9  # the last refresh was long ago
    submit(api, "form-ca", "pge", "residential", ref_id="fresh-1")
    assert api.get("/v1.1/connections").json()["connections"] == []  # not refreshed yet
    settings.LEAP_SANDBOX_REFRESH_SECONDS = 0
    assert len(api.get("/v1.1/connections").json()["connections"]) == 1


def test_a_change_after_the_refresh_shows_the_previous_state(api, flow, settings):
    submit(api, "form-ca", "pge", "badlogin", ref_id="retry-1")
    connection = Connection.objects.get(ref_id="retry-1")
    connection.changed_at -= timedelta(hours=2)  # published before the last refresh
    connection.save()
    settings.LEAP_SANDBOX_REFRESH_SECONDS = 3600
    submit(api, "form-ca", "pge", "residential", ref_id="retry-1")
    shown = api.get("/v1.1/connections", {"ref-ids": "retry-1"}).json()["connections"]
    assert shown[0]["connection_status"] == "ERROR"
    settings.LEAP_SANDBOX_REFRESH_SECONDS = 0
    shown = api.get("/v1.1/connections", {"ref-ids": "retry-1"}).json()["connections"]
    assert shown[0]["connection_status"] == "COMPLETED"


def test_the_published_state_is_not_touched_by_later_edits(flow, settings):
    from datetime import UTC, datetime

    from leapdash.leap.sandbox.scenarios import SCENARIOS
    from leapdash.leap.sandbox.state import (
        open_connection,
        published_document,
        record_attempt,
        refresh_boundary,
    )

    settings.LEAP_SANDBOX_REFRESH_SECONDS = 3600
    opened = datetime(2030, 5, 1, 10, 30, tzinfo=UTC)
    later = datetime(2030, 5, 1, 11, 30, tzinfo=UTC)
    connection = open_connection(ref_id="same-instance", flow=flow, now=opened)
    record_attempt(
        connection,
        utility_id="pge",
        scenario=SCENARIOS["residential"],
        requested=[],
        customer_type="RESIDENTIAL",
        pra_status="NOT_REQUIRED",
        dr_status="NOT_REQUIRED",
        now=later,
    )
    shown = published_document(connection, refresh_boundary(later))
    assert shown is not None
    assert shown["connection_status"] == "NOT_STARTED"
    assert shown["utility_connections"] == []
