"""The sandbox's own records: what Leap would hold for one partner.

Each API-facing row stores the JSON document the API returns, plus indexed columns for the
filters and the keyset paging (the auto-increment primary key is the paging key).
"""

from __future__ import annotations

import uuid

from django.db import models


class DocumentField(models.JSONField):
    """A JSON document column that bulk-inserts as plain VALUES.

    Django's PostgreSQL bulk insert otherwise packs each column into a text array (UNNEST), and
    quoting JSON into array literals dominated seeding time; a field with get_placeholder opts out.
    """

    def get_placeholder(self, value, compiler, connection):
        return "%s"


class Region(models.TextChoices):
    CAISO = "CAISO", "CAISO (California)"
    NYISO = "NYISO", "NYISO (New York)"


class SandboxState(models.Model):
    """The single row holding the sandbox clock (offset from real time)."""

    clock_offset_seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"sandbox clock +{self.clock_offset_seconds / 3600:.1f} h"


class Flow(models.Model):
    """A Leap Connect flow as Leap configures it for a partner org."""

    org_name = models.SlugField(max_length=100)
    title = models.SlugField(max_length=100, help_text="url-friendly title")
    region = models.CharField(max_length=8, choices=Region.choices, default=Region.CAISO)
    utilities = models.JSONField(
        default=list, blank=True, help_text="utility ids offered; empty means the region's all"
    )
    default_requested = models.JSONField(
        default=list,
        blank=True,
        help_text="utility ids treated as requested when a link has no requestedUtilities",
    )
    thank_you_url = models.URLField(max_length=500)
    customer_type = models.CharField(
        max_length=12,
        choices=[("RESIDENTIAL", "Residential"), ("COMMERCIAL", "Commercial")],
        default="RESIDENTIAL",
        help_text="Leap sets a flow up per customer type: the journey does not ask it",
    )
    dr_agreement = models.BooleanField(
        default=False, help_text="ask for the demand response participation agreement"
    )
    staging_test_utility = models.BooleanField(default=True)
    demo_utility = models.BooleanField(default=True)
    form_uid = models.CharField(max_length=40, unique=True, default=uuid.uuid4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org_name", "title"], name="sandbox_flow_org_title")
        ]

    def __str__(self) -> str:
        return f"{self.org_name}/{self.title}"


class Connection(models.Model):
    """One Connect API entry (one refId)."""

    connection_id = models.CharField(max_length=400, unique=True)
    ref_id = models.CharField(max_length=255, unique=True)
    flow = models.ForeignKey(Flow, null=True, blank=True, on_delete=models.SET_NULL)
    region = models.CharField(max_length=8)
    customer_type = models.CharField(max_length=12, default="RESIDENTIAL")
    scenario = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=16, db_index=True)
    utilities = DocumentField(default=list)  # utility_connections as Leap returns them
    pra_status = models.CharField(max_length=16, default="NOT_REQUIRED")
    dr_status = models.CharField(max_length=16, default="NOT_REQUIRED")
    started_at = models.DateTimeField(db_index=True)
    last_interaction_at = models.DateTimeField(db_index=True)
    changed_at = models.DateTimeField()  # sandbox time of the last change (refresh boundary)
    referral = models.CharField(max_length=20, blank=True)
    document = DocumentField()  # exactly what GET /v1.1/connections returns for it
    # The document as of the last refresh boundary, while a newer change is not yet published
    stale_document = DocumentField(null=True, blank=True)

    def __str__(self) -> str:
        return self.ref_id


class Meter(models.Model):
    """One meter: its Meters v2 document and its Enrollments v2 document."""

    meter_id = models.UUIDField(unique=True)
    connection = models.ForeignKey(Connection, null=True, blank=True, on_delete=models.SET_NULL)
    partner_reference = models.CharField(max_length=256, blank=True, db_index=True)
    transmission_region = models.CharField(max_length=8)
    customer_classification = models.CharField(max_length=12)
    meter_type = models.CharField(max_length=16, default="UTILITY_METER")
    global_enrollment_status = models.CharField(max_length=20, db_index=True)
    customer_group = models.CharField(max_length=128, blank=True)
    tags = models.TextField(blank=True)  # "|tag|...|"
    load_types = models.TextField(blank=True)  # "|HVAC|...|"
    action_types = models.TextField(blank=True)  # partner action types "|IS_AUTHORIZED|"
    partner_action_required = models.BooleanField(default=False)
    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)  # sandbox time it becomes visible
    updated_at = models.DateTimeField(db_index=True)
    document = DocumentField()
    enrollment = DocumentField()

    def __str__(self) -> str:
        return str(self.meter_id)


class JourneySession(models.Model):
    """A customer's pass through Leap Connect or Direct-to-Utility (Leap's session)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE)
    ref_id = models.CharField(max_length=255, blank=True)
    requested = models.JSONField(default=list)
    redirect_params = models.TextField(blank=True)  # additional_redirect_params, decoded once
    customer_type = models.CharField(max_length=12, blank=True)
    pra_status = models.CharField(max_length=16, default="NOT_REQUIRED")
    dr_status = models.CharField(max_length=16, default="NOT_REQUIRED")
    direct_utility = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.flow_id}: {self.ref_id or 'no refId'}"


class Webhook(models.Model):
    """A webhook subscription (leap-webhooks-v1.1)."""

    webhook_id = models.UUIDField(unique=True, default=uuid.uuid4)
    receiver_url = models.URLField(max_length=1000)
    event_types = models.JSONField(default=list)
    headers = models.JSONField(default=list)  # [{"name", "value"}] sent back on each delivery

    def __str__(self) -> str:
        return self.receiver_url


class WebhookDelivery(models.Model):
    """One event due to one receiver; duplicates share webhook_event_id."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(db_index=True)
    event_type = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.status})"


class Chaos(models.Model):
    """Fault injection for one API key (blank: every key). Off unless a row is enabled."""

    api_key = models.CharField(max_length=200, blank=True, unique=True)
    enabled = models.BooleanField(default=True)
    seed = models.IntegerField(default=0)
    rate_limit_every = models.PositiveIntegerField(
        default=0, help_text="answer 429 to every Nth request (0: never)"
    )
    retry_after_seconds = models.PositiveIntegerField(default=1)
    error_rate = models.FloatField(default=0, help_text="share of requests answered 5xx")
    error_statuses = models.CharField(max_length=40, default="500,502,503,504")
    error_bodies = models.CharField(max_length=40, default="html,json,empty")
    slow_rate = models.FloatField(default=0, help_text="share of requests answered slowly")
    slow_seconds = models.FloatField(default=0)
    truncate_rate = models.FloatField(default=0, help_text="share of 200s with truncated JSON")
    repeat_across_pages = models.BooleanField(
        default=False, help_text="each page repeats the previous page's last record first"
    )
    unknown_values = models.BooleanField(
        default=False, help_text="one record per page has unknown enum values and extra fields"
    )
    request_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "chaos"

    def __str__(self) -> str:
        return f"chaos for {self.api_key or 'every key'}"
