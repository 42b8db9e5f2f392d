from __future__ import annotations

from django.db import models


class SyncRun(models.Model):
    """One attempt to sync one kind of Leap data: its outcome, counts and progress."""

    class Kind(models.TextChoices):
        CONNECTIONS = "connections", "Connections"
        METERS = "meters", "Meters"
        ENROLLMENTS = "enrollments", "Enrollments"
        METER_LOOKUP = "meter_lookup", "Meters of completed connections"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    full = models.BooleanField(default=False, help_text="Re-read everything, not only changes.")
    trigger = models.CharField(max_length=32, blank=True, help_text="beat, manual, command …")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    since = models.DateTimeField(
        null=True, blank=True, help_text="Only records changed at or after this were read."
    )
    resumed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)
    pages_done = models.PositiveIntegerField(default=0)
    page_token = models.TextField(blank=True, help_text="Where to resume if this run stopped.")

    error = models.TextField(blank=True, help_text="Why the run failed or was skipped.")
    skipped_records = models.JSONField(
        default=list, blank=True, help_text="Records that could not be read: id and reason."
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["kind", "status", "-started_at"], name="syncrun_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} sync {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def will_resume(self) -> bool:
        """A failed run that saved a page token: the next run of its kind and mode starts there."""
        return self.status == self.Status.FAILED and bool(self.page_token)


class SyncAlert(models.Model):
    """One incident of one kind's syncs (stale or failing): open until it recovers."""

    class Reason(models.TextChoices):
        STALE = "stale", "No good sync"
        FAILING = "failing", "Failed twice in a row"

    kind = models.CharField(max_length=32, choices=SyncRun.Kind.choices)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    detail = models.TextField(blank=True, help_text="What the alert mail said.")

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # one open incident per kind and reason: the mail goes out once
            models.UniqueConstraint(
                fields=["kind", "reason"],
                condition=models.Q(resolved_at__isnull=True),
                name="syncalert_one_open",
            )
        ]

    def __str__(self) -> str:
        opened = f"{self.opened_at:%Y-%m-%d %H:%M}"
        return f"{self.get_kind_display()}: {self.get_reason_display()} ({opened})"
