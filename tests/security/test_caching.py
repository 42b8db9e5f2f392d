"""Nothing a logged-in user receives may be stored by a browser or a shared cache: every
authenticated response says `Cache-Control: no-store`. The login page and static files keep
their own headers."""

from __future__ import annotations

import pytest
from django.utils.cache import get_max_age

from tests.security.urls import all_urls

GET_URLS = [pytest.param(path, id=name) for name, path in all_urls() if name != "logout"]


def _no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return "no-store" in directives


@pytest.mark.parametrize("path", GET_URLS)
def test_every_authenticated_response_is_not_stored(pm_client, ops_client, path):
    """Pages, htmx partials, downloads, errors and redirects, for both roles."""
    for client in (pm_client, ops_client):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(path, headers=headers)
            assert _no_store(response), (response.status_code, response.get("Cache-Control"))


@pytest.mark.parametrize(
    "path",
    [
        "/connections/export.csv",
        "/connections/queue/export.csv",
        "/connections/queue/export.json",
        "/links/export.csv",
        "/meters/export.csv",
    ],
)
def test_downloads_are_not_stored(pm_client, path):
    response = pm_client.get(path)
    assert response.status_code == 200
    assert _no_store(response)


def test_the_login_page_keeps_its_own_header(client, db):
    response = client.get("/accounts/login/")
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_static_files_keep_theirs(client, pm_client):
    for c in (client, pm_client):
        response = c.get("/static/css/app.css")
        assert response.status_code == 200
        assert not _no_store(response)
        assert get_max_age(response) is not None
