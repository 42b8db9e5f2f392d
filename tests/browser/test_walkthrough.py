"""One walk through the whole product as a new program manager would take it, with a
screenshot of every step in the test's output folder (test-results/<test>/step-NN-*.png).

Link → Leap Connect in the sandbox, as in Leap's staging (the Staging Test Utility's bad-login
case) → sync → ERROR with the tailored message and the utility named → a touch marked in the
re-engagement queue → the commercial case connected, terms signed after the login → sync →
COMPLETED →
the sandbox clock 25 h on → meters synced and reconciled → a mistyped reference fixed to the
site's refId, which its other meter shares.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from connections.models import Connection, Touchpoint
from connections.tasks import sync_connections_task
from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.state import advance_clock
from links.models import Flow, Link
from meters.models import Meter, ReferenceChange
from meters.tasks import reconcile_task, sync_meters_task
from tests.browser.conftest import grant_sending_fixes
from tests.meters.conftest import set_sandbox_reference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REF = "acme-hq-0001"


@pytest.fixture
def leap(live_server, settings):
    """leapdash talks to the sandbox on the live server; links point at its Connect pages."""
    settings.LEAP_API_BASE_URL = f"{live_server.url}/sandbox/api"
    settings.LEAP_API_KEY = settings.LEAP_SANDBOX_API_KEY
    settings.LEAP_CONNECT_BASE_URL = f"{live_server.url}/sandbox/connect"
    assert settings.LEAP_SANDBOX_REFRESH_SECONDS == 0  # Leap's hourly refresh, compressed
    # Leap's side of the flow and ours (set up with Leap beforehand, as partners do)
    sandbox.Flow.objects.create(
        org_name="test-energy",
        title="commercial-solar",
        region="CAISO",
        customer_type="COMMERCIAL",
        thank_you_url=f"{live_server.url}/links/done/?flow=commercial-solar",
    )
    Flow.objects.create(
        org_name="test-energy",
        title="commercial-solar",
        region="CAISO",
        customer_type="commercial",
        campaign="spring",
    )
    # the customer acts two hours "ago", so the sync sees them past Leap's quiet hour
    advance_clock(-2)
    return live_server


class Steps:
    def __init__(self, page, folder):
        self.page, self.folder, self.n = page, Path(folder), 0
        self.folder.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(
            path=str(self.folder / f"step-{self.n:02d}-{name}.png"), full_page=True
        )


def _staging_case(page, case: str) -> None:
    page.get_by_role("link", name="Staging Test Utility (CAISO)").click()
    page.locator(f"input[name=case][value={case}]").check()
    page.get_by_role("button", name="Send").click()


def test_a_program_manager_walks_through_the_whole_product(
    logged_in_page, leap, output_path, pm_user, midday
):
    page, live = logged_in_page, leap.url
    steps = Steps(page, output_path)
    steps.shot("logged-in")

    # 1. a Connect link for a commercial customer (rehearsed in Leap's staging, where only the
    # Staging Test Utility connects: no utility is requested)
    page.goto(f"{live}/links/new/")
    page.get_by_label("Leap Connect").check()
    flow = Flow.objects.get(title="commercial-solar")
    page.get_by_label("Flow").select_option(str(flow.pk))
    page.get_by_label("Customer type").select_option("commercial")
    page.get_by_label("Customer name").fill("Acme Offices")
    page.get_by_label("Customer email").fill("energy@acme.example")
    page.get_by_label("refId").fill(REF)
    expect(page.locator("#link-url")).to_have_value(re.compile(f"refId={REF}"))
    steps.shot("link-preview")
    page.get_by_role("button", name="Save link").click()
    expect(page.get_by_role("heading", name=f"Link {REF}")).to_be_visible()
    steps.shot("link-saved")
    url = Link.objects.get(ref_id=REF).url

    # 2. the customer: the Staging Test Utility's bad-login case fails
    page.goto(url)
    steps.shot("leap-connect-utilities")
    _staging_case(page, "badlogin")
    expect(page.get_by_role("heading", name="Error")).to_be_visible()
    steps.shot("bad-login")

    # 3. the sync (what the hourly task runs) → ERROR, tailored message, the utility named
    sync_connections_task(trigger="walkthrough")
    connection = Connection.objects.get(ref_id=REF)
    assert connection.status == "ERROR"
    page.goto(f"{live}/connections/?q={REF}")
    page.get_by_role("link", name=REF).first.click()
    expect(page.locator("h1")).to_contain_text("Error")
    next_action = page.locator("article.next-action")
    expect(next_action).to_contain_text("Staging Test Utility")
    expect(page.locator("figure.message-preview")).to_be_visible()
    steps.shot("connection-error")

    # 4. a touch marked sent from the re-engagement queue
    page.goto(f"{live}/connections/queue/")
    card = page.locator("article", has_text=REF).last
    card.get_by_role("button", name="Mark sent").click()
    expect(page.get_by_text("marked sent")).to_be_visible()
    steps.shot("touch-marked")
    assert Touchpoint.objects.filter(connection=connection, outcome="sent").count() == 1

    # 5. two hours later the customer comes back: the commercial case connects, then the
    # terms (after the login, as in Leap's journey), then the thank-you page → COMPLETED
    advance_clock(2)
    page.goto(url)
    _staging_case(page, "commercial")
    expect(page.get_by_role("heading", name="Review and sign")).to_be_visible()
    steps.shot("terms-after-login")
    page.get_by_role("button", name="I agree and sign").click()
    page.wait_for_url(re.compile(re.escape(f"{live}/links/done/")))
    steps.shot("customer-thanked")
    sync_connections_task(trigger="walkthrough")
    assert Connection.objects.get(ref_id=REF).status == "COMPLETED"
    page.goto(f"{live}/connections/{connection.pk}/")
    expect(page.locator("h1")).to_contain_text("Completed")
    steps.shot("connection-completed")

    # 6. a day later Leap has the meters: sync them, reconcile against our links
    advance_clock(25)
    meter_ids = [str(m) for m in sandbox.Meter.objects.values_list("meter_id", flat=True)]
    assert len(meter_ids) == 4  # the commercial case's four meters, one site
    set_sandbox_reference(meter_ids[0], "acme-hq-O001")  # a typo made on Leap's side
    sync_meters_task(full=True, trigger="walkthrough")
    assert Meter.objects.count() == 4
    page.goto(f"{live}/meters/partners/")
    page.get_by_role("button", name=re.compile("from links", re.I)).click()
    reconcile_task(pm_user.pk)
    page.goto(f"{live}/meters/reconciliation/?category=matched")
    expect(page.locator(f"tr[data-reference='{REF}']")).to_have_count(3)  # the 4th: a typo
    steps.shot("reconciliation-matched")

    # 7. fix the mistyped reference: the reconciliation proposes the refId, which the site's
    # other meters already hold (Leap writes it on every meter of a connection) and Leap applies
    page.goto(f"{live}/meters/reconciliation/?category=by_connection")
    row = page.locator("tr[data-reference='acme-hq-O001']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(REF)
    grant_sending_fixes(pm_user)  # sending to Leap is ops' unless they grant it
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Fix selected").click()
    expect(page.get_by_role("heading", name="Preview reference changes")).to_be_visible()
    steps.shot("fix-preview")
    page.get_by_role("button", name="Send to Leap").click()
    expect(page.locator("tr.fix-applied")).to_contain_text("Leap applied the new reference.")
    steps.shot("fix-applied")
    assert set(Meter.objects.values_list("partner_reference", flat=True)) == {REF}
    assert sandbox.Meter.objects.filter(partner_reference=REF).count() == 4
    assert ReferenceChange.objects.get().status == "applied"
    assert len(list(steps.folder.glob("step-*.png"))) == steps.n
