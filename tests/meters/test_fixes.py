"""Reference fixes through Leap's API (the sandbox over real HTTP): per-meter outcomes,
audit rows for every attempt, nothing local changes for a refused one, reruns are harmless."""

from __future__ import annotations

import pytest

from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.state import advance_clock, sandbox_now
from meters import fixes
from meters.models import Category, Meter, PartnerRecord, ReconciliationResult, ReferenceChange
from meters.reconcile import matched_meters, reconcile
from meters.sync import sync_meters
from tests.factories import UserFactory

from .conftest import OVERDUE, set_sandbox_reference, sync_connections_now

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def meters(leap, customer):
    """Four residential customers whose meters carry a typo'd reference, and one taken one."""
    for n in range(4):
        customer(f"fix-{n}")
    customer("taken-1")
    advance_clock(24.5)
    for meter in sandbox.Meter.objects.exclude(partner_reference="taken-1"):
        set_sandbox_reference(str(meter.meter_id), meter.partner_reference + "-typo")
    sync_connections_now(leap)
    sync_meters(client=leap, since=None, now=sandbox_now(), overdue_after=OVERDUE)
    return {m.partner_reference: m for m in Meter.objects.all()}


def _apply(leap, pairs, user=None, confirmed=()):
    return fixes.apply(
        client=leap,
        pairs=pairs,
        user_id=user.pk if user else None,
        now=sandbox_now(),
        overdue_after=OVERDUE,
        confirmed=confirmed,
    )


def _leap_reference(meter: Meter) -> str:
    return sandbox.Meter.objects.get(meter_id=meter.meter_id).partner_reference


def test_a_bulk_fix_to_a_reference_other_meters_hold_applies_to_all(leap, meters):
    """A site's meters share its refId at Leap: giving them all one reference goes through."""
    user = UserFactory(username="fixer")
    pairs = [(meters[f"fix-{n}-typo"], f"fix-{n}") for n in range(3)]
    pairs.append((meters["fix-3-typo"], "taken-1"))  # another meter holds it at Leap: shared
    moved = [meters["fix-3-typo"].pk]  # taken-1 is another customer's: the user confirmed it
    done = _apply(leap, pairs, user, confirmed=moved)
    outcome = {f.meter.meter_id: (f.status, f.message) for f in done}

    assert set(outcome.values()) == {("applied", "Leap applied the new reference.")}
    for n in range(3):
        meter = Meter.objects.get(pk=meters[f"fix-{n}-typo"].pk)
        assert meter.partner_reference == f"fix-{n}" == _leap_reference(meter)
    shared = Meter.objects.get(pk=meters["fix-3-typo"].pk)
    assert shared.partner_reference == "taken-1" == _leap_reference(shared)
    assert Meter.objects.filter(partner_reference="taken-1").count() == 2

    audit = {c.meter_id: c for c in ReferenceChange.objects.all()}
    assert len(audit) == 4
    assert all(c.by == user and c.finished_at for c in audit.values())
    assert {c.status for c in audit.values()} == {"applied"}


def test_a_single_fix_reports_leaps_404_per_meter(leap, meters):
    [shared] = _apply(
        leap, [(meters["fix-0-typo"], "taken-1")], confirmed=[meters["fix-0-typo"].pk]
    )
    assert shared.status == "applied"
    gone = meters["fix-1-typo"]
    sandbox.Meter.objects.filter(meter_id=gone.meter_id).delete()
    [missing] = _apply(leap, [(gone, "fix-1")])
    assert (missing.status, missing.message) == (
        "failed",
        "Meter not found: Leap does not know this meter (removed, or another environment).",
    )
    change = ReferenceChange.objects.get(meter=gone)
    assert change.leap_response["status"] == 404
    assert Meter.objects.get(pk=gone.pk).partner_reference == "fix-1-typo"


def test_a_multi_meter_site_fixed_by_connection_goes_through_for_every_meter(leap, customer):
    customer("site-88", "commercial")
    advance_clock(24.5)
    for meter in sandbox.Meter.objects.filter(partner_reference="site-88"):
        set_sandbox_reference(str(meter.meter_id), "site-88-typo")
    PartnerRecord.objects.create(reference="site-88")
    sync_meters(client=leap, since=None, now=sandbox_now(), overdue_after=OVERDUE)
    reconcile(now=sandbox_now(), overdue_after=OVERDUE)
    rows = ReconciliationResult.objects.filter(category=Category.BY_CONNECTION)

    done = _apply(leap, [(r.meter, r.suggested_reference) for r in rows.select_related("meter")])

    assert [f.status for f in done] == ["applied"] * 4
    assert sandbox.Meter.objects.filter(partner_reference="site-88").count() == 4
    assert matched_meters().filter(partner_reference="site-88").count() == 4
    assert not ReconciliationResult.objects.filter(category=Category.BY_CONNECTION).exists()


def test_invalid_references_are_refused_before_leap_and_reruns_change_nothing(leap, meters):
    meter = meters["fix-0-typo"]
    [bad] = _apply(leap, [(meter, "no/slashes")])
    assert bad.status == "invalid"
    assert "/" in bad.message
    assert not ReferenceChange.objects.exists()

    [first] = _apply(leap, [(meter, "fix-0")])
    meter.refresh_from_db()
    [again] = _apply(leap, [(meter, "fix-0")])
    assert (first.status, again.status) == ("applied", "unchanged")
    assert ReferenceChange.objects.count() == 1
    assert _leap_reference(meter) == "fix-0"


def test_a_fix_moves_the_reconciliation_row_to_matched(leap, meters):
    PartnerRecord.objects.create(reference="fix-0")
    reconcile(now=sandbox_now(), overdue_after=OVERDUE)
    meter = meters["fix-0-typo"]
    assert ReconciliationResult.objects.get(meter=meter).category == Category.BY_CONNECTION
    _apply(leap, [(meter, "fix-0")])
    assert not ReconciliationResult.objects.filter(meter=meter).exists()
    assert meter in matched_meters()
    assert not ReconciliationResult.objects.filter(partner_reference="fix-0", meter=None).exists()
