"""The customer pages through Django's test client: what each step records and where it goes.
The journey is Leap's staging one: utility login, then the terms, then the thank-you page."""

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


def test_the_journey_starts_at_the_utility_selector(client, flow):
    response = client.get("/sandbox/connect/acme-energy/home-battery/?refId=cust-1")
    assert response["Location"].endswith("/utilities/")  # no customer-type question
    session = JourneySession.objects.get()
    assert session.customer_type == "RESIDENTIAL"  # from the flow


def test_commercial_caiso_login_then_terms_then_thank_you(client, commercial_flow):
    session = _open(
        client,
        "/sandbox/connect/acme-energy/commercial-solar/?refId=biz-1&requestedUtilities=pge,sce",
    )
    page = client.get(f"/sandbox/s/{session}/utilities/").content.decode()
    assert page.count(">Required<") == 2  # the flow is commercial
    # the Staging Test Utility's commercial case connects; the terms come after the login
    response = client.post(f"/sandbox/s/{session}/utility/staging-test/", {"case": "commercial"})
    assert response["Location"].endswith("/agreements/")
    connection = Connection.objects.get(ref_id="biz-1")
    assert (connection.pra_status, connection.dr_status) == ("PENDING", "PENDING")
    page = client.get(response["Location"]).content.decode()
    assert "Prohibited Resources Attestation" in page
    assert "Demand Response Participation Agreement" in page
    response = client.post(f"/sandbox/s/{session}/agreements/", {"choice": "sign"})
    connection.refresh_from_db()
    assert (connection.pra_status, connection.dr_status) == ("SIGNED", "SIGNED")
    assert connection.customer_type == "COMMERCIAL"
    # the requested PG&E and SCE stay NOT_CONNECTED (unreachable in staging): back to Connect
    assert response["Location"].endswith("/utilities/")
    assert connection.status == "PARTIAL"
    shown = {
        (u["utility_name"], u["utility_is_required"], u["status"]) for u in connection.utilities
    }
    assert shown == {
        ("Staging Test Utility (CAISO)", False, "CONNECTED"),
        ("PG&E: Pacific Gas & Electric", True, "NOT_CONNECTED"),
        ("SCE: Southern California Edison", True, "NOT_CONNECTED"),
    }


def test_signed_terms_complete_the_connection_and_go_to_the_thank_you_page(client, commercial_flow):
    session = _open(client, "/sandbox/connect/acme-energy/commercial-solar/?refId=biz-2")
    client.post(f"/sandbox/s/{session}/utility/staging-test/", {"case": "commercial"})
    assert Connection.objects.get(ref_id="biz-2").status == "PARTIAL"  # terms pending
    response = client.post(f"/sandbox/s/{session}/agreements/", {"choice": "sign"})
    assert response["Location"].endswith("/finish/")
    assert Connection.objects.get(ref_id="biz-2").status == "COMPLETED"


def test_declined_terms_leave_the_connection_partial(client, commercial_flow):
    session = _open(client, "/sandbox/connect/acme-energy/commercial-solar/?refId=biz-3")
    client.post(f"/sandbox/s/{session}/utility/staging-test/", {"case": "commercial"})
    response = client.post(f"/sandbox/s/{session}/agreements/", {"choice": "decline"})
    assert response["Location"].endswith("/finish/")
    connection = Connection.objects.get(ref_id="biz-3")
    assert (connection.status, connection.pra_status) == ("PARTIAL", "DECLINED")


def test_residential_sees_no_required_label_and_no_terms(client, flow):
    session = _open(
        client, "/sandbox/connect/acme-energy/home-battery/?refId=res-1&requestedUtilities=pge"
    )
    page = client.get(f"/sandbox/s/{session}/utilities/").content.decode()
    assert "Required" not in page
    assert "Staging Test Utility (CAISO)" in page
    assert "Demo Utility" in page
    response = client.post(f"/sandbox/s/{session}/utility/staging-test/", {"case": "residential"})
    assert "/agreements/" not in response["Location"]


@pytest.mark.parametrize("utility", ["pge", "sce", "sdge"])
def test_the_california_utilities_lead_to_the_staging_error_page(client, flow, utility):
    session = _open(client, "/sandbox/connect/acme-energy/home-battery/?refId=res-ca")
    for response in (
        client.get(f"/sandbox/s/{session}/utility/{utility}/"),
        client.post(f"/sandbox/s/{session}/utility/{utility}/", {"username": "me"}),
    ):
        page = response.content.decode()
        assert "cannot be reached from Leap's staging environment" in page
        assert f'action="/sandbox/s/{session}/utilities/"' in page  # Confirm: the selector
    assert Connection.objects.get(ref_id="res-ca").utilities == []  # nothing recorded


@pytest.mark.parametrize("username", ["someone", "UAPI_TEST_nope", "UAPI_TEST_user_canceled"])
def test_ny_utilities_refuse_anything_but_utilityapi_test_usernames(client, ny_flow, username):
    session = _open(client, "/sandbox/connect/acme-energy/ny-dr/?refId=ny-1")
    response = client.post(
        f"/sandbox/s/{session}/utility/cecony-utilityapi/", {"username": username}
    )
    assert "cannot be reached from Leap's staging environment" in response.content.decode()
    assert Connection.objects.get(ref_id="ny-1").status == "NOT_STARTED"


def test_a_ny_utility_takes_a_utilityapi_test_username(client, ny_flow):
    session = _open(client, "/sandbox/connect/acme-energy/ny-dr/?refId=ny-2")
    response = client.post(
        f"/sandbox/s/{session}/utility/oru-utilityapi/", {"username": "UAPI_TEST_residential"}
    )
    assert response["Location"].endswith("/finish/")
    assert Connection.objects.get(ref_id="ny-2").status == "COMPLETED"
    response = client.post(
        f"/sandbox/s/{session}/utility/oru-utilityapi/", {"username": "UAPI_TEST_pge_cca_service"}
    )
    assert response.status_code == 400
    assert b"works with PG&amp;E: Pacific Gas &amp; Electric only" in response.content


def test_connecting_a_different_utility_than_requested_stays_partial(client, ny_flow):
    session = _open(
        client,
        "/sandbox/connect/acme-energy/ny-dr/?refId=ny-3&requestedUtilities=psegli-utilityapi",
    )
    response = client.post(
        f"/sandbox/s/{session}/utility/cecony-utilityapi/", {"username": "UAPI_TEST_residential"}
    )
    assert response["Location"].endswith("/utilities/")  # back to Connect: PSEG-LI missing
    assert Connection.objects.get(ref_id="ny-3").status == "PARTIAL"


def test_a_failed_login_shows_an_error_whose_confirm_returns_to_the_selector(client, flow):
    session = _open(client, "/sandbox/connect/acme-energy/home-battery/?refId=res-3")
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
    response = client.post(f"/sandbox/s/{session}/utility/staging-test/", {"case": "residential"})
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
def test_direct_to_utility_leads_to_the_staging_error_page(client, flow, utility):
    response = client.get(
        f"/sandbox/direct/acme-energy/{utility}/getting-started?refId=d-{utility}"
    )
    assert response["Location"].endswith(f"/utility/{utility}/")
    page = client.get(response["Location"]).content.decode()
    assert "cannot be reached from Leap's staging environment" in page
    assert "Confirm" not in page  # a direct link has no utility selector to go back to
    assert Connection.objects.get(ref_id=f"d-{utility}").status == "NOT_STARTED"


@pytest.mark.parametrize("utility", ["cecony-utilityapi", "demo", "PGE", "staging-test"])
def test_direct_to_other_utilities_is_a_404_naming_the_valid_ids(client, flow, utility):
    response = client.get(f"/sandbox/direct/acme-energy/{utility}/getting-started?refId=d1")
    assert response.status_code == 404
    page = response.content.decode()
    for valid in ("pge", "sce", "sdge"):
        assert f"<code>{valid}</code>" in page
    assert not Connection.objects.exists()


def test_the_index_lists_flows_and_scenarios(client, flow):
    page = client.get("/sandbox/").content.decode()
    assert "acme-energy/home-battery" in page
    assert "pge_cca_service" in page


def test_the_thanks_page_echoes_its_parameters_escaped(client, db):
    page = client.get("/sandbox/thanks/", {"refId": "<b>x</b>", "state": "1"}).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page
