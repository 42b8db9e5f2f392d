"""The meters area in a real browser at 1280 and 390 px: a guarded reference fix (both
customers named, refused until confirmed), an invalid reference shown beside its field,
reconciliation opening on a tab with something in it, labels instead of Leap's values, and
the current tab marked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.state import advance_clock, sandbox_now
from links.models import Link
from meters.models import Meter, ReferenceChange
from meters.reconcile import reconcile
from meters.sync import sync_meters
from tests.browser.conftest import grant_sending_fixes
from tests.meters.conftest import (  # noqa: F401 (fixtures)
    OVERDUE,
    customer,
    flow,
    leap,
    sync_connections_now,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORTS = [(1280, 900), (390, 844)]
RAW = re.compile(r"\b(RESIDENTIAL|UTILITY_METER|PGE)\b")


@pytest.fixture
def two_customers(leap, customer):  # noqa: F811
    """Ann's and Bob's links, connections and meters, synced and reconciled."""
    for ref_id, name in (("words-ann", "Ann Partner"), ("words-bob", "Bob Partner")):
        Link.objects.create(
            org_name="test-energy", ref_id=ref_id, customer_name=name, url="https://x.test/"
        )
        customer(ref_id)
    advance_clock(24.5)
    sync_connections_now(leap)
    sync_meters(client=leap, since=None, now=sandbox_now(), overdue_after=OVERDUE)
    reconcile(now=sandbox_now(), overdue_after=OVERDUE)
    return Meter.objects.get(partner_reference="words-ann")


def _current(page, container: str):
    return page.locator(f"{container} a[aria-current='page']")


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_moving_a_meter_to_another_customers_reference_needs_a_confirmation(
    logged_in_page, live_server, pm_user, two_customers, width, height
):
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": height})
    grant_sending_fixes(pm_user)
    page.goto(f"{live_server.url}/meters/{two_customers.meter_id}/")
    page.get_by_label("New reference").fill("words-bob")
    page.get_by_role("button", name="Preview change").click()

    row = page.locator(f"tr[data-meter='{two_customers.meter_id}']")
    expect(row).not_to_contain_text("Ready")
    expect(row.locator("[data-current-customer]")).to_have_text("Ann Partner")
    expect(row.locator("[data-target-customer]")).to_have_text("Bob Partner")
    page.get_by_role("button", name="Send to Leap").click()  # without ticking the box

    expect(page.locator("[data-refused]")).to_contain_text("Nothing was sent")
    expect(page.locator("[data-field-error='move']")).to_be_visible()
    assert not ReferenceChange.objects.exists()
    assert sandbox.Meter.objects.get(meter_id=two_customers.meter_id).partner_reference == (
        "words-ann"
    )

    page.get_by_label("Yes, move this meter from Ann Partner to Bob Partner").check()
    page.get_by_role("button", name="Send to Leap").click()
    expect(page.locator("tr.fix-applied")).to_contain_text("Leap applied the new reference.")
    assert sandbox.Meter.objects.get(meter_id=two_customers.meter_id).partner_reference == (
        "words-bob"
    )


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_an_invalid_reference_is_shown_beside_its_field(
    logged_in_page, live_server, two_customers, width, height
):
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/meters/{two_customers.meter_id}/")
    field = page.get_by_label("New reference")
    field.fill("words/ann")
    page.get_by_role("button", name="Preview change").click()

    field = page.get_by_label("New reference")
    error = page.locator("#new-reference-error")
    expect(error).to_contain_text("Leap does not allow")
    expect(field).to_have_value("words/ann")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("button", name="Preview change")).to_be_visible()
    box, below = field.bounding_box(), error.bounding_box()
    assert box
    assert below
    assert 0 <= below["y"] - (box["y"] + box["height"]) < 40  # right under the field
    assert below["x"] < box["x"] + box["width"]


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_the_meters_pages_read_in_words_and_mark_the_current_tab(
    logged_in_page, live_server, two_customers, width, height
):
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/meters/")
    expect(_current(page, ".subnav")).to_have_text("Meters")
    expect(_current(page, ".subnav")).to_have_class(re.compile(r"\bactive\b"))
    table = page.locator("#table")
    expect(table).to_contain_text("Pacific Gas & Electric (PG&E)")
    expect(table).to_contain_text("Residential")
    expect(table.locator("[data-customer]").first).to_contain_text("Partner")
    assert not RAW.search(page.locator("main").inner_text())

    page.goto(f"{live_server.url}/meters/{two_customers.meter_id}/")
    expect(page.locator("[data-meter-customer]")).to_contain_text("Ann Partner")
    expect(page.locator("main")).to_contain_text("Utility meter")
    assert not RAW.search(page.locator("main").inner_text())
    page.locator("[data-meter-connections] a").first.click()
    expect(page).to_have_url(re.compile(r"/connections/\d+/"))
    page.go_back()
    page.locator("[data-meter-links] a").first.click()
    expect(page).to_have_url(re.compile(r"/links/\d+/"))


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_reconciliation_opens_on_the_first_tab_with_something_in_it(
    logged_in_page, live_server, two_customers, width, height
):
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/meters/reconciliation/")
    expect(_current(page, ".subnav")).to_have_text("Reconciliation")
    tab = _current(page, "[aria-label='Categories']")
    expect(tab).to_contain_text("Unknown to us")  # no partner records: both meters unknown
    expect(tab.locator(".badge")).to_have_text("2 meters")
    expect(page.locator("tr[data-reference='words-ann']")).to_be_visible()
    for before in page.locator("[aria-label='Categories'] a").all():
        if "Unknown to us" in before.inner_text():
            break
        assert before.locator(".badge").inner_text().startswith("0 ")

    page.get_by_role("link", name="Duplicate reference").click()
    expect(page).to_have_url(re.compile(r"category=duplicate"))
    expect(_current(page, "[aria-label='Categories']")).to_contain_text("Duplicate reference")
    expect(page.locator("[aria-label='Categories'] a.active")).to_have_count(1)
