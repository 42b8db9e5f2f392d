"""A dataset whose every untrusted text is hostile, stored through the real write paths.

Leap's records go through the records parser and the sync's page writers; the landing visit
through the public landing view; partner records and link batches as their imports store them.
`poison(field)` returns the hostile text for a field, tagged with its name so a failing check
says which one leaked.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.test import Client
from django.utils import timezone

from connections.experiments import Arm
from connections.models import Connection, Experiment, WebhookEvent
from connections.sync import write_page
from leapdash.leap import records as rec
from leapdash.leap.client import Page
from leapdash.runs.models import SyncRun
from leapdash.runs.tracking import SyncCounts
from links.models import Flow, Link, LinkBatch
from meters.models import PartnerImport, PartnerRecord
from meters.reconcile import reconcile
from meters.sync import write_enrollment_page, write_meter_page
from tests.leap.payloads import load_payload

Poison = Callable[[str], str]

LINKED_REF = "hostile-0001"  # a refId our own link carries (the builder's rules hold for it)
METER_ID = "11111111-2222-3333-4444-555555555555"


def _connection_doc(
    ref_id: str, poison: Poison, *, status: str, when: str, error_code: str
) -> dict[str, Any]:
    doc = copy.deepcopy(load_payload("connections_example.json")["connections"][0])
    first = doc["utility_connections"][0]
    doc.update(
        id=f"CAISO_{ref_id}",
        ref_id=ref_id,
        connection_status=status,
        transmission_region="CAISO",
        start_date_time_utc=when,
        last_interaction_date_time_utc=when,
    )
    doc["utility_connections"] = [
        {
            **first,
            "authorization_uuid": "a1",
            "utility_name": poison("utility_name"),
            "status": "ERROR" if status == "ERROR" else "COMPLETED",
            "error_code": error_code if status == "ERROR" else None,
            "utility_is_required": True,
        },
        {
            **first,
            "authorization_uuid": "a2",
            "utility_name": poison("utility_name_2"),
            "status": "ERROR",
            "error_code": error_code,
            "utility_is_required": True,
        },
    ]
    return doc


def seed(poison: Poison, *, anonymous: Client) -> dict[str, Any]:
    """Store the hostile dataset; returns the ids the pages need."""
    now = timezone.now()
    # a day old: past Leap's quiet hour, inside the re-engagement cadence
    when = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    flow = Flow.objects.create(
        org_name="test-energy", title="hostile", region="CAISO", campaign=poison("campaign")
    )
    # a cadence experiment named by the partner: the funnel's Variants section and its CSV
    experiment = Experiment.objects.create(
        flow=flow, name=poison("experiment")[:100], started_at=now - timedelta(days=2)
    )
    experiment.add_variants([Arm(poison("variant")[:50], 50), Arm("baseline", 50)])
    link = Link.objects.create(
        flow=flow,
        kind="connect",
        org_name="test-energy",
        ref_id=LINKED_REF,
        customer_name=poison("customer_name"),
        customer_email=poison("customer_email"),
        customer_external_id=poison("external_id"),
        requested_utilities=["pge", "sce"],
        url=f"http://testserver/sandbox/connect/test-energy/hostile/?refId={LINKED_REF}",
    )
    # Leap's records, parsed and written as the sync does
    docs = [
        # a customer action (a wrong password), so the re-engagement queue shows it
        _connection_doc(LINKED_REF, poison, status="ERROR", when=when, error_code="BAD_LOGIN"),
        _connection_doc(
            poison("ref_id"),
            poison,
            status=poison("status")[:32],  # unknown enums: kept raw up to 32 characters
            when=when,
            error_code=poison("error_code")[:32],
        ),
    ]
    parsed = [rec.parse_connection(d) for d in docs]
    write_page(Page(parsed, [], None, 0), now=now, counts=SyncCounts())

    meter = copy.deepcopy(load_payload("meters_search.json")["meters"][0])
    meter.update(
        meter_id=METER_ID,
        partner_reference=poison("partner_reference"),
        connection_references=[LINKED_REF, poison("connection_reference")],
        is_archived=False,
    )
    meter["customer"]["end_customer_name"] = poison("meter_customer")
    meter["customer"]["street_1"] = poison("street")
    # the meter's utility column holds 64 characters (a longer one is a skipped record)
    meter.setdefault("utility", {})["utility_name"] = poison("meter_utility")[:64]
    write_meter_page(Page([rec.parse_meter(meter)], [], None, 0), now=now, counts=SyncCounts())
    enrollment = copy.deepcopy(load_payload("enrollment_detail.json"))
    enrollment.update(meter_id=METER_ID, partner_reference=poison("enrollment_reference"))
    write_enrollment_page(
        Page([rec.parse_enrollment(enrollment)], [], None, 0), now=now, counts=SyncCounts()
    )
    PartnerRecord.objects.create(
        reference=poison("partner_record"),
        name=poison("partner_name"),
        address=poison("partner_address"),
        program=poison("program"),
    )
    reconcile(now=now, overdue_after=timedelta(hours=24))

    # what anyone on the internet can send to the public landing page
    query = urlencode([("refId", poison("landing_ref")), ("utm", poison("landing_param"))])
    anonymous.get(f"/links/done/?{query}&flow=hostile")
    anonymous.get(f"/links/done/?refId={LINKED_REF}&note={poison('landing_note')}")

    WebhookEvent.objects.create(
        webhook_event_id="evt-hostile",
        event_type=poison("event_type")[:100],
        ref_id=LINKED_REF,
        payload={"payload": {"status": poison("webhook_status")}},
        received_at=now,
    )
    run = SyncRun.objects.create(
        kind=SyncRun.Kind.CONNECTIONS,
        status=SyncRun.Status.FAILED,
        started_at=now,
        finished_at=now,
        error=poison("run_error"),
    )
    batch = LinkBatch.objects.create(
        org_name="test-energy",
        flow=flow,
        filename=poison("filename"),
        rows=[
            {
                "line": 2,
                "ref_id": "hostile-0002",
                "name": poison("batch_name"),
                "email": poison("batch_email"),
                "external_id": "",
                "customer_type": "residential",
                "utility": "",
                "requested": [],
                "params": {},
                "url": "http://testserver/x",
            }
        ],
        errors=[{"line": 3, "column": "name", "message": poison("batch_error")}],
        error_count=1,
        total_rows=2,
    )
    partner_import = PartnerImport.objects.create(
        filename=poison("partner_filename"),
        rows=[{"reference": "ok-ref", "name": poison("import_name"), "address": "", "program": ""}],
        errors=[{"line": 3, "column": "name", "message": poison("import_error")}],
        total_rows=2,
    )
    return {
        "run": run.pk,
        "partner_import": partner_import.pk,
        "link": link.pk,
        "flow": flow.pk,
        "batch": batch.pk,
        "meter": METER_ID,
        "connections": list(Connection.objects.order_by("pk").values_list("pk", flat=True)),
    }
