"""Browser: a link's page shows its connection (status, next action, timeline) and its meters,
and the home page's counts link to exactly their rows, at 1280 and 390 px."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Link
from tests.connections.builders import PGE, conn, page_of, util
from tests.meters.test_views import make_meter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[1280, 390], ids=["1280px", "390px"])
def width(request, logged_in_page):
    logged_in_page.set_viewport_size({"width": request.param, "height": 900})
    return request.param


def _no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_link_page_shows_its_connection_and_meters(logged_in_page, live_server, width, midday):
    page = logged_in_page
    stale = timezone.now() - timedelta(hours=3)
    link = Link.objects.create(
        org_name="demo", ref_id="cust-1", url="https://x", customer_name="Ann"
    )
    record = conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN", at=stale), ref_id="cust-1", last=stale)
    write_page(page_of([record]), now=timezone.now(), counts=SyncCounts())
    meter = make_meter(1, partner_reference="cust-1", connection_references=["cust-1"])
    page.goto(f"{live_server.url}/links/{link.pk}/")
    at_leap = page.locator("#link-connections")
    expect(at_leap.locator("[data-connection-status]")).to_have_text("Error")
    expect(at_leap.locator(".next-action header")).to_contain_text("Send a tailored message")
    expect(at_leap.locator("[data-next-touch]")).to_contain_text("Touch 1 of 3 is due since")
    expect(at_leap.locator(".timeline")).to_contain_text("Opened the link")
    expect(at_leap.locator(".table-wrap")).to_be_visible()
    _no_overflow(page)
    at_leap.get_by_role("link", name=meter.meter_id).first.click()
    expect(page.locator("[data-meter-links]")).to_contain_text("cust-1")
    page.locator("[data-meter-connections] a").click()
    expect(page.locator("h1")).to_contain_text("cust-1")


def test_the_home_counts_link_to_exactly_their_rows(logged_in_page, live_server, width, midday):
    page = logged_in_page
    stale = timezone.now() - timedelta(hours=3)
    records = [
        conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN", at=stale), ref_id=f"c{i}", last=stale)
        for i in range(3)
    ]
    write_page(page_of(records), now=timezone.now(), counts=SyncCounts())
    page.goto(f"{live_server.url}/")
    due = page.locator('[data-home-count="due"]')
    expect(due).to_contain_text("3 customers")
    _no_overflow(page)
    due.click()
    expect(page.locator("#table")).to_contain_text("3 connections")
    page.goto(f"{live_server.url}/connections/queue/")
    expect(page.locator("[data-due-count]")).to_have_text("3")
