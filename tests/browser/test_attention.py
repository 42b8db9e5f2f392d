"""Browser: "Needs attention" from the home page, a mistyped refId, and "This is …" that matches
it to its link, at desktop and phone widths."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connections.models import Connection
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Link, RefIdAlias
from tests.connections.builders import PGE, conn, page_of, util

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_a_mistyped_refid_is_matched_to_its_link_in_one_click(
    logged_in_page, live_server, width, height
):
    link = Link.objects.create(
        org_name="acme", ref_id="pm-bulk-002", customer_name="Bo Bulk", url="https://l.example/2"
    )
    Link.objects.create(org_name="acme", ref_id="pm-bulk-003", url="https://l.example/3")
    last = timezone.now() - timedelta(hours=3)
    record = conn("PARTIAL", util(PGE, "ERROR", "BAD_LOGIN"), ref_id="pm-bulk-0O2", last=last)
    write_page(page_of([record]), now=timezone.now(), counts=SyncCounts())

    page = logged_in_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/")
    expect(page.locator("[data-attention-count]")).to_have_text("1")
    page.get_by_role("link", name="Open needs attention").click()
    expect(page.get_by_role("link", name="Needs attention")).to_have_attribute(
        "aria-current", "page"
    )
    row = page.locator('tr[data-ref-id="pm-bulk-0O2"]')
    expect(row).to_contain_text("look-alike characters")
    chip = row.locator("code.refid").first
    expect(chip).to_have_css("font-variant-numeric", "slashed-zero")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    row.get_by_role("button", name="This is pm-bulk-002").click()
    expect(page.get_by_role("status")).to_contain_text("pm-bulk-0O2 is now matched to pm-bulk-002")
    expect(page.get_by_text("Every connection matches a link.")).to_be_visible()
    assert RefIdAlias.objects.get().link == link
    assert Connection.objects.get(ref_id="pm-bulk-0O2").link_id == link.pk
