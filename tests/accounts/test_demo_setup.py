"""`make demo`'s set-up command: a login that works, seed data, and nothing doubled on a rerun."""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

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
    assert seeded <= linked  # every sandbox customer was "sent" a link
    assert len(linked - seeded) == 40  # and some links were never opened


def test_running_demo_setup_twice_duplicates_nothing(db):
    call_command("demo_setup", stdout=StringIO())
    first = _counts()
    call_command("demo_setup", stdout=StringIO())
    assert _counts() == first
