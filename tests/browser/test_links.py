"""Browser: build a link in the form with the live preview, then follow it through the sandbox."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from links.models import Flow, LandingVisit, Link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def connect_host(settings, live_server):
    # the links must point at the live server's sandbox, not the test client's host
    settings.LEAP_CONNECT_BASE_URL = f"{live_server.url}/sandbox/connect"
    settings.LEAP_DIRECT_BASE_URL = f"{live_server.url}/sandbox/direct"
    return settings.LEAP_CONNECT_BASE_URL


def _build_link(page, live_server, flow):
    page.goto(f"{live_server.url}/links/new/")
    page.get_by_label("Leap Connect").check()
    page.get_by_label("Flow").select_option(str(flow.pk))
    page.get_by_label("Customer name").fill("Ada Lovelace")
    page.get_by_label("Customer email").fill("ada@example.com")
    page.get_by_label("Redirect parameters").fill("campaign=spring&state=abc 123")
    # an invalid refId first: the preview explains the rule while typing
    page.get_by_label("refId").fill("a#")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("The refId contains #")
    page.get_by_label("refId").fill("ada-0001")
    url_box = preview.locator("#link-url")
    expect(url_box).to_have_value(re.compile(r"refId=ada-0001"))
    expect(preview.get_by_role("img", name="QR code of the link")).to_be_visible()
    url = url_box.input_value()
    preview.get_by_role("button", name="Copy").click()
    expect(preview.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url
    page.get_by_role("button", name="Save link").click()
    expect(page.get_by_role("heading", name="Link ada-0001")).to_be_visible()
    return url


def test_a_program_manager_builds_a_connect_link_with_the_live_preview(
    logged_in_page, live_server, connect_host
):
    flow = Flow.objects.create(org_name="test-energy", title="spring-2025", region="CAISO")
    page = logged_in_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    url = _build_link(page, live_server, flow)
    assert url == (
        f"{connect_host}/test-energy/spring-2025/?refId=ada-0001"
        "&additional_redirect_params=campaign%3Dspring%26state%3Dabc%2520123"
    )
    assert Link.objects.get().url == url
    page.goto(f"{live_server.url}/links/")
    expect(page.get_by_role("link", name="ada-0001")).to_be_visible()
    page.get_by_label("Opened").select_option("yes")
    expect(page.get_by_text("No links match.")).to_be_visible()
    assert "opened=yes" in page.url


def test_a_program_manager_marks_a_customer_do_not_contact_and_back(logged_in_page, live_server):
    flow = Flow.objects.create(org_name="test-energy", title="spring-2025", region="CAISO")
    link = Link.objects.create(
        flow=flow, org_name="test-energy", ref_id="quiet-0001", url="https://example.test/"
    )
    page = logged_in_page
    page.goto(f"{live_server.url}/links/{link.pk}/")
    row = page.get_by_role("row", name="Do not contact")
    expect(row).to_contain_text("No.")
    row.get_by_role("button", name="Mark as do not contact").click()
    expect(page.locator("#do-not-contact-badge")).to_be_visible()
    expect(row).to_contain_text("Yes: the customer opted out.")
    link.refresh_from_db()
    assert link.do_not_contact is True
    page.goto(f"{live_server.url}/links/")
    expect(page.get_by_role("row", name="quiet-0001")).to_contain_text("Do not contact")
    page.goto(f"{live_server.url}/links/{link.pk}/")
    page.get_by_role("button", name="Allow contact again").click()
    expect(page.locator("#do-not-contact-badge")).to_have_count(0)
    link.refresh_from_db()
    assert link.do_not_contact is False


def test_a_connect_link_goes_through_the_sandbox_and_lands_on_the_thank_you_page(
    logged_in_page, live_server, connect_host
):
    from leapdash.leap.sandbox.models import Flow as SandboxFlow

    # Leap's side of the flow (the sandbox's own model) sends customers to our landing
    SandboxFlow.objects.create(
        org_name="test-energy",
        title="spring-2025",
        region="CAISO",
        thank_you_url=f"{live_server.url}/links/done/?flow=spring-2025",
    )
    flow = Flow.objects.create(org_name="test-energy", title="spring-2025", region="CAISO")
    page = logged_in_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    url = _build_link(page, live_server, flow)

    # the customer opens the link: Leap Connect in the sandbox
    page.goto(url)
    page.get_by_role("link", name="Staging Test Utility (CAISO)").click()
    page.locator("input[name=case][value=residential]").check()
    page.get_by_role("button", name="Send").click()

    # the final redirect: our landing, with refId and the redirect params intact
    page.wait_for_url(re.compile(re.escape(f"{live_server.url}/links/done/")))
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    query = parse_qs(urlsplit(page.url).query)
    assert query == {
        "flow": ["spring-2025"],
        "refId": ["ada-0001"],
        "campaign": ["spring"],
        "state": ["abc 123"],
    }
    visit = LandingVisit.objects.get()
    assert visit.ref_id == "ada-0001"
    assert visit.params == {"campaign": "spring", "state": "abc 123"}
    # the redirect is forgeable: "opened" waits for Leap's Connect data (the sync sets it)
    link = Link.objects.get(ref_id="ada-0001")
    assert link.first_opened_at is None
    page.goto(f"{live_server.url}/links/{link.pk}/")
    expect(page.get_by_role("row", name="Opened (seen by Leap)")).to_contain_text("not yet")
    visits = page.get_by_role("heading", name="Reached the thank-you page (unverified)")
    expect(visits).to_be_visible()
    expect(page.locator("section ul li")).to_contain_text("state=abc 123")


def test_a_csv_import_is_previewed_with_row_errors_then_confirmed(
    logged_in_page, live_server, connect_host, tmp_path
):
    flow = Flow.objects.create(org_name="test-energy", title="spring-2025", region="CAISO")
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(
        "ref_id,name,email,utility,customer_type\n"
        "cust-1,Ada,ada@example.com,pge,\n"
        "bad/1,Bob,bob@example.com,,\n"
        "cust-3,Cy,not-mail,,\n"
    )
    page = logged_in_page
    page.goto(f"{live_server.url}/links/import/")
    page.get_by_label("Flow").select_option(str(flow.pk))
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check file").click()
    expect(page.get_by_role("heading", name="Import customers.csv")).to_be_visible()
    errors = page.locator("table.errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("The refId contains /")
    expect(errors.nth(1)).to_contain_text("not-mail is not an email address.")
    assert not Link.objects.exists()
    page.get_by_role("button", name="Create 1 link").click()
    expect(page.get_by_text("1 link created.")).to_be_visible()
    assert list(Link.objects.values_list("ref_id", flat=True)) == ["cust-1"]


def test_an_unreadable_csv_is_explained_in_place(logged_in_page, live_server, tmp_path):
    flow = Flow.objects.create(org_name="test-energy", title="spring-2025", region="CAISO")
    csv_file = tmp_path / "wrong.csv"
    csv_file.write_text("id;customer\n1;Ada\n")
    page = logged_in_page
    page.goto(f"{live_server.url}/links/import/")
    page.get_by_label("Flow").select_option(str(flow.pk))
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check file").click()
    expect(page.get_by_text("The file has no ref_id, name, email columns.")).to_be_visible()
    assert page.url == f"{live_server.url}/links/import/"


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_the_qr_download_opens_as_an_image(logged_in_page, live_server, width, height):
    """The downloaded file is a standalone SVG: a browser draws it as an image (an SVG without
    its namespace loads as a broken image, natural width 0)."""
    link = Link.objects.create(org_name="acme", ref_id="qr-1", url="https://l.example/qr-1")
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/links/{link.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    drawn = page.evaluate(
        """async (url) => {
            const blob = await (await fetch(url)).blob();
            const data = await new Promise((done) => {
                const reader = new FileReader();
                reader.onload = () => done(reader.result);
                reader.readAsDataURL(blob);
            });
            const img = document.createElement("img");
            img.src = data;
            document.body.appendChild(img);
            try { await img.decode(); } catch (error) { return 0; }
            return img.naturalWidth;
        }""",
        f"/links/{link.pk}/qr.svg",
    )
    assert drawn > 0
