"""Leap's meters and enrollments, the partner's own records, and how the two reconcile.

Connection references live in their own table (MeterConnectionReference) rather than an array
column: the reconciliation joins on them, and the demo runs on SQLite, which has no arrays.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Meter(models.Model):
    """One Leap meter (Meters v2 details) with its enrollment summary denormalised for filters."""

    meter_id = models.CharField("meter id", max_length=64, unique=True)
    partner_reference = models.CharField(max_length=256, blank=True)
    # For display; the normalised copy the reconciliation joins on is MeterConnectionReference.
    connection_references = models.JSONField(default=list, blank=True)
    transmission_region = models.CharField("region", max_length=32)
    customer_classification = models.CharField("classification", max_length=32, blank=True)
    meter_type = models.CharField(max_length=32, blank=True)
    utility_name = models.CharField("utility", max_length=64, blank=True)
    service_account_number = models.CharField(max_length=128, blank=True)
    customer_name = models.CharField(max_length=256, blank=True)
    service_address = models.CharField(max_length=600, blank=True)
    is_archived = models.BooleanField("archived", default=False)
    # From the meter's Enrollment (copied by the sync so the table filters without a join).
    global_enrollment_status = models.CharField("enrollment status", max_length=32, blank=True)
    has_required_actions = models.BooleanField("partner action required", default=False)
    required_action_codes = models.JSONField(default=list, blank=True)
    # A partner action of type IS_AUTHORIZED: the customer must authorize data sharing again.
    needs_reauthorization = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(help_text="When Leap created the meter.")
    last_modified_at = models.DateTimeField(null=True, blank=True)
    unknown_values = models.JSONField(default=list, blank=True)
    fingerprint = models.CharField(max_length=64, help_text="Hash of Leap's record.")
    raw = models.JSONField(default=dict, help_text="Leap's last record, as received.")
    first_synced_at = models.DateTimeField()
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [
            models.Index(fields=["-created_at", "id"], name="meter_created"),
            # the reconciliation counts and finds active meters by reference from this index
            # alone, and lists matched meters in its order
            models.Index(fields=["partner_reference", "is_archived", "id"], name="meter_reference"),
            models.Index(
                fields=["partner_reference"],
                opclasses=["varchar_pattern_ops"],  # prefix search (PostgreSQL)
                name="meter_reference_prefix",
            ),
            models.Index(fields=["transmission_region", "-created_at"], name="meter_region"),
            models.Index(fields=["customer_classification"], name="meter_classification"),
            models.Index(fields=["global_enrollment_status"], name="meter_enrollment_status"),
            models.Index(fields=["utility_name"], name="meter_utility"),
            models.Index(fields=["service_account_number"], name="meter_service_account"),
            models.Index(
                fields=["-created_at"],
                condition=Q(has_required_actions=True),
                name="meter_required_actions",
            ),
            models.Index(
                fields=["-created_at"], condition=Q(is_archived=True), name="meter_archived"
            ),
        ]

    def __str__(self) -> str:
        return self.meter_id


# Everything the meter-details sync writes.
SYNCED_FIELDS = [
    "partner_reference",
    "connection_references",
    "transmission_region",
    "customer_classification",
    "meter_type",
    "utility_name",
    "service_account_number",
    "customer_name",
    "service_address",
    "is_archived",
    "created_at",
    "last_modified_at",
    "unknown_values",
    "fingerprint",
    "raw",
    "synced_at",
]


class MeterConnectionReference(models.Model):
    """One of a meter's connection_references (the refIds of the connections behind it)."""

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="connection_refs")
    ref_id = models.CharField("refId", max_length=256)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meter", "ref_id"], name="meters_connref_unique")
        ]
        indexes = [models.Index(fields=["ref_id", "meter"], name="meter_connref_ref_id")]

    def __str__(self) -> str:
        return self.ref_id


class Enrollment(models.Model):
    """One meter's Enrollments v2 record: program enrollments and required actions.

    Keyed by meter_id, not a foreign key: the enrollments listing may bring a meter before the
    meter-details listing does.
    """

    meter_id = models.CharField("meter id", max_length=64, unique=True)
    partner_reference = models.CharField(max_length=256, blank=True)
    global_status = models.CharField("enrollment status", max_length=32)
    programs = models.JSONField(default=list, blank=True)
    partner_actions = models.JSONField(default=list, blank=True)
    leap_actions = models.JSONField(default=list, blank=True)
    # what the meter table filters on, copied onto Meter by the sync
    partner_action_codes = models.JSONField(default=list, blank=True)
    has_partner_actions = models.BooleanField(default=False)
    needs_reauthorization = models.BooleanField(default=False, db_default=False)
    is_archived = models.BooleanField(default=False)
    last_modified_at = models.DateTimeField(null=True, blank=True)
    unknown_values = models.JSONField(default=list, blank=True)
    fingerprint = models.CharField(max_length=64)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["meter_id"]

    def __str__(self) -> str:
        return f"{self.meter_id}: {self.global_status}"


ENROLLMENT_SYNCED_FIELDS = [
    "partner_reference",
    "global_status",
    "programs",
    "partner_actions",
    "leap_actions",
    "partner_action_codes",
    "has_partner_actions",
    "needs_reauthorization",
    "is_archived",
    "last_modified_at",
    "unknown_values",
    "fingerprint",
    "raw",
    "synced_at",
]


class PartnerRecord(models.Model):
    """One of the partner's own customers or sites, keyed by the reference it gave Leap."""

    class Source(models.TextChoices):
        CSV = "csv", "CSV upload"
        LINK = "link", "From a link"

    reference = models.CharField(max_length=256, unique=True)
    name = models.CharField(max_length=256, blank=True)
    address = models.CharField(max_length=600, blank=True)
    program = models.CharField(max_length=128, blank=True)
    expected_meter_count = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.CSV)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["reference"]
        indexes = [
            models.Index(
                fields=["reference"],
                condition=Q(expected_meter_count__isnull=False),
                name="partnerrecord_expected",
            ),
            # the reconciliation reads records in reference order from this index alone
            models.Index(
                fields=["reference"],
                include=["id", "expected_meter_count"],
                name="partnerrecord_match",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class PartnerImport(models.Model):
    """One partner-records CSV upload awaiting confirmation: rows and per-row errors."""

    class Status(models.TextChoices):
        PREVIEW = "preview", "Awaiting confirmation"
        IMPORTED = "imported", "Imported"

    filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    rows = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"partner import {self.pk} ({self.filename})"


class ReferenceChange(models.Model):
    """An attempt to change a meter's partner_reference at Leap: written before and after."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sent to Leap"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Refused"

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="reference_changes")
    old_reference = models.CharField(max_length=256, blank=True)
    new_reference = models.CharField(max_length=256)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    leap_title = models.CharField(
        max_length=200, blank=True, help_text="Leap's error title, e.g. DUPLICATE_REF_ID."
    )
    leap_response = models.JSONField(default=dict, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["meter", "-requested_at"], name="refchange_meter"),
            models.Index(fields=["status", "-requested_at"], name="refchange_status"),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id}: {self.old_reference!r} → {self.new_reference!r} ({self.status})"


class Category(models.TextChoices):
    """Where a meter or a partner record stands after reconciliation."""

    MATCHED = "matched", "Matched"
    BY_CONNECTION = "by_connection", "Matched by connection only"
    UNKNOWN_METER = "unknown_meter", "Unknown to us"
    WAITING = "waiting", "No meters yet: waiting"
    OVERDUE = "overdue", "No meters: overdue"
    REENGAGE = "reengage", "No meters: re-engage"
    DUPLICATE = "duplicate", "Duplicate reference"
    COUNT_MISMATCH = "count_mismatch", "Meter count mismatch"


class ReconciliationRun(models.Model):
    """One reconciliation pass; its counts per category show the trend over time."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    meters = models.PositiveIntegerField(default=0)
    partner_records = models.PositiveIntegerField(default=0)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # the overdue margin's start the findings were worded for: a targeted pass looks again at
    # the connections and links that crossed it since
    overdue_cutoff = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"reconciliation {self.started_at:%Y-%m-%d %H:%M}"


class ReconciliationResult(models.Model):
    """One finding of the latest reconciliation; the whole set is replaced by each run.

    Its reason and suggested fix are worded from the category and the few facts stored with it
    (the connection's status, the expected and found meter counts), so a pass over 10^6 meters
    writes narrow rows. The rows are derived and replaced by the next pass, so writing them is
    kept cheap: the foreign keys have no database constraints (their per-row checks at commit
    cost more than the pass; Django still cascades deletes), only the two indexes the pages read
    exist, and on PostgreSQL the table is UNLOGGED (migration 0003: no WAL; after a database
    crash it is empty until the next pass, which the hourly meters sync runs).
    """

    run = models.ForeignKey(
        ReconciliationRun,
        on_delete=models.CASCADE,
        related_name="results",
        db_constraint=False,
        db_index=False,
    )
    category = models.CharField(max_length=16, choices=Category.choices)
    partner_reference = models.CharField(max_length=256, blank=True)
    meter = models.ForeignKey(
        Meter,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reconciliation",
        db_constraint=False,
        db_index=False,  # recresult_meter leads with it
    )
    partner_record = models.ForeignKey(
        PartnerRecord,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    suggested_reference = models.CharField(max_length=256, blank=True)
    connection_status = models.CharField(
        max_length=32, blank=True, help_text="For a record without meters: its connection's status."
    )
    expected_meters = models.PositiveIntegerField(null=True, blank=True)
    found_meters = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["category", "partner_reference", "pk"]
        indexes = [
            # a pass inserts in this order, after every key of the previous run: appends only
            models.Index(
                fields=["run", "category", "partner_reference", "id"], name="recresult_category"
            ),
            models.Index(fields=["meter", "category"], name="recresult_meter"),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.partner_reference}"

    @property
    def reason(self) -> str:
        from .findings import wording  # findings imports these models

        return wording(self)[0]

    @property
    def suggested_fix(self) -> str:
        from .findings import wording

        return wording(self)[1]


from .touched import TouchedReference as TouchedReference  # noqa: E402
