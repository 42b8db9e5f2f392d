"""Who may do what beyond the role matrix: the forward allow-list, reference fixes sent to
Leap and manual reconciliation runs are for Ops (or a user Ops granted the named permission);
an import batch is confirmed by the person who uploaded it, or by Ops."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from leapdash.accounts.roles import NAMED_PERMISSIONS
from links.models import Flow, Link, LinkBatch
from meters.models import Meter, PartnerRecord, ReferenceChange
from tests.factories import UserFactory

ALLOWED = "https://partner.example/welcome"
FORGED = "https://evil.example/phish"


@pytest.fixture
def flow(db):
    return Flow.objects.create(
        org_name="test-energy", title="spring", region="CAISO", forward_allowlist=[ALLOWED]
    )


def _flow_form(flow: Flow, allowlist: str) -> dict[str, object]:
    return {
        "org_name": flow.org_name,
        "title": flow.title,
        "region": flow.region,
        "customer_type": "residential",
        "campaign": "renamed",
        "thank_you_url": "",
        "forward_allowlist": allowlist,
        "first_touch_delay_minutes": flow.first_touch_delay_minutes,
    }


def _grant(user, codename: str) -> None:
    user.user_permissions.add(Permission.objects.get(codename=codename))


def test_the_named_permissions_exist_and_ops_hold_them(ops_user, pm_user):
    for app_label, _model, codename, _name in NAMED_PERMISSIONS:
        assert ops_user.has_perm(f"{app_label}.{codename}")
        assert not pm_user.has_perm(f"{app_label}.{codename}")


def test_a_program_manager_cannot_change_the_forward_allow_list(pm_client, flow):
    response = pm_client.post(f"/links/flows/{flow.pk}/", _flow_form(flow, FORGED))
    assert response.status_code == 302
    flow.refresh_from_db()
    assert flow.campaign == "renamed"  # the rest of the flow is theirs to edit
    assert flow.forward_allowlist == [ALLOWED]
    page = pm_client.get(f"/links/flows/{flow.pk}/").content.decode()
    assert "Set by ops" in page


def test_a_new_flow_from_a_program_manager_forwards_nowhere(pm_client, db):
    flow = Flow(org_name="test-energy", title="autumn", region="CAISO")
    assert pm_client.post("/links/flows/new/", _flow_form(flow, FORGED)).status_code == 302
    assert Flow.objects.get(title="autumn").forward_allowlist == []


def test_ops_and_holders_of_the_permission_change_it(ops_client, pm_user, flow):
    assert ops_client.post(f"/links/flows/{flow.pk}/", _flow_form(flow, FORGED)).status_code == 302
    flow.refresh_from_db()
    assert flow.forward_allowlist == [FORGED]
    _grant(pm_user, "change_forward_allowlist")
    client = Client()
    client.force_login(pm_user)
    client.post(f"/links/flows/{flow.pk}/", _flow_form(flow, ALLOWED))
    flow.refresh_from_db()
    assert flow.forward_allowlist == [ALLOWED]


def _meter() -> Meter:
    now = timezone.now()
    return Meter.objects.create(
        meter_id="m-perm-1",
        transmission_region="CAISO",
        created_at=now - timedelta(days=1),
        fingerprint="x",
        first_synced_at=now,
        synced_at=now,
    )


def test_a_program_manager_previews_a_reference_fix_but_cannot_send_it(pm_client, db):
    meter = _meter()
    preview = pm_client.post("/meters/fix/", {"meter": meter.pk, "reference": "ref-9"})
    assert preview.status_code == 200
    assert "Send to Leap" not in preview.content.decode()
    assert "Ops send reference fixes" in preview.content.decode()
    sent = pm_client.post("/meters/fix/", {"meter": meter.pk, "reference": "ref-9", "confirm": "1"})
    assert sent.status_code == 403
    assert not ReferenceChange.objects.exists()


def test_ops_see_the_send_button(ops_client, db):
    meter = _meter()
    preview = ops_client.post("/meters/fix/", {"meter": meter.pk, "reference": "ref-9"})
    assert "Send to Leap" in preview.content.decode()


def test_manual_reconciliation_runs_are_for_ops_and_queued_once_a_minute(
    pm_client, ops_client, pm_user
):
    assert pm_client.post("/meters/reconciliation/run/").status_code == 403
    assert "Run reconciliation" not in pm_client.get("/meters/reconciliation/").content.decode()
    first = ops_client.post("/meters/reconciliation/run/", follow=True)
    assert "Reconciliation queued" in first.content.decode()
    again = ops_client.post("/meters/reconciliation/run/", follow=True)
    assert "queued less than a minute ago" in again.content.decode()
    _grant(pm_user, "run_reconciliation")
    assert pm_client.post("/meters/reconciliation/run/").status_code == 302


def _uploaded_by(user, path: str, data: dict[str, object]) -> int:
    client = Client()
    client.force_login(user)
    response = client.post(path, data)
    assert response.status_code == 302, response.content.decode()[:500]
    return int(response["Location"].rstrip("/").split("/")[-1])


def test_a_program_manager_confirms_only_their_own_link_import(
    pm_client, pm_user, ops_client, flow
):
    other: Any = UserFactory(username="another-pm")
    other.groups.set(pm_user.groups.all())
    csv = b"ref_id,name,email,utility,customer_type\ncust-1,Ada,ada@example.com,,\n"
    upload = SimpleUploadedFile("c.csv", csv, "text/csv")
    pk = _uploaded_by(other, "/links/import/", {"kind": "connect", "flow": flow.pk, "file": upload})
    assert pm_client.post(f"/links/import/{pk}/confirm/").status_code == 403
    assert pm_client.post(f"/links/import/{pk}/discard/").status_code == 302
    assert LinkBatch.objects.get(pk=pk).status == LinkBatch.Status.PREVIEW  # neither happened
    assert not Link.objects.exists()
    assert ops_client.post(f"/links/import/{pk}/confirm/").status_code == 302
    assert LinkBatch.objects.get(pk=pk).status == LinkBatch.Status.IMPORTED


def test_a_program_manager_confirms_only_their_own_partner_import(pm_client, pm_user):
    other: Any = UserFactory(username="another-pm")
    other.groups.set(pm_user.groups.all())

    def upload(user) -> int:
        csv = SimpleUploadedFile("p.csv", b"reference\nsite-1\n", "text/csv")
        return _uploaded_by(user, "/meters/partners/upload/", {"file": csv})

    theirs, mine = upload(other), upload(pm_user)
    assert pm_client.post(f"/meters/partners/imports/{theirs}/confirm/").status_code == 403
    assert not PartnerRecord.objects.exists()
    assert pm_client.post(f"/meters/partners/imports/{mine}/confirm/").status_code == 302
    assert PartnerRecord.objects.filter(reference="site-1").exists()
