"""Requests the sandbox refuses the way Leap does: NUL characters, non-object bodies, methods."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "body",
    [
        {"connection_reference_ids": ["ref\x00one"]},
        {"partner_references": ["ref\x00one"]},
        {"customer_groups": ["a\x00"]},
        {"tags": ["\x00"]},
    ],
)
@pytest.mark.parametrize("path", ["/v2/meters/search", "/v2/meters/enrollments/search"])
def test_a_nul_character_in_a_filter_is_400_not_500(api, path, body):
    response = api.post(path, body)
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_a_nul_character_in_a_query_parameter_is_400(api):
    response = api.get("/v1.1/connections", {"ref-ids": "a\x00b"})
    assert response.status_code == 400
    assert response.json()["title"] == "Invalid parameter"


def test_an_unknown_connect_parameter_is_400(api):
    response = api.get("/v1.1/connections", {"ref_ids": "a,b"})  # Leap spells it ref-ids
    assert response.status_code == 400
    assert response.json()["details"]["parameters"] == ["ref_ids"]


@pytest.mark.parametrize("body", [None, [], '"x"', 3, True])
@pytest.mark.parametrize("path", ["/v2/meters/search", "/v2/meters/enrollments/search"])
def test_a_search_body_that_is_not_an_object_is_400(api, path, body):
    response = api.post(path, body)
    assert response.status_code == 400
    assert response.json()["title"] == "Request body must be a JSON object"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1.1/connections", "GET"),
        ("GET", "/v2/meters/search", "POST"),
        ("PUT", "/v1.1/meters/partner_meter_ref", "PATCH"),
        ("PATCH", "/v1.1/webhooks", "GET, POST"),
        ("GET", "/v1.1/webhooks/0b6f3c1e-1d9a-4b7e-8c55-3f3c2a1b0d9e", "PUT, DELETE"),
    ],
)
def test_an_unsupported_method_is_405_with_allow(api, method, path, allowed):
    response = api.client.generic(method, f"/sandbox/api{path}", "{}", "application/json")
    assert response.status_code == 405
    assert response["Allow"] == allowed
