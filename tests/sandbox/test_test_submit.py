"""POST /v2/forms/{form_uid}/test-submit: referral, records created, every documented error."""

from __future__ import annotations

import re

import pytest

from leapdash.leap.sandbox.models import Connection
from tests.sandbox.conftest import Api, submit


def test_returns_a_referral_and_creates_the_connection(api, ny_flow):
    response = submit(api, "form-ny", "ConEd", "commercial", ref_id="ny-site-1")
    assert response.status_code == 200
    assert re.fullmatch(r"\d{5}-\d{5}", response.json()["referral"])
    connection = Connection.objects.get(ref_id="ny-site-1")
    assert connection.region == "NYISO"
    assert connection.referral == response.json()["referral"]
    assert connection.utilities[0]["utility_name"] == "ConEd: Consolidated Edison"


def test_without_ref_id_a_reference_is_made_from_the_referral(api, flow):
    referral = submit(api, "form-ca", "PG&E", "residential").json()["referral"]
    assert Connection.objects.filter(ref_id=f"uapi-{referral}").exists()


def test_the_demo_utility_creates_nothing(api, flow):
    assert submit(api, "form-ca", "DEMO", "residential", ref_id="demo-1").status_code == 200
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("not json", "Request body is not valid JSON"),
        ({"utility": "pge"}, "Malformed body"),
        ({"scenario": "residential"}, "Malformed body"),
        ({"utility": "Mars Power", "scenario": "residential"}, "Unknown utility"),
        ({"utility": "ConEd", "scenario": "residential"}, "Unknown utility"),  # not in CAISO
        ({"utility": "pge", "scenario": "teleport"}, "Unknown scenario"),
        # the sandbox's Connect-only cases are not UtilityAPI scenarios
        ({"utility": "pge", "scenario": "user_canceled"}, "Unknown scenario"),
        ({"utility": "pge", "scenario": "never_logged_in"}, "Unknown scenario"),
        (None, "Request body must be a JSON object"),
        (
            {"utility": "sce", "scenario": "pge_cca_service"},
            "Scenario not available for this utility",
        ),
        ({"utility": "pge", "scenario": "residential", "ref_id": "a b"}, "Invalid ref_id"),
    ],
)
def test_malformed_bodies_get_400(api, flow, body, title):
    response = api.post("/v2/forms/form-ca/test-submit", body)
    assert response.status_code == 400
    assert response.json()["title"] == title


def test_an_unknown_scenario_lists_the_valid_ones(api, flow):
    details = api.post("/v2/forms/form-ca/test-submit", {"utility": "pge", "scenario": "x"}).json()
    assert "badlogin_after" in details["details"]["valid"]
    assert "user_canceled" not in details["details"]["valid"]


def test_auth_and_unknown_form(api, flow):
    body = {"utility": "pge", "scenario": "residential"}
    assert Api(key=None).post("/v2/forms/form-ca/test-submit", body).status_code == 401
    # UtilityAPI answers an invalid token with 401 (Leap's own APIs say 403)
    assert Api(key="nope").post("/v2/forms/form-ca/test-submit", body).status_code == 401
    assert api.post("/v2/forms/no-such-form/test-submit", body).status_code == 404
