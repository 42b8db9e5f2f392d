"""Thin Celery task: check the syncs and mail Ops about incidents (leapdash.runs.alerts)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .alerts import check_sync_alerts


@shared_task(ignore_result=True, time_limit=5 * 60)
def check_sync_alerts_task() -> None:
    check_sync_alerts(timezone.now())
