from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from leapdash.admin_readonly import ReadOnlyAdmin

from .models import (
    Enrollment,
    Meter,
    PartnerRecord,
    ReconciliationResult,
    ReconciliationRun,
    ReferenceChange,
)
from .tasks import refetch_meters_task


@admin.register(Meter)
class MeterAdmin(ReadOnlyAdmin[Meter]):
    """Read-only: meters come from Leap; a wrong one is re-fetched, never edited here."""

    list_display = [
        "meter_id",
        "partner_reference",
        "transmission_region",
        "customer_classification",
        "utility_name",
        "global_enrollment_status",
        "is_archived",
        "synced_at",
    ]
    list_filter = [
        "transmission_region",
        "customer_classification",
        "global_enrollment_status",
        "has_required_actions",
        "is_archived",
    ]
    search_fields = ["=meter_id", "partner_reference", "=service_account_number"]
    actions = ["refetch_from_leap"]
    show_full_result_count = False  # a COUNT(*) over 10^6 rows on every admin page is slow

    @admin.action(description="Queue a re-fetch of the selected meters from Leap")
    def refetch_from_leap(self, request: HttpRequest, queryset: QuerySet[Meter]) -> None:
        meter_ids = list(queryset.values_list("meter_id", flat=True))
        transaction.on_commit(lambda: refetch_meters_task.delay(meter_ids))
        self.message_user(request, f"Re-fetch of {len(meter_ids)} meters queued.")


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin[Enrollment]):
    list_display = [
        "meter_id",
        "partner_reference",
        "global_status",
        "has_partner_actions",
        "is_archived",
        "synced_at",
    ]
    list_filter = ["global_status", "has_partner_actions", "is_archived"]
    search_fields = ["=meter_id", "partner_reference"]
    show_full_result_count = False


@admin.register(ReferenceChange)
class ReferenceChangeAdmin(ReadOnlyAdmin[ReferenceChange]):
    """The audit trail of reference fixes sent to Leap: written by the fix, never by hand."""

    list_display = [
        "meter",
        "old_reference",
        "new_reference",
        "status",
        "leap_title",
        "by",
        "requested_at",
    ]
    list_filter = ["status", "requested_at"]
    search_fields = ["meter__meter_id", "old_reference", "new_reference"]
    date_hierarchy = "requested_at"
    list_select_related = ["meter", "by"]


@admin.register(PartnerRecord)
class PartnerRecordAdmin(admin.ModelAdmin[PartnerRecord]):
    """The partner's own records: theirs to correct (a CSV import never overwrites them)."""

    list_display = ["reference", "name", "program", "expected_meter_count", "source", "updated_at"]
    list_filter = ["source", "program"]
    search_fields = ["reference", "name", "address"]
    show_full_result_count = False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin[ReconciliationRun]):
    list_display = ["started_at", "finished_at", "meters", "partner_records", "by"]
    list_filter = ["started_at"]
    search_fields = ["by__username"]
    date_hierarchy = "started_at"


@admin.register(ReconciliationResult)
class ReconciliationResultAdmin(ReadOnlyAdmin[ReconciliationResult]):
    """The findings of reconciliation passes; each pass rewrites them."""

    list_display = [
        "category",
        "partner_reference",
        "meter",
        "partner_record",
        "suggested_reference",
        "run",
    ]
    list_filter = ["category"]
    search_fields = ["partner_reference", "=meter__meter_id"]
    list_select_related = ["meter", "partner_record", "run"]
    show_full_result_count = False
