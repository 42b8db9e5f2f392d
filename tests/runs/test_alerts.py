"""Sync alerts: one mail to Ops per incident (stale, failing twice), one when it recovers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from leapdash.accounts.roles import OPS, PROGRAM_MANAGERS
from leapdash.runs.alerts import check_sync_alerts
from leapdash.runs.models import SyncAlert, SyncRun
from leapdash.runs.tasks import check_sync_alerts_task
from tests.factories import UserFactory

NOW = timezone.now()


def run(kind="connections", status="succeeded", hours_ago=0.0, error=""):
    at = NOW - timedelta(hours=hours_ago)
    return SyncRun.objects.create(
        kind=kind, status=status, started_at=at, finished_at=at, error=error
    )


@pytest.fixture(autouse=True)
def people(db):
    ops: Any = UserFactory(username="ola", email="ola@example.com")
    ops.groups.add(Group.objects.get(name=OPS))
    pm: Any = UserFactory(username="pim", email="pim@example.com")
    pm.groups.add(Group.objects.get(name=PROGRAM_MANAGERS))
    run("meters")  # meters stay healthy in these tests


def test_no_good_sync_for_the_stale_hours_mails_ops_once_then_once_on_recovery(mailoutbox):
    run(hours_ago=3)
    assert check_sync_alerts(NOW) == ["Connections sync: no good sync"]
    assert check_sync_alerts(NOW + timedelta(minutes=5)) == []  # still the same incident
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ola@example.com"]  # Ops only, not program managers
    assert mail.subject == "[leapdash] Connections sync: no good sync"
    assert "over 2 h ago" in mail.body

    run(hours_ago=-0.1)
    assert check_sync_alerts(NOW + timedelta(minutes=10)) == ["Connections sync recovered"]
    assert check_sync_alerts(NOW + timedelta(minutes=15)) == []
    assert [m.subject for m in mailoutbox][1] == "[leapdash] Connections sync recovered"
    alert = SyncAlert.objects.get()
    assert alert.resolved_at == NOW + timedelta(minutes=10)


def test_a_recent_good_sync_is_no_incident(mailoutbox):
    run(hours_ago=1.5)
    assert check_sync_alerts(NOW) == []
    assert mailoutbox == []


def test_a_fresh_install_is_not_stale_before_its_first_run_had_its_chance(mailoutbox):
    assert check_sync_alerts(NOW) == []  # no connections run at all yet
    run(status="failed", hours_ago=1, error="boom")
    assert check_sync_alerts(NOW) == []
    run(status="failed", hours_ago=2.5, error="boom")  # the first try was 2.5 h ago
    assert "Connections sync: no good sync" in check_sync_alerts(NOW)


def test_two_failures_in_a_row_mail_once_with_the_error(mailoutbox):
    run(hours_ago=0.5)
    run(status="failed", hours_ago=0.3, error="LeapServerError: 503")
    assert check_sync_alerts(NOW) == []  # one failure is not an incident
    run(status="skipped", hours_ago=0.25)  # a skipped run does not break the streak
    run(status="failed", hours_ago=0.2, error="LeapServerError: 502")
    assert check_sync_alerts(NOW) == ["Connections sync: failed twice in a row"]
    run(status="failed", hours_ago=0.1, error="LeapServerError: 502")
    assert check_sync_alerts(NOW) == []
    assert len(mailoutbox) == 1
    assert "Last error: LeapServerError: 502" in mailoutbox[0].body

    run(hours_ago=0)
    assert check_sync_alerts(NOW) == ["Connections sync recovered"]


def test_a_mail_that_cannot_be_sent_is_tried_again_at_the_next_check(mailoutbox, monkeypatch):
    from leapdash.runs import alerts

    run(hours_ago=3)

    def down(*args, **kwargs):
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr(alerts, "send_mail", down)
    with pytest.raises(ConnectionRefusedError):
        check_sync_alerts(NOW)
    assert not SyncAlert.objects.exists()
    monkeypatch.undo()
    assert check_sync_alerts(NOW) == ["Connections sync: no good sync"]
    assert len(mailoutbox) == 1


def test_the_task_checks_now(mailoutbox):
    run(hours_ago=3)
    check_sync_alerts_task()
    assert SyncAlert.objects.filter(resolved_at__isnull=True).count() == 1


def test_beat_checks_the_alerts(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["check-sync-alerts"]
    assert entry["task"] == "leapdash.runs.tasks.check_sync_alerts_task"
