"""Local copy of Leap's connections (one per refId), their utility attempts, and what we did."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Q

from .actors import Actor, action_actor
from .badges import badge_class
from .cadence import WebhookState
from .choices import (
    Action,
    AgreementStatus,
    ConnectionStatus,
    ErrorCode,
    UtilityStatus,
    label_of,
)

# what the table's walking indexes carry besides their keys
COVERED = ["ref_id", "utility_ids", "link"]


class Connection(models.Model):
    """One Leap Connect entry (a refId whose link was opened) and its next action."""

    ref_id = models.CharField("refId", max_length=255, unique=True)
    leap_id = models.CharField("Leap id", max_length=400)
    transmission_region = models.CharField("region", max_length=32)
    started_at = models.DateTimeField(null=True, blank=True)
    last_interaction_at = models.DateTimeField()
    # Leap's strings unchanged; an unknown one is stored as sent (choices are not enforced).
    status = models.CharField(max_length=32, choices=ConnectionStatus.choices)
    prohibited_resource_attestation = models.CharField(
        max_length=32, choices=AgreementStatus.choices
    )
    demand_response_participation = models.CharField(max_length=32, choices=AgreementStatus.choices)
    # Denormalised from the utility rows so the dashboard filters on it without a join.
    required_missing = models.BooleanField(
        default=False, help_text="A required utility is not connected yet."
    )
    # Denormalised too: every utility id tried, as ",pge,sce," (sorted), so the table's utility
    # filter is a LIKE on the row itself instead of an EXISTS over the utility rows.
    utility_ids = models.TextField(
        blank=True, default="", db_default="", help_text="Utilities tried, e.g. ,pge,sce,"
    )
    unknown_values = models.JSONField(
        default=list, blank=True, help_text="Values this version of leapdash does not know."
    )

    # The next-action engine's verdict (connections.status.classify), stored at sync time.
    next_action = models.CharField(max_length=32, choices=Action.choices)
    next_action_reason = models.TextField(blank=True)
    message_key = models.CharField(max_length=64, blank=True)
    message_subjects = models.JSONField(default=list, blank=True)
    actionable_at = models.DateTimeField(null=True, blank=True)
    rules_version = models.PositiveSmallIntegerField(
        default=1, db_default=1, help_text="The version of the rules the verdict follows."
    )

    # What Leap's webhooks last said of the customer's session (never written by the sync):
    # the re-engagement cadence counts from the first receipt of that event when it is newer
    # than the Connect data.
    webhook_state = models.CharField(
        max_length=16, blank=True, default="", db_default="", choices=WebhookState.choices
    )
    webhook_at = models.DateTimeField(null=True, blank=True)
    # Set by the meters sync when a meter of this connection asks the customer to re-authorize.
    reauthorize_since = models.DateTimeField(null=True, blank=True)

    link = models.ForeignKey(
        "links.Link",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="connections",
        help_text="The link whose refId matches, when leapdash built it.",
    )
    # Assigned once, while the flow's experiment runs (connections/experiments.py); kept after.
    variant = models.ForeignKey(
        "connections.Variant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="connections",
    )
    fingerprint = models.CharField(max_length=64, help_text="Hash of record + verdict.")
    raw = models.JSONField(default=dict, help_text="Leap's last record, as received.")
    first_synced_at = models.DateTimeField()
    last_synced_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_interaction_at", "pk"]
        indexes = [
            # The dashboard's default sort, and each filter combined with it. The first two also
            # carry the columns the search and utility filter read (INCLUDE, on PostgreSQL; SQLite
            # has no covering indexes), so capped counts and page lookups are index-only scans.
            models.Index(
                fields=["-last_interaction_at", "id"],
                include=COVERED,
                name="conn_last_interaction",
            ),
            models.Index(
                fields=["status", "-last_interaction_at", "id"],
                include=COVERED,
                name="conn_status",
            ),
            # tiny: finds the statuses this version does not know without reading the others
            models.Index(
                fields=["status"],
                condition=~Q(status__in=ConnectionStatus.values),
                name="conn_unknown_status",
            ),
            models.Index(fields=["next_action", "-last_interaction_at"], name="conn_next_action"),
            models.Index(fields=["transmission_region", "status"], name="conn_region"),
            models.Index(fields=["actionable_at"], name="conn_actionable"),
            models.Index(fields=["rules_version"], name="conn_rules_version"),
            models.Index(
                fields=["webhook_at"], condition=Q(webhook_at__isnull=False), name="conn_webhook_at"
            ),
            models.Index(
                fields=["reauthorize_since"],
                condition=Q(reauthorize_since__isnull=False),
                name="conn_reauthorize",
            ),
            models.Index(
                fields=["-last_interaction_at"],
                condition=Q(required_missing=True),
                name="conn_required_missing",
            ),
            # "Needs attention" (connections.attention): the few refIds that match no link
            models.Index(
                fields=["-last_interaction_at", "id"],
                condition=Q(link__isnull=True),
                name="conn_no_link",
            ),
        ]

    def __str__(self) -> str:
        return self.ref_id

    @property
    def status_label(self) -> str:
        return label_of(ConnectionStatus, self.status)

    @property
    def status_badge(self) -> str:
        return badge_class(self.status)

    @property
    def next_action_label(self) -> str:
        return label_of(Action, self.next_action)

    @property
    def next_action_badge(self) -> str:
        return badge_class(self.next_action)

    @property
    def actor(self) -> Actor:
        """Who acts next (connections.actors)."""
        return action_actor(self.next_action)

    @property
    def agreements(self) -> list[tuple[str, str, str]]:
        """(name, label, badge class) of each agreement that is not NOT_REQUIRED."""
        pairs = [
            ("Attestation", self.prohibited_resource_attestation),
            ("DR agreement", self.demand_response_participation),
        ]
        return [
            (name, label_of(AgreementStatus, value), badge_class(value))
            for name, value in pairs
            if value != AgreementStatus.NOT_REQUIRED
        ]


# Everything the sync writes (the rest is created once or belongs to people).
SYNCED_FIELDS = [
    "leap_id",
    "transmission_region",
    "started_at",
    "last_interaction_at",
    "status",
    "prohibited_resource_attestation",
    "demand_response_participation",
    "required_missing",
    "utility_ids",
    "unknown_values",
    "next_action",
    "next_action_reason",
    "message_key",
    "message_subjects",
    "actionable_at",
    "rules_version",
    "link",
    "fingerprint",
    "raw",
    "last_synced_at",
]


def utility_ids_text(ids: Iterable[str]) -> str:
    """The stored form of Connection.utility_ids: ",pge,sce," (sorted, unique), "" for none."""
    unique = sorted(set(ids))
    return f",{','.join(unique)}," if unique else ""


def utility_ids_pattern(utility_id: str) -> str:
    """What Connection.utility_ids contains when `utility_id` was tried."""
    return f",{utility_id},"


class UtilityConnection(models.Model):
    """One utility the customer tried within a connection (Leap's utility_connections item)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="utilities")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in Leap's list.")
    authorization_uuid = models.CharField(max_length=64, blank=True)
    utility_name = models.CharField(max_length=200)
    utility_id = models.CharField(max_length=100, help_text="Normalised, e.g. pge.")
    utility_is_required = models.BooleanField(default=False)
    status = models.CharField(max_length=32, choices=UtilityStatus.choices)
    error_code = models.CharField(max_length=64, blank=True, choices=ErrorCode.choices)
    started_at = models.DateTimeField(null=True, blank=True)
    last_interaction_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["connection", "position"]
        indexes = [
            models.Index(fields=["utility_id", "status"], name="utilconn_utility_status"),
            models.Index(fields=["status", "utility_is_required"], name="utilconn_status"),
            models.Index(
                fields=["error_code"], condition=~Q(error_code=""), name="utilconn_error_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.utility_name}: {self.status}"

    @property
    def status_label(self) -> str:
        return label_of(UtilityStatus, self.status)

    @property
    def status_badge(self) -> str:
        return badge_class(self.status)

    @property
    def error_label(self) -> str:
        return label_of(ErrorCode, self.error_code) if self.error_code else ""


class Touchpoint(models.Model):
    """One re-engagement contact with the customer (or a decision to skip it)."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        PHONE = "phone", "Phone"
        APP = "app", "App notification"
        OTHER = "other", "Other"

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        # Not sent: ends the cadence of this abandonment (the customer's next progress starts
        # a new one).
        SKIPPED = "skipped", "Skipped"
        # Not a touch: hides the connection from the queue until snoozed_until.
        SNOOZED = "snoozed", "Snoozed"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="touchpoints")
    touch = models.PositiveSmallIntegerField(help_text="1, 2 or 3 in Leap's cadence.")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SENT)
    message_key = models.CharField(max_length=64, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when sent automatically.",
    )
    automated = models.BooleanField(default=False)
    at = models.DateTimeField()
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # The abandonment this touch answered, and its idempotency key (connection + abandonment +
    # touch): the database holds at most one touch per key, however often it is posted.
    abandoned_at = models.DateTimeField(null=True, blank=True)
    key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["connection", "-at"], name="touchpoint_connection"),
            models.Index(fields=["-at"], name="touchpoint_at"),
        ]

    def __str__(self) -> str:
        return f"{self.connection} touch {self.touch} ({self.outcome})"


class WebhookEvent(models.Model):
    """A delivery from Leap's webhooks, kept once per webhook_event_id (Leap redelivers)."""

    class EventType(models.TextChoices):
        SESSION_UPDATED = "connect_session.updated", "Connect session updated"
        AUTHORIZATION_UPDATED = (
            "connect_session.authorization_updated",
            "Connect authorization updated",
        )
        METER_CREATED = "meter.created", "Meter created"

    webhook_event_id = models.CharField(max_length=100, unique=True)
    event_type = models.CharField(max_length=100, choices=EventType.choices)
    ref_id = models.CharField(
        "refId", max_length=256, blank=True, help_text="The payload's partner_reference."
    )
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the re-sync it asked for was queued."
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["ref_id", "-received_at"], name="webhookevent_ref_id"),
            models.Index(fields=["event_type", "-received_at"], name="webhookevent_type"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_event_id}"


class OutgoingHook(models.Model):
    """Where leapdash POSTs the due re-engagement touches, so a partner's tool can send them.

    One row (pk=1), set by ops. A 2xx answer records each posted touch as sent automatically.
    """

    url = models.URLField("hook URL", max_length=500, blank=True)
    enabled = models.BooleanField(default=False)
    channel = models.CharField(
        max_length=16, choices=Touchpoint.Channel.choices, default=Touchpoint.Channel.EMAIL
    )
    signing_secret = models.CharField(
        max_length=200,
        blank=True,
        help_text="Signs each body (X-Leapdash-Signature); never sent itself.",
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=200, blank=True)
    delivered_count = models.PositiveBigIntegerField(default=0, db_default=0)
    refused_count = models.PositiveBigIntegerField(default=0, db_default=0)
    unreachable_count = models.PositiveBigIntegerField(default=0, db_default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.url or "(no hook)"

    @classmethod
    def load(cls) -> OutgoingHook:
        hook, _ = cls.objects.get_or_create(pk=1)
        return hook


# registers the message template and experiment models with the app
from .message_templates import MessageTemplate as MessageTemplate  # noqa: E402
from .message_templates import MessageTemplateVersion as MessageTemplateVersion  # noqa: E402
from .variants import Experiment as Experiment  # noqa: E402
from .variants import Variant as Variant  # noqa: E402
