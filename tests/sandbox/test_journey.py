"""The customer pages through Django's test client: what each step records and where it goes."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from leapdash.leap.sandbox.models import Connection, JourneySession, Meter


def _open(client, path):
    response = client.get(path)
    assert response.status_code == 302, response.content
    return response["Location"].split("/")[3]  # /sandbox/s/<id>/...


def test_opening_a_link_without_ref_id_creates_no_connection(client, flow):
    _open(client, "/sandbox/connect/acme-energy/home-battery/")
    assert not Connection.objects.exists()


def test_opening_a_link_with_ref_id_creates_a_not_started_connection(client, flow):
    _open(client, "/sandbox/connect/acme-energy/home-battery/?refId=cust-9")
    connection = Connection.objects.get(ref_id="cust-9")
    assert connection.status == "NOT_STARTED"
    assert connection.document["agreements"] == {
        "prohibited_resource_attestation_status": "NOT_REQUIRED",
        "demand_response_participation_agreement_status": "NOT_REQUIRED",
    }


def test_an_unknown_flow_is_a_404_page(client, db):
    response = client.get("/sandbox/connect/nobody/nothing/?refId=x1")
    assert response.status_code == 404
    assert b"nobody/nothing" in response.content


def test_commercial_caiso_asks_for_agreements_and_marks_required_utilities(client, commercial_flow):
    session = _open(
        client,
        "/sandbox/connect/acme-energy/commercial-solar/?refId=biz-1&requestedUtilities=pge,sce",
    )
    response = client.post(f"/sandbox/s/{session}/customer-type/", {"customer_type": "COMMERCIAL"})
    assert response["Location"].endswith("/agreements/")
    page = client.get(response["Location"]).content.decode()
    assert "Prohibited Resources Attestation" in page
    assert "Demand Response Participation Agreement" in page
    client.post(f"/sandbox/s/{session}/agreements/", {"choice": "later"})
    page = client.get(f"/sandbox/s/{session}/utilities/").content.decode()
    assert page.count(">Required<") == 2
    # picking a utility makes the agreements count, and the login keeps them pending
    client.post(f"/sandbox/s/{session}/utility/pge/", {"username": "someone"})
    connection = Connection.objects.get(ref_id="biz-1")
    assert connection.pra_status == "PENDING"
    assert connection.status == "PARTIAL"
    shown = {
        (u["utility_name"], u["utility_is_required"], u["status"]) for u in connection.utilities
    }
    assert shown == {
        ("PG&E: Pacific Gas & Electric", True, "CONNECTED"),
        ("SCE: Southern California Edison", True, "NOT_CONNECTED"),
    }


def test_residential_sees_no_required_label_and_no_agreements(client, flow):
    session = _open(client, "/sandbox/connect/acme-energy/home-battery/?requestedUtilities=pge")
    response = client.post(f"/sandbox/s/{session}/customer-type/", {"customer_type": "RESIDENTIAL"})
    assert response["Location"].endswith("/utilities/")
    page = client.get(response["Location"]).content.decode()
    assert "Required" not in page
    assert "Staging Test Utility (CAISO)" in page
    assert "Demo Utility" in page


def test_connecting_a_different_utility_than_requested_stays_partial(client, flow):
    session = _open(
        client, "/sandbox/connect/acme-energy/home-battery/?refId=res-2&requestedUtilities=sce"
    )
    client.post(f"/sandbox/s/{session}/customer-type/", {"customer_type": "RESIDENTIAL"})
    response = client.post(f"/sandbox/s/{session}/utility/pge/", {"username": "me"})
    assert response["Location"].endswith("/utilities/")  # back to Connect: sce still missing
    assert Connection.objects.get(ref_id="res-2").status == "PARTIAL"


def test_a_failed_login_shows_an_error_whose_confirm_returns_to_the_selector(client, flow):
    session = _open(client, "/sandbox/connect/acme-energy/home-battery/?refId=res-3")
    client.post(f"/sandbox/s/{session}/customer-type/", {"customer_type": "RESIDENTIAL"})
    response = client.post(f"/sandbox/s/{session}/utility/staging-test/", {"case": "user_canceled"})
    page = client.get(response["Location"]).content.decode()
    assert "USER_CANCELED" in page
    assert f'action="/sandbox/s/{session}/utilities/"' in page
    assert Connection.objects.get(ref_id="res-3").status == "ERROR"


def test_the_staging_menu_lists_connect_and_meters_cases(client, flow):
    session = _open(client, "/sandbox/connect/acme-energy/home-battery/?refId=res-4")
    page = client.get(f"/sandbox/s/{session}/utility/staging-test/").content.decode()
    connect_part, meters_part = page.split("Meters test cases")
    assert 'value="badlogin"' in connect_part
    assert 'value="user_canceled"' in connect_part
    assert 'value="commercial"' in meters_part
    assert 'value="revoked"' in meters_part
    assert client.post(f"/sandbox/s/{session}/utility/staging-test/", {}).status_code == 400


def test_an_unknown_test_username_is_refused(client, flow):
    session = _open(client, "/sandbox/connect/acme-energy/home-battery/?refId=res-5")
    response = client.post(f"/sandbox/s/{session}/utility/pge/", {"username": "UAPI_TEST_nope"})
    assert response.status_code == 400
    assert b"Unknown test username" in response.content


def test_the_demo_utility_stores_nothing_and_redirects(client, flow):
    session = _open(
        client,
        "/sandbox/connect/acme-energy/home-battery/?refId=demo-7"
        "&additional_redirect_params=state%3Dabc",
    )
    response = client.post(
        f"/sandbox/s/{session}/utility/demo/", {"username": "x", "password": "y"}
    )
    final = client.get(response["Location"])["Location"]
    assert dict(parse_qsl(urlsplit(final).query)) == {
        "source": "leap",
        "refId": "demo-7",
        "state": "abc",
    }
    connection = Connection.objects.get(ref_id="demo-7")
    assert connection.utilities == []
    assert not Meter.objects.exists()
    assert "x" not in str(JourneySession.objects.values_list())


def test_the_final_redirect_restores_params_encoded_once(client, flow):
    # the partner's own query string, URL-encoded as one value
    params = quote("state=a%2Bb%20c&campaign=spring%26sale&empty=", safe="")
    session = _open(
        client,
        f"/sandbox/connect/acme-energy/home-battery/?refId=res.6~x&additional_redirect_params={params}",
    )
    client.post(f"/sandbox/s/{session}/customer-type/", {"customer_type": "RESIDENTIAL"})
    response = client.post(f"/sandbox/s/{session}/utility/sdge/", {"username": "me"})
    final = client.get(response["Location"])["Location"]
    assert final == (
        "https://partner.example.com/thanks?source=leap&refId=res.6~x"
        "&state=a%2Bb+c&campaign=spring%26sale&empty="
    )
    assert parse_qsl(urlsplit(final).query, keep_blank_values=True) == [
        ("source", "leap"),
        ("refId", "res.6~x"),
        ("state", "a+b c"),
        ("campaign", "spring&sale"),
        ("empty", ""),
    ]


@pytest.mark.parametrize("utility", ["pge", "sce", "sdge"])
def test_direct_to_utility_goes_straight_to_the_login(client, flow, utility):
    response = client.get(
        f"/sandbox/direct/acme-energy/{utility}/getting-started?refId=d-{utility}"
    )
    assert response["Location"].endswith(f"/utility/{utility}/")
    page = client.get(response["Location"]).content.decode()
    assert "Sign in to" in page
    connection = Connection.objects.get(ref_id=f"d-{utility}")
    assert connection.utilities[0]["status"] == "NOT_CONNECTED"


@pytest.mark.parametrize("utility", ["cecony-utilityapi", "demo", "PGE", "staging-test"])
def test_direct_to_other_utilities_is_a_404_naming_the_valid_ids(client, flow, utility):
    response = client.get(f"/sandbox/direct/acme-energy/{utility}/getting-started?refId=d1")
    assert response.status_code == 404
    page = response.content.decode()
    for valid in ("pge", "sce", "sdge"):
        assert f"<code>{valid}</code>" in page
    assert not Connection.objects.exists()


def test_direct_errors_confirm_back_to_the_utility_login(client, flow):
    start = client.get("/sandbox/direct/acme-energy/sce/getting-started?refId=d-err")
    response = client.post(start["Location"], {"username": "UAPI_TEST_locked"})
    page = client.get(response["Location"]).content.decode()
    assert "ACCOUNT_LOCKED" in page
    assert f'action="{urlsplit(start["Location"]).path}"' in page


def test_the_index_lists_flows_and_scenarios(client, flow):
    page = client.get("/sandbox/").content.decode()
    assert "acme-energy/home-battery" in page
    assert "pge_cca_service" in page


def test_the_thanks_page_echoes_its_parameters_escaped(client, db):
    page = client.get("/sandbox/thanks/", {"refId": "<b>x</b>", "state": "1"}).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page
