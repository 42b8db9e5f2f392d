"""Text from Leap, from customers on the public landing page and from partners' files renders
escaped on every page, partial and admin page; downloads are never rendered as HTML."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from meters.models import Category
from tests.security import hostile
from tests.security.urls import all_urls

MARK = "xss"


def poison(field: str) -> str:
    return f'<script>alert("{MARK}-{field}")</script>"onmouseover="alert(1)" javascript:alert(1)'


ESCAPED = "&lt;script&gt;alert("
PK_OF = {
    "links:detail": "link",
    "links:qr": "link",
    "links:mark_sent": "link",
    "links:flow_edit": "flow",
    "links:batch": "batch",
    "links:batch_confirm": "batch",
    "links:batch_discard": "batch",
    "links:batch_result": "batch",
    "meters:partner_import": "partner_import",
    "meters:partner_import_confirm": "partner_import",
    "runs:progress": "run",
}
# pages that show hostile text (so their escaping is really exercised, not vacuously true)
MUST_SHOW = {
    "home",
    "links:list",
    "links:detail",
    "links:batch",
    "connections:list",
    "connections:detail",
    "connections:queue",
    "meters:list",
    "meters:detail",
    "meters:reconciliation",
    "meters:partners",
    "meters:partner_import",
    "runs:list",
}


@pytest.fixture
def dataset(db, midday):
    # midday: the queue shows only touches due now, and touches go out in daytime only
    return hostile.seed(poison, anonymous=Client())


def pages(ids: dict) -> list[tuple[str, str]]:
    found = []
    for name, path in all_urls():
        if name.startswith(("sandbox:", "admin:")) or name in ("login", "logout", "leap_webhook"):
            continue
        if name in ("healthz", "readyz", "metrics"):
            continue  # probes: JSON or Prometheus text of fixed names, no page, no record text
        if name in PK_OF:
            path = re.sub(r"/1/", f"/{ids[PK_OF[name]]}/", path, count=1)
        elif name == "meters:detail":
            path = f"/meters/{ids['meter']}/"
        elif name == "connections:message_edit":  # a template the seed migration stored
            path = "/connections/messages/error.BAD_LOGIN/1/email/"
        elif name == "runs:refresh":  # the inline refresh status of a kind, since a time
            path = "/sync/refresh/connections/?after=2000-01-01T00:00:00%2B00:00"
        if name in ("connections:detail", "connections:touch"):
            found += [(name, f"/connections/{pk}/") for pk in ids["connections"]]
        elif name == "meters:reconciliation":
            found += [(name, f"{path}?category={c}") for c in Category.values]
        elif name == "connections:list":
            found += [(name, path), (name, f"{path}?view=unopened")]
        else:
            found.append((name, path))
    return found


def assert_escaped(html: str, where: str) -> None:
    assert "<script>alert(" not in html, where
    assert '"onmouseover=' not in html, where
    assert not re.search(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", html, re.I)
    assert not re.search(r"\son\w+=\"alert", html), where


def test_every_dashboard_page_and_partial_escapes_untrusted_text(ops_client, dataset):
    shown = set()
    for name, path in pages(dataset):
        for headers in ({}, {"HX-Request": "true"}):
            response = ops_client.get(path, headers=headers)
            content_type = response.get("Content-Type", "")
            if response.status_code == 405:
                continue  # POST-only: its answer is a redirect or a partial checked elsewhere
            assert response.status_code == 200, (path, response.status_code)
            if content_type.startswith("text/html"):
                html = response.content.decode()
                assert_escaped(html, path)
                if ESCAPED in html:
                    shown.add(name)
            else:
                # a download: never sniffed or shown inline as a page
                assert response["X-Content-Type-Options"] == "nosniff"
                assert response["Content-Disposition"].startswith("attachment;"), path
                assert not content_type.startswith(("text/html", "application/xhtml")), path
    assert MUST_SHOW <= shown, MUST_SHOW - shown


def test_program_managers_see_the_same_pages_escaped(pm_client, dataset):
    for _name, path in pages(dataset):
        response = pm_client.get(path)
        if response.get("Content-Type", "").startswith("text/html"):
            assert_escaped(response.content.decode(), path)


def test_the_admin_escapes_untrusted_text(ops_client, dataset):
    paths = [
        "/admin/connections/connection/",
        f"/admin/connections/connection/{dataset['connections'][1]}/change/",
        "/admin/connections/webhookevent/",
        "/admin/links/link/",
        f"/admin/links/link/{dataset['link']}/change/",
        "/admin/links/landingvisit/",
        "/admin/links/linkbatch/",
        "/admin/meters/meter/",
        "/admin/meters/partnerrecord/",
        "/admin/runs/syncrun/",  # shows no free text, checked all the same
    ]
    for path in paths:
        response = ops_client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert_escaped(html, path)
        assert ESCAPED in html or path == "/admin/runs/syncrun/", path


def test_the_htmx_post_partials_escape_too(ops_client, dataset):
    touch = ops_client.post(
        f"/connections/{dataset['connections'][0]}/touch/",
        {"action": "sent", "touch": "1"},
        headers={"HX-Request": "true"},
    )
    assert touch.status_code == 200
    assert_escaped(touch.content.decode(), "touch")
    fix = ops_client.post("/meters/fix/", {"meter": "1", "reference": poison("fix")})
    assert_escaped(fix.content.decode(), "fix preview")
    preview = ops_client.post("/links/new/preview/", {"ref_id": poison("form"), "kind": "direct"})
    assert_escaped(preview.content.decode(), "link preview")
