"""The admin for ops: synced fields are read-only, refresh is queued after commit."""

from __future__ import annotations

import pytest

from connections.models import Connection
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts

from .builders import NOW, PGE, conn, page_of, util

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored():
    write_page(
        page_of([conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN"))]), now=NOW, counts=SyncCounts()
    )
    return Connection.objects.get()


def test_refresh_selected_is_queued_after_commit(
    ops_client, stored, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = ops_client.post(
            "/admin/connections/connection/",
            {"action": "refresh_from_leap", "_selected_action": [stored.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "Refresh of 1 connections queued." in response.content.decode()
    assert len(callbacks) == 1


def test_synced_fields_cannot_be_edited_in_the_admin(ops_client, stored):
    page = ops_client.get(f"/admin/connections/connection/{stored.pk}/change/").content.decode()
    assert page.count('name="status"') == 0
    assert page.count('name="next_action"') == 0
    assert "Wrong utility login" in page or "BAD_LOGIN" in page
