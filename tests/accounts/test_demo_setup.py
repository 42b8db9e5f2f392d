"""`make demo`'s set-up command: a login that works, seed data, and nothing doubled on a rerun."""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from connections.attention import suggestions_for
from leapdash.leap.sandbox.management.commands.sandbox import UNMATCHED_DEMO_REF_ID
from leapdash.leap.sandbox.models import Connection as SandboxConnection
from links.models import Flow, Link


def _counts():
    return (
        get_user_model().objects.count(),
        Flow.objects.count(),
        Link.objects.count(),
        SandboxConnection.objects.count(),
    )


def test_demo_setup_prints_a_working_login_and_seeds_both_sides(db):
    out = StringIO()
    call_command("demo_setup", stdout=out)
    assert "user 'demo'  password 'leapdash-demo'" in out.getvalue()
    client = Client()
    response = client.post("/accounts/login/", {"username": "demo", "password": "leapdash-demo"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200  # the demo user holds both roles
    seeded = set(SandboxConnection.objects.values_list("ref_id", flat=True))
    linked = set(Link.objects.values_list("ref_id", flat=True))
    assert seeded
    # every sandbox customer was "sent" a link, but one whose refId was mistyped
    assert seeded - linked == {UNMATCHED_DEMO_REF_ID}
    assert len(linked - seeded) == 40  # and some links were never opened


def test_the_demo_has_a_refid_that_needs_attention(db):
    call_command("demo_setup", stdout=StringIO())
    assert SandboxConnection.objects.filter(ref_id="demo-new-0O2").exists()
    assert not Link.objects.filter(ref_id="demo-new-0O2").exists()
    nearest = suggestions_for(["demo-new-0O2"])["demo-new-0O2"][0]
    assert (nearest.ref_id, nearest.reason) == ("demo-new-002", "look-alike characters")


def test_running_demo_setup_twice_duplicates_nothing(db):
    call_command("demo_setup", stdout=StringIO())
    first = _counts()
    call_command("demo_setup", stdout=StringIO())
    assert _counts() == first
