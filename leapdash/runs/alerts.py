"""Sync alerts: mail the Ops group once when a kind's syncs go stale or fail twice in a row,
and once more when they recover.

Each incident is a SyncAlert row, open until the condition clears, so a check that runs every
few minutes mails only on changes. "Stale" is the same rule as Sync health and /readyz.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Min, Q

from leapdash.accounts.roles import OPS

from .models import SyncAlert, SyncRun
from .tracking import SCHEDULED_KINDS, is_stale, last_success_at

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    """A condition as checked now: whether it holds, and what the mail says about it."""

    kind: str
    reason: str
    holds: bool
    detail: str


def ops_recipients() -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    ops = users.filter(Q(groups__name=OPS) | Q(is_superuser=True)).distinct()
    return sorted(ops.values_list("email", flat=True))


def _stale(kind: str, label: str, now: datetime) -> Finding:
    hours = settings.SYNC_STALE_WARNING_HOURS
    at = last_success_at(kind)
    if at is None:
        # Never succeeded: count from the first run, so a fresh install is not an incident
        # before its syncs had their chance.
        first = SyncRun.objects.filter(kind=kind).aggregate(at=Min("started_at"))["at"]
        holds = first is not None and is_stale(first, now, hours)
        return Finding(kind, SyncAlert.Reason.STALE, holds, f"{label}: never synced successfully.")
    detail = f"{label}: the last good sync ended {at:%Y-%m-%d %H:%M} UTC, over {hours} h ago."
    return Finding(kind, SyncAlert.Reason.STALE, is_stale(at, now, hours), detail)


def _failing(kind: str, label: str) -> Finding:
    last_two = list(
        SyncRun.objects.filter(kind=kind)
        .exclude(status__in=[SyncRun.Status.SKIPPED, SyncRun.Status.RUNNING])
        .order_by("-started_at", "-pk")[:2]
    )
    holds = len(last_two) == 2 and all(r.status == SyncRun.Status.FAILED for r in last_two)
    error = last_two[0].error if last_two else ""
    detail = f"{label}: the last two runs failed. Last error: {error}"
    return Finding(kind, SyncAlert.Reason.FAILING, holds, detail)


def findings(now: datetime) -> list[Finding]:
    labels = dict(SyncRun.Kind.choices)
    result = []
    for kind in SCHEDULED_KINDS:
        result += [_stale(kind, str(labels[kind]), now), _failing(kind, str(labels[kind]))]
    return result


def _mail(subject: str, body: str) -> None:
    recipients = ops_recipients()
    if not recipients:
        log.warning("sync alert with nobody to mail (no Ops user has an email): %s", subject)
        return
    send_mail(f"[leapdash] {subject}", body, None, recipients)


def check_sync_alerts(now: datetime) -> list[str]:
    """Open or close incidents to match the syncs now; mail each change. Returns the subjects.

    A mail that cannot be sent rolls its change back, so the next check tries again."""
    sent = []
    for finding in findings(now):
        open_alert = SyncAlert.objects.filter(
            kind=finding.kind, reason=finding.reason, resolved_at__isnull=True
        ).first()
        label = SyncRun.Kind(finding.kind).label
        reason = SyncAlert.Reason(finding.reason).label
        with transaction.atomic():
            if finding.holds and open_alert is None:
                SyncAlert.objects.create(
                    kind=finding.kind, reason=finding.reason, opened_at=now, detail=finding.detail
                )
                subject = f"{label} sync: {reason.lower()}"
                _mail(subject, f"{finding.detail}\n\nSee Sync health (/sync/) for every run.")
            elif not finding.holds and open_alert is not None:
                open_alert.resolved_at = now
                open_alert.save(update_fields=["resolved_at"])
                subject = f"{label} sync recovered"
                _mail(
                    subject,
                    f"{label}: recovered ({reason.lower()} since "
                    f"{open_alert.opened_at:%Y-%m-%d %H:%M} UTC).",
                )
            else:
                continue
        sent.append(subject)
    return sent
