"""Browser: the funnel's Variants section, its table, verdict and completion chart, at desktop
and phone widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connections.experiments import Arm
from connections.models import Connection
from links.models import Flow
from tests.connections.test_experiments import _experiment
from tests.connections.test_funnel_variants import _arm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_the_variants_section_shows_the_winner_and_a_line_per_variant(
    logged_in_page, live_server, width, height
):
    flow = Flow.objects.create(org_name="acme", title="home")
    experiment = _experiment(flow, Arm("Slow", 50), Arm("Fast", 50))
    slow, fast = experiment.variants.all()
    _arm(flow, "s", 40, 10)
    _arm(flow, "f", 40, 25)
    Connection.objects.filter(ref_id__startswith="s-").update(variant=slow)
    Connection.objects.filter(ref_id__startswith="f-").update(variant=fast)

    page = logged_in_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/connections/funnel/")
    section = page.locator("section#variants")
    expect(section.get_by_role("heading", name="Variants")).to_be_visible()
    fast_row = section.locator('tr[data-variant="Fast"]')
    expect(fast_row.locator("[data-verdict]")).to_contain_text("Completes better")
    expect(fast_row).to_contain_text("62.5%")
    expect(section.locator('tr[data-variant="Slow"] [data-verdict]')).to_have_text("the baseline")
    lines = section.locator("polyline.variant-line")
    expect(lines).to_have_count(2)
    for i in range(2):
        box = lines.nth(i).bounding_box()
        assert box is not None
        assert box["width"] > width / 3  # the line spans the chart, whatever the screen
    expect(section.get_by_role("link", name="Download variants CSV")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
