"""A person clicking through the sandbox's Leap Connect and Direct-to-Utility pages."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from leapdash.leap.sandbox.models import Connection, Flow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def flow(live_server):
    return Flow.objects.create(
        org_name="acme-energy",
        title="home-battery",
        region="CAISO",
        thank_you_url=f"{live_server.url}/sandbox/thanks/?source=leap",
    )


def _params(url):
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def test_leap_connect_with_the_staging_test_utility(page, live_server, flow):
    extra = quote("state=abc123&campaign=spring sale", safe="")
    page.goto(
        f"{live_server.url}/sandbox/connect/acme-energy/home-battery/"
        f"?refId=browser-1&additional_redirect_params={extra}"
    )
    page.get_by_role("link", name="Staging Test Utility (CAISO)").click()

    # an incomplete case: error screen, Confirm goes back to the utility selector
    page.locator("input[name=case][value=badlogin]").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Error").wait_for()
    assert "BAD_LOGIN" in page.content()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Select your utility").wait_for()
    assert Connection.objects.get(ref_id="browser-1").status == "ERROR"

    # then a successful one: straight to the thank-you page with every parameter
    page.get_by_role("link", name="Staging Test Utility (CAISO)").click()
    page.locator("input[name=case][value=residential]").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"{live_server.url}/sandbox/thanks/**")
    assert _params(page.url) == [
        ("source", "leap"),
        ("refId", "browser-1"),
        ("state", "abc123"),
        ("campaign", "spring sale"),
    ]
    assert page.locator('[data-param="campaign"]').inner_text() == "spring sale"
    assert Connection.objects.get(ref_id="browser-1").status == "COMPLETED"


def test_the_demo_utility_restores_additional_redirect_params(page, live_server, flow):
    extra = quote("state=xyz&test_parameter=value", safe="")
    page.goto(
        f"{live_server.url}/sandbox/connect/acme-energy/home-battery/"
        f"?refId=browser-2&additional_redirect_params={extra}"
    )
    page.get_by_role("link", name="Demo Utility").click()
    page.get_by_label("Username").fill("anyone")
    page.get_by_label("Password").fill("secret")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/sandbox/thanks/**")
    assert _params(page.url) == [
        ("source", "leap"),
        ("refId", "browser-2"),
        ("state", "xyz"),
        ("test_parameter", "value"),
    ]
    assert Connection.objects.get(ref_id="browser-2").utilities == []  # stores nothing


def test_a_california_utility_leads_to_the_staging_error_page(page, live_server, flow):
    page.goto(f"{live_server.url}/sandbox/connect/acme-energy/home-battery/?refId=browser-3")
    page.get_by_role("link", name="SCE: Southern California Edison").click()
    page.get_by_role("heading", name="Error").wait_for()
    assert "cannot be reached from Leap's staging environment" in page.content()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Select your utility").wait_for()
    page.goto(f"{live_server.url}/sandbox/direct/acme-energy/sce/getting-started?refId=browser-4")
    assert "cannot be reached from Leap's staging environment" in page.content()


def test_direct_to_an_unsupported_utility_names_the_valid_ids(page, live_server, flow):
    response = page.goto(
        f"{live_server.url}/sandbox/direct/acme-energy/cecony-utilityapi/getting-started"
    )
    assert response is not None
    assert response.status == 404
    assert "pge" in page.content()
    assert "sdge" in page.content()
