"""Every main page, htmx included, works under the Content-Security-Policy in a real browser:
no violation is reported, and hostile data from Leap or the landing page runs no script."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.browser.conftest import browser_type_launch_args  # noqa: F401 (fixture)
from tests.factories import PASSWORD
from tests.security import hostile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def poison(field: str) -> str:
    return f"<img src=x onerror=alert('{field}')><script>alert('{field}')</script>"


@pytest.fixture
def ops_page(page, live_server, ops_user):
    problems: list[str] = []
    page.add_init_script(LISTEN)

    def on_dialog(dialog) -> None:  # an alert() from hostile data would have run
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(ops_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.problems = problems
    return page


def _violations(page) -> list[str]:
    return page.evaluate("window.__csp || []") + page.problems


def test_the_main_pages_and_their_htmx_run_without_csp_violations(ops_page, live_server, midday):
    ids = hostile.seed(poison, anonymous=Client())
    page, live = ops_page, live_server.url
    paths = [
        "/",
        "/links/",
        "/links/flows/",
        "/links/import/",
        f"/links/{ids['link']}/",
        f"/links/import/{ids['batch']}/",
        "/connections/",
        "/connections/?view=unopened",
        *(f"/connections/{pk}/" for pk in ids["connections"]),
        "/connections/queue/",
        "/connections/funnel/",
        "/connections/hook/",
        "/meters/",
        f"/meters/{ids['meter']}/",
        "/meters/reconciliation/",
        "/meters/partners/",
        "/meters/overdue/",
        "/sync/",
        "/admin/",
        "/links/done/?refId=abc-123",
    ]
    for path in paths:
        page.goto(live + path)
        page.wait_for_load_state("networkidle")
        assert _violations(page) == [], path

    # htmx under the CSP: the live preview (hx-post) and a queue action (hx-post + swap)
    page.goto(f"{live}/links/new/")
    page.get_by_label("refId").fill("a#")
    expect(page.locator("#preview")).to_contain_text("Choose the Leap Connect flow")
    assert _violations(page) == [], "link preview"
    page.goto(f"{live}/connections/queue/")
    page.locator("article", has_text=hostile.LINKED_REF).last.get_by_role(
        "button", name="Mark sent"
    ).click()
    expect(page.get_by_text("marked sent")).to_be_visible()
    assert page.url.endswith("/connections/queue/")  # swapped in place, not a page load
    assert _violations(page) == [], "queue action"


def test_the_listener_does_catch_a_violation(ops_page, live_server):
    """The check above can fail: an inline script is reported on our pages."""
    ops_page.goto(f"{live_server.url}/")
    ops_page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = 1'; document.body.appendChild(s); }"
    )
    ops_page.wait_for_timeout(200)
    assert ops_page.evaluate("window.ran") is None
    assert any("script-src" in v for v in _violations(ops_page))
