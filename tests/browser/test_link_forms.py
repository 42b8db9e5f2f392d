"""Browser: forms that guide, at desktop and phone widths. The New-link form shows the chosen
kind's fields with a real prompt, refuses a customer type the flow does not serve, links a
duplicate refId to its link, and keeps its preview beside (1280) or right under (390) the refId;
the import warns about rows without an email, offers no empty create, and gives one CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from links.models import Flow, Link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[(1280, 900), (390, 844)], ids=["1280px", "390px"])
def width(request, logged_in_page):
    w, h = request.param
    logged_in_page.set_viewport_size({"width": w, "height": h})
    return w


@pytest.fixture
def flow(db):
    return Flow.objects.create(
        org_name="test-energy", title="homes", region="CAISO", customer_type="residential"
    )


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_form_shows_the_chosen_kinds_fields_and_keeps_what_was_typed(
    logged_in_page, live_server, flow, width
):
    page = logged_in_page
    page.goto(f"{live_server.url}/links/new/")
    flow_select, utility = page.get_by_label("Flow"), page.get_by_role("combobox", name="Utility")
    expect(flow_select.locator("option").first).to_have_text("Choose a flow")
    expect(flow_select).to_be_visible()
    expect(utility).to_be_hidden()
    requested = page.get_by_role("group", name="Requested utilities")
    expect(requested).to_be_visible()
    flow_select.select_option(str(flow.pk))
    page.get_by_label("refId").fill("ada-0001")

    page.get_by_label("Direct to utility").check()
    expect(flow_select).to_be_hidden()
    expect(requested).to_be_hidden()
    expect(utility).to_be_visible()
    expect(utility.locator("option").first).to_have_text("Choose a utility")
    utility.select_option("sce")
    expect(page.locator("#link-url")).to_have_value(
        re.compile(r"/test-energy/sce/getting-started\?refId=ada-0001$")
    )

    page.get_by_label("Leap Connect").check()
    expect(utility).to_be_hidden()
    expect(flow_select).to_have_value(str(flow.pk))  # switching lost nothing
    expect(page.get_by_label("refId")).to_have_value("ada-0001")
    expect(page.locator("#link-url")).to_have_value(
        "http://testserver/sandbox/connect/test-energy/homes/?refId=ada-0001"
    )
    page.get_by_label("Direct to utility").check()
    expect(utility).to_have_value("sce")
    page.get_by_label("Leap Connect").check()
    _fits(page, width)

    # the preview beside the field (1280) or right under it (390)
    field = page.get_by_label("refId").bounding_box()
    preview = page.locator("#preview article").bounding_box()
    assert field
    assert preview
    if width >= 1280:
        assert preview["x"] > field["x"] + field["width"]
    else:
        gap = preview["y"] - (field["y"] + field["height"])
        assert 0 <= gap <= 150, gap


def test_the_kind_switch_and_the_checks_work_without_script(browser, live_server, pm_user, flow):
    from tests.factories import PASSWORD

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(pm_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/links/new/")
    page.get_by_label("Direct to utility").check()
    expect(page.get_by_label("Flow")).to_be_hidden()
    page.get_by_label("refId").fill("home-0001")
    page.get_by_role("button", name="Save link").click()  # a plain POST, checked for Direct
    expect(page.locator("#preview")).to_contain_text("Direct-to-Utility links exist only for")
    page.get_by_role("combobox", name="Utility").select_option("pge")
    page.get_by_role("button", name="Save link").click()
    expect(page.get_by_role("heading", name="Link home-0001")).to_be_visible()
    assert Link.objects.get().url.endswith("/test-energy/pge/getting-started?refId=home-0001")
    context.close()


def test_a_commercial_customer_on_a_residential_flow_is_refused_beside_the_field(
    logged_in_page, live_server, flow, width
):
    page = logged_in_page
    page.goto(f"{live_server.url}/links/new/")
    page.get_by_label("Flow").select_option(str(flow.pk))
    page.get_by_label("Customer type").select_option("commercial")
    page.get_by_label("refId").fill("shop-0001")
    message = "The flow homes is for residential customers and this customer is commercial"
    expect(page.locator("#preview")).to_contain_text(message)
    page.get_by_role("button", name="Save link").click()
    field_error = page.locator("div:has(> select[name=customer_type]) > ul.errorlist")
    expect(field_error).to_contain_text(message)
    assert not Link.objects.exists()
    _fits(page, width)


def test_a_duplicate_ref_id_links_to_the_existing_link_and_its_resend(
    logged_in_page, live_server, flow, width
):
    old = Link.objects.create(
        flow=flow,
        org_name="test-energy",
        ref_id="ada-0001",
        customer_email="ada@example.com",
        url="http://testserver/sandbox/connect/test-energy/homes/?refId=ada-0001",
    )
    page = logged_in_page
    page.goto(f"{live_server.url}/links/new/")
    page.get_by_label("Flow").select_option(str(flow.pk))
    page.get_by_label("Customer email").fill("ada@example.com")
    page.get_by_label("refId").fill("ada-0001")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("This customer already has a link with refId ada-0001")
    existing = preview.get_by_role("link", name="Open the existing link ada-0001")
    expect(existing).to_have_attribute("href", f"/links/{old.pk}/")
    _fits(page, width)
    preview.get_by_role("button", name="Re-send the existing link").click()
    expect(page.get_by_role("heading", name="Link ada-0001")).to_be_visible()
    assert page.url == f"{live_server.url}/links/{old.pk}/"
    assert Link.objects.count() == 1

    page.goto(f"{live_server.url}/links/new/")
    page.get_by_label("Flow").select_option(str(flow.pk))
    page.get_by_label("Customer email").fill("bob@example.com")
    page.get_by_label("refId").fill("ada-0001")
    expect(preview).to_contain_text("already used by another customer")
    expect(preview.get_by_role("button", name="Re-send the existing link")).to_have_count(0)
    preview.get_by_role("link", name="Open the existing link ada-0001").click()
    expect(page.get_by_role("heading", name="Link ada-0001")).to_be_visible()


def _check_file(page, live_server, flow, path) -> None:
    page.goto(f"{live_server.url}/links/import/")
    expect(page.get_by_label("Flow").locator("option").first).to_have_text("Choose a flow")
    page.get_by_label("Flow").select_option(str(flow.pk))
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Check file").click()
    expect(page.get_by_role("heading", name="Import customers.csv")).to_be_visible()


def _results(page) -> list[dict[str, str]]:
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the results").click()
    text = download.value.path().read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_an_import_warns_about_rows_without_email_and_offers_no_empty_create(
    logged_in_page, live_server, flow, width, tmp_path
):
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(
        "ref_id,name,email,utility,customer_type\n"
        "cust-1,Ada,ada@example.com,,\n"
        "cust-2,Bob,,,\n"
        "bad/3,Cy,cy@example.com,,\n"
    )
    page = logged_in_page
    _check_file(page, live_server, flow, csv_file)
    warnings = page.locator("table.warnings tbody tr")
    expect(warnings).to_have_count(1)
    expect(warnings.first).to_contain_text("cust-2")
    expect(warnings.first).to_contain_text("no automated e-mail touch possible")
    _fits(page, width)
    page.get_by_role("button", name="Create 2 links").click()
    expect(page.get_by_text("2 links created.")).to_be_visible()
    assert sorted(Link.objects.values_list("ref_id", flat=True)) == ["cust-1", "cust-2"]
    rows = _results(page)
    assert [(r["line"], r["status"], r["ref_id"]) for r in rows] == [
        ("2", "created", "cust-1"),
        ("3", "warning", "cust-2"),
        ("4", "error", "bad/3"),  # whose line failed, as written
    ]
    assert rows[1]["url"].endswith("refId=cust-2")

    # the same file again: nothing new, so no create to press (one CSV still tells all)
    _check_file(page, live_server, flow, csv_file)
    expect(page.get_by_role("button", name="Create 0 links")).to_be_disabled()
    expect(page.get_by_text("Nothing new to create")).to_be_visible()
    assert [r["status"] for r in _results(page)] == ["existing", "existing", "error"]
    _fits(page, width)
