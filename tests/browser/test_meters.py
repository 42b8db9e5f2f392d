"""The reconciliation page in a real browser: fix a reference, see the row move to matched."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.state import advance_clock, sandbox_now
from meters.models import Meter, PartnerRecord, ReferenceChange
from meters.reconcile import reconcile
from meters.sync import sync_meters
from tests.browser.conftest import grant_sending_fixes
from tests.meters.conftest import (  # noqa: F401 (fixtures)
    OVERDUE,
    customer,
    flow,
    leap,
    set_sandbox_reference,
    sync_connections_now,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_fixing_a_reference_moves_the_row_to_matched(
    logged_in_page,
    live_server,
    leap,  # noqa: F811
    customer,  # noqa: F811
    pm_user,
):
    page = logged_in_page
    grant_sending_fixes(pm_user)  # sending to Leap is ops' unless they grant it
    customer("browser-1")
    advance_clock(24.5)
    meter_id = str(sandbox.Meter.objects.get().meter_id)
    set_sandbox_reference(meter_id, "browser-typo")
    sync_connections_now(leap)
    sync_meters(client=leap, since=None, now=sandbox_now(), overdue_after=OVERDUE)
    PartnerRecord.objects.create(reference="browser-1", name="Browser Customer")
    reconcile(now=sandbox_now(), overdue_after=OVERDUE)

    page.goto(f"{live_server.url}/meters/reconciliation/?category=by_connection")
    row = page.locator("tr[data-reference='browser-typo']")
    expect(row).to_contain_text("browser-1")
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Fix selected").click()
    expect(page.get_by_role("heading", name="Preview reference changes")).to_be_visible()
    page.get_by_role("button", name="Send to Leap").click()
    expect(page.locator("tr.fix-applied")).to_contain_text("Leap applied the new reference.")

    page.get_by_role("link", name="Back to reconciliation").click()
    page.get_by_role("link", name="Matched 1", exact=False).first.click()
    expect(page.locator("tr[data-reference='browser-1']")).to_contain_text("Browser Customer")
    page.get_by_role("link", name="Matched by connection only").click()
    expect(page.locator("tr[data-reference='browser-typo']")).to_have_count(0)
    assert Meter.objects.get().partner_reference == "browser-1"
    assert sandbox.Meter.objects.get().partner_reference == "browser-1"
    assert ReferenceChange.objects.get().status == "applied"


def test_a_multi_meter_sites_reference_fix_goes_through_for_every_meter(
    logged_in_page,
    live_server,
    pm_user,
    leap,  # noqa: F811
    customer,  # noqa: F811
):
    """A commercial site's four meters share its refId at Leap: the fix proposes it for each
    meter, and Leap (here the sandbox) accepts it for all four."""
    grant_sending_fixes(pm_user)  # sending to Leap is ops' unless they grant it
    page = logged_in_page
    customer("site-41", "commercial")
    advance_clock(24.5)
    for meter in sandbox.Meter.objects.all():
        set_sandbox_reference(str(meter.meter_id), "site-41-typo")
    sync_connections_now(leap)
    sync_meters(client=leap, since=None, now=sandbox_now(), overdue_after=OVERDUE)
    PartnerRecord.objects.create(reference="site-41", name="Four Meter Site")
    reconcile(now=sandbox_now(), overdue_after=OVERDUE)

    page.goto(f"{live_server.url}/meters/reconciliation/?category=by_connection")
    rows = page.locator("tr[data-reference='site-41-typo']")
    expect(rows).to_have_count(4)
    for n in range(4):
        expect(rows.nth(n)).to_contain_text("site-41")
        rows.nth(n).get_by_role("checkbox").check()
    page.get_by_role("button", name="Fix selected").click()
    expect(page.get_by_role("heading", name="Preview reference changes")).to_be_visible()
    page.get_by_role("button", name="Send to Leap").click()
    expect(page.locator("tr.fix-applied")).to_have_count(4)

    page.get_by_role("link", name="Back to reconciliation").click()
    page.get_by_role("link", name="Matched by connection only").click()
    expect(page.locator("tr[data-reference='site-41-typo']")).to_have_count(0)
    assert set(Meter.objects.values_list("partner_reference", flat=True)) == {"site-41"}
    assert sandbox.Meter.objects.filter(partner_reference="site-41").count() == 4
    assert list(ReferenceChange.objects.values_list("status", flat=True)) == ["applied"] * 4
