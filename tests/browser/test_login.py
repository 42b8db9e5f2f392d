import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_program_manager_logs_in_sees_the_home_page_and_logs_out(logged_in_page, live_server):
    page = logged_in_page
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    nav = page.locator("header nav")
    for section in ("Links", "Connections", "Meters", "Sync health"):
        expect(nav.get_by_role("link", name=section, exact=True)).to_be_visible()
    nav.get_by_role("link", name="Connections", exact=True).click()
    expect(page.get_by_role("heading", name="Connections")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Log in to leapdash")).to_be_visible()
