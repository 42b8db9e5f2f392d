"""The funnel: stage counts per flow and date range, drop-offs by error code, SVG and CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from connections.choices import Action
from connections.models import Connection
from connections.sync import write_page
from leapdash.runs.tracking import SyncCounts
from links.models import Flow, Link
from tests.meters.test_views import make_meter

from .builders import PGE, SCE, conn, page_of, util

pytestmark = pytest.mark.django_db


@pytest.fixture
def flows():
    spring = Flow.objects.create(org_name="acme", title="battery", campaign="Spring")
    fall = Flow.objects.create(org_name="acme", title="ev", campaign="Fall")
    for i in range(6):
        Link.objects.create(flow=spring, org_name="acme", ref_id=f"s{i}")
    Link.objects.create(flow=fall, org_name="acme", ref_id="f0")
    write_page(
        page_of(
            [
                conn("NOT_STARTED", ref_id="s1"),
                conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN"), ref_id="s2"),
                conn("PARTIAL", util(PGE), util(SCE, "ERROR", "ACCOUNT_LOCKED"), ref_id="s3"),
                conn("COMPLETED", util(PGE), ref_id="s4"),
                conn("COMPLETED", util(PGE), ref_id="s5"),
                conn("ERROR", util(PGE, "ERROR", "BAD_LOGIN"), ref_id="f0"),
                conn("COMPLETED", util(PGE), ref_id="no-link"),
            ]
        ),
        now=timezone.now(),
        counts=SyncCounts(),
    )
    Connection.objects.filter(ref_id="s5").update(next_action=Action.METERS_ARRIVED)
    # "meters arrived" is a meter carrying the refId (meters.arrival), whatever the verdict
    make_meter(1, partner_reference="s5", connection_references=["s5"])
    return {"spring": spring, "fall": fall}


def test_the_funnel_counts_each_stage_of_a_flow(pm_client, flows):
    response = pm_client.get(f"/connections/funnel/?flow={flows['spring'].pk}")
    stages = response.context["stages"]
    assert [(s.key, s.count) for s in stages] == [
        ("created", 6),
        ("opened", 5),
        ("attempted", 4),
        ("connected", 3),
        ("completed", 2),
        ("meters", 1),
    ]
    assert round(stages[1].of_links, 1) == 83.3
    assert stages[2].of_previous == 80.0
    assert stages[1].lost == 1
    body = response.content.decode()
    assert 'class="funnel-bar"' in body
    assert "style=" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_drop_offs_are_broken_down_by_error_code(pm_client, flows):
    errors = pm_client.get("/connections/funnel/").context["errors"]
    assert [(e["error_code"], e["connections"]) for e in errors] == [
        ("BAD_LOGIN", 2),
        ("ACCOUNT_LOCKED", 1),
    ]


def test_the_funnel_filters_by_campaign_and_creation_date(pm_client, flows):
    assert pm_client.get("/connections/funnel/?campaign=Fall").context["stages"][0].count == 1
    Link.objects.filter(ref_id__in=["s0", "s1"]).update(
        created_at=F("created_at") - timedelta(days=10)
    )
    since = (timezone.now() - timedelta(days=1)).date()
    stages = pm_client.get(f"/connections/funnel/?created_from={since}").context["stages"]
    assert [s.count for s in stages] == [5, 5, 5, 3, 2, 1]


def test_the_funnel_serves_its_partial_to_htmx_and_a_csv(pm_client, flows):
    partial = pm_client.get("/connections/funnel/", headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    text = b"".join(pm_client.get("/connections/funnel.csv").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "flow",
        "campaign",
        "created",
        "opened",
        "attempted",
        "connected",
        "completed",
        "meters",
    ]
    assert ["acme/battery", "Spring", "6", "5", "4", "3", "2", "1"] in rows
    assert ["Total", "", "7", "6", "5", "3", "2", "1"] in rows
    assert ["BAD_LOGIN", "Wrong utility login", "2", "The customer"] in rows


def test_the_funnel_has_an_empty_state(pm_client):
    assert "No links match these filters." in pm_client.get("/connections/funnel/").content.decode()


# --- kept counts (connections.funnel.kept_funnel) ---------------------------------------------


def _created(client, query: str = "") -> int:
    return client.get(f"/connections/funnel/{query}").context["stages"][0].count


def test_kept_funnel_counts_are_the_counts_worked_out_for_each_filter(pm_client, flows):
    spring = flows["spring"].pk
    assert _created(pm_client) == 7
    assert _created(pm_client, f"?flow={spring}") == 6
    assert _created(pm_client, "?campaign=Fall") == 1
    # a write no signal sees (a bulk UPDATE by hand): the kept counts stand until a sync
    Link.objects.filter(ref_id="f0").update(flow=flows["spring"])
    assert _created(pm_client, "?campaign=Fall") == 1
    assert _created(pm_client, "?campaign=Fall&flow=") == 1  # an empty filter is no filter


def test_a_link_saved_drops_every_kept_funnel(pm_client, flows):
    assert _created(pm_client, "?campaign=Spring") == 6
    Link.objects.create(flow=flows["spring"], org_name="acme", ref_id="s-new")
    assert _created(pm_client, "?campaign=Spring") == 7
    assert _created(pm_client) == 8


def test_the_meters_sync_works_the_unfiltered_funnel_out_again(pm_client, flows):
    from connections import overview

    assert _created(pm_client) == 7
    Link.objects.filter(ref_id="f0").update(flow=None)  # no signal
    assert "Direct to utility" not in pm_client.get("/connections/funnel/").content.decode()
    overview.refresh(funnel=True)  # what the hourly syncs call as they finish
    assert "Direct to utility" in pm_client.get("/connections/funnel/").content.decode()
