"""manage.py sync_connections against the sandbox over real HTTP."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from connections.models import Connection
from leapdash.leap.sandbox import models as sandbox
from leapdash.leap.sandbox.seeding import seed
from leapdash.runs.models import SyncRun

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def leap(live_server, settings):
    settings.LEAP_API_BASE_URL = live_server.url + "/sandbox/api"
    settings.LEAP_API_KEY = settings.LEAP_SANDBOX_API_KEY


def test_the_command_syncs_with_a_line_per_page_and_records_the_run(leap):
    seed(connections=1200, meters=0, seed=21)
    out = StringIO()
    call_command("sync_connections", "--full", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["page 1", "page 2", "page 3"]
    assert "Done: 1200 read, 1200 new" in lines[-1]
    run = SyncRun.objects.get()
    assert (run.trigger, run.status, run.full, run.created) == ("command", "succeeded", True, 1200)
    assert Connection.objects.count() == 1200


def test_the_command_re_reads_single_refids_without_a_run(leap):
    seed(connections=50, meters=0, seed=22)
    ref_id = sandbox.Connection.objects.order_by("pk").values_list("ref_id", flat=True)[0]
    out = StringIO()
    call_command("sync_connections", "--ref-id", ref_id, stdout=out)
    assert list(Connection.objects.values_list("ref_id", flat=True)) == [ref_id]
    assert not SyncRun.objects.exists()


def test_the_command_refuses_while_another_sync_holds_the_lock(leap):
    cache.add("sync-lock:connections", "someone-else", 60)
    with pytest.raises(CommandError, match="Another connections sync is running"):
        call_command("sync_connections", stdout=StringIO())
    assert SyncRun.objects.get().status == "skipped"
