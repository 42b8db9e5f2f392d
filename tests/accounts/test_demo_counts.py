"""The demo as `make demo` fills it (set-up, then the syncs over HTTP from the sandbox): every
page that counts the same customers says the same number."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from links.models import Link

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(live_server, settings, midday, ops_client):
    settings.LEAP_API_BASE_URL = live_server.url + "/sandbox/api"
    settings.LEAP_API_KEY = settings.LEAP_SANDBOX_API_KEY
    call_command("demo_setup", stdout=StringIO())
    call_command("demo_sync", wait=10, stdout=StringIO())
    return ops_client


def _home_count(page: str, key: str) -> tuple[str, int]:
    match = re.search(rf'<a href="([^"]+)" data-home-count="{key}">.*?(\d+) <small>', page, re.S)
    assert match, key
    return match.group(1).replace("&amp;", "&"), int(match.group(2))


def test_the_demos_pages_agree(demo):
    home = demo.get("/").content.decode()
    due_href, due = _home_count(home, "due")
    assert due > 0  # the demo has customers to re-engage now
    assert demo.get("/connections/queue/").context["count"] == due
    for key in re.findall(r'data-home-count="([^"]+)"', home):
        href, shown = _home_count(home, key)
        listed = demo.get(href).context["total"]
        assert (listed.n, listed.capped) == (shown, False), key

    links = Link.objects.count()
    opened = demo.get("/links/?opened=yes").context["page"].paginator.count
    never = demo.get("/links/?opened=no").context["page"].paginator.count
    unopened_tab = demo.get("/connections/?view=unopened").context["page"].paginator.count
    assert opened + never == links
    assert never == unopened_tab > 0
    stages = {s.key: s.count for s in demo.get("/connections/funnel/").context["stages"]}
    assert (stages["created"], stages["opened"]) == (links, opened)
