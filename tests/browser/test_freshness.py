"""Browser: "Leap data as of" on the meters list, and ops refreshing it from Leap inline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leapdash.runs.models import SyncRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORTS = [(1280, 900), (390, 844)]


@pytest.fixture
def ops_page(page, live_server, ops_user):
    from tests.factories import PASSWORD

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(ops_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_ops_refresh_the_meters_and_watch_the_run_inline(ops_page, live_server, width, height):
    page = ops_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/meters/")
    expect(page.locator("#as-of-meters")).to_have_text("Leap data as of never")
    page.get_by_role("button", name="Refresh from Leap").click()
    status = page.locator("#refresh-meters")
    expect(status).to_have_attribute("data-state", "queued")
    expect(status).to_contain_text("Queued")

    # a worker picks the sync up: the status follows the run, then shows its result
    run = SyncRun.objects.create(
        kind="meters", status="running", started_at=timezone.now() + timedelta(seconds=1)
    )
    SyncRun.objects.filter(pk=run.pk).update(pages_done=2, fetched=400)
    expect(status).to_have_attribute("data-state", "running", timeout=6000)
    expect(status).to_contain_text("2 pages · 400 read")
    SyncRun.objects.filter(pk=run.pk).update(
        status="succeeded", finished_at=timezone.now(), created=3
    )
    expect(status).to_have_attribute("data-state", "succeeded", timeout=6000)
    expect(status).to_contain_text("3 new")
    expect(status).not_to_have_attribute("hx-trigger", "every 2s")
    expect(page.locator("#as-of-meters")).not_to_contain_text("never")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_program_managers_see_the_freshness_but_no_refresh(
    logged_in_page, live_server, width, height
):
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/connections/")
    expect(page.locator("#as-of-connections")).to_contain_text("Leap data as of")
    expect(page.get_by_role("button", name="Refresh from Leap")).to_have_count(0)
