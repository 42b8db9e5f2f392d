"""Every CSV export neutralises spreadsheet formulas: no cell may start with = + - @ tab or CR.

The data is hostile in every text a partner, a customer or Leap controls (tests/security/
hostile.py), so each export is checked on cells that really carried a formula.
"""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from django.test import Client

from leapdash.csvs import FORMULA_STARTS
from meters.models import Category
from tests.security import hostile
from tests.security.urls import all_urls

_starts = itertools.cycle(FORMULA_STARTS)
_poisons: dict[str, str] = {}


def poison(field: str) -> str:
    """A formula per field, each start character in turn (stable within a run)."""
    if field not in _poisons:
        _poisons[field] = f"{next(_starts)}cmd|'/C calc'!A0+{field}"
    return _poisons[field]


def export_urls(ids: dict) -> dict[str, list[str]]:
    batch = ids["batch"]
    categories = [f"/meters/reconciliation/export.csv?category={c}" for c in Category.values]
    return {
        "links:export": ["/links/export.csv"],
        "links:batch_result": [f"/links/import/{batch}/links.csv"],
        "connections:export": ["/connections/export.csv", "/connections/export.csv?view=unopened"],
        "connections:queue_csv": ["/connections/queue/export.csv"],
        "connections:funnel_csv": ["/connections/funnel.csv"],
        "connections:funnel_variants_csv": ["/connections/funnel/variants.csv"],
        "meters:export": ["/meters/export.csv"],
        "meters:reconciliation_export": categories,
    }


@pytest.fixture
def dataset(db, midday):
    # midday: the queue export lists only touches due now, and touches go out in daytime only
    return hostile.seed(poison, anonymous=Client())


def _cells(ops_client, url: str) -> list[str]:
    response = ops_client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/csv"), url
    assert response["Content-Disposition"].startswith("attachment;"), url
    text = b"".join(response.streaming_content).decode()
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def test_every_csv_route_of_the_urlconf_is_checked_here(dataset):
    routes = {name for name, path in all_urls() if ".csv" in path or "csv" in name}
    assert routes == set(export_urls(dataset))


def test_no_export_cell_starts_a_formula(ops_client, dataset):
    for name, urls in export_urls(dataset).items():
        neutralised = 0
        for url in urls:
            for cell in _cells(ops_client, url):
                assert not cell.startswith(FORMULA_STARTS), (url, cell)
                neutralised += cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS)
        assert neutralised, f"{name}: no hostile cell reached the export, so nothing was checked"


def test_the_neutralised_cell_keeps_the_text_after_its_quote(ops_client, dataset):
    cells = _cells(ops_client, "/links/export.csv")
    assert "'" + poison("customer_name") in cells
    assert "'" + poison("campaign") in cells


def test_any_dashboard_url_answering_csv_is_a_known_export(ops_client, dataset):
    """A CSV download added under another kind of route is still caught by this module."""
    known = set(export_urls(dataset))
    for name, path in all_urls():
        if name.startswith(("admin:", "sandbox:")) or name in known:
            continue
        response = ops_client.get(path)
        assert not response.get("Content-Type", "").startswith("text/csv"), name
