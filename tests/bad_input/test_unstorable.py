"""Characters PostgreSQL cannot store (U+0000, lone surrogates) anywhere in a request: a 400
with a short message, never a 500. The sandbox API answers with Leap's error body."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.parametrize(
    "url",
    [
        "/links/done/?refId=ab%00cd",
        "/links/done/?flow=%00",
        "/links/done/?next=https://x.example/%00",
        "/links/done/?ref%00Id=abc",  # a parameter name
        "/links/done/?refId=%ED%A0%80",  # a lone surrogate, as its UTF-8-like bytes
    ],
)
def test_the_public_landing_refuses_unstorable_characters(client, db, url):
    response = client.get(url)
    assert response.status_code in (200, 400)  # U+FFFD replacement is storable
    if "%00" in url:
        assert response.status_code == 400
        assert "not allowed" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/meters/%00/", "/meters/partners/?q=%00", "/connections/?q=a%00b", "/links/?q=%00"]
)
def test_logged_in_pages_refuse_nul_in_path_and_query(pm_client, url):
    response = pm_client.get(url)
    assert response.status_code == 400
    assert "not allowed" in response.content.decode()


def test_form_fields_holding_nul_are_refused(pm_client):
    response = pm_client.post("/links/new/preview/", {"ref_id": "ab\x00cd"})
    assert response.status_code == 400
    assert "form holds characters" in response.content.decode()


def test_a_form_field_name_holding_nul_is_refused(pm_client):
    response = pm_client.post("/meters/fix/", {"meter\x00": "1"})
    assert response.status_code == 400


def test_the_sandbox_api_answers_with_leaps_error_body(db):
    client = Client(HTTP_AUTHORIZATION="Bearer sandbox-test-key")
    response = client.get("/sandbox/api/v1.1/connections?ref-ids=a%00b")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"title", "status", "details"}
    assert body["status"] == 400


def test_ordinary_input_passes(pm_client):
    assert pm_client.get("/meters/partners/?q=ref-1").status_code == 200
