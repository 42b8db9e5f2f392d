"""Browser tests: Debian's chromium driven by Playwright's Python package (no downloads)."""

import os
import shutil

import pytest

# Playwright's sync API keeps an event loop in the main thread and Django's ORM refuses to
# run beside one: allow it for tests only, never in settings.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"browser tests need Debian's chromium at {CHROMIUM}: apt-get install chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def logged_in_page(page, live_server, pm_user):
    """A page logged in as a program manager through the real login form."""
    from tests.factories import PASSWORD

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(pm_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def grant_sending_fixes(user) -> None:
    """What ops do for a program manager who may send reference fixes to Leap."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="send_reference_fix"))
