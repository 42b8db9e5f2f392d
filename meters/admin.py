from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import (
    Enrollment,
    Meter,
    PartnerRecord,
    ReconciliationRun,
    ReferenceChange,
)
from .tasks import refetch_meters_task


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin[Meter]):
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
    list_filter = ["transmission_region", "customer_classification", "is_archived"]
    search_fields = ["=meter_id", "partner_reference", "=service_account_number"]
    actions = ["refetch_from_leap"]
    show_full_result_count = False  # a COUNT(*) over 10^6 rows on every admin page is slow

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Meter | None = None) -> bool:
        return False

    @admin.action(description="Re-fetch selected from Leap")
    def refetch_from_leap(self, request: HttpRequest, queryset: QuerySet[Meter]) -> None:
        meter_ids = list(queryset.values_list("meter_id", flat=True))
        transaction.on_commit(lambda: refetch_meters_task.delay(meter_ids))
        self.message_user(request, f"Re-fetch of {len(meter_ids)} meters queued.")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin[Enrollment]):
    list_display = ["meter_id", "global_status", "has_partner_actions", "synced_at"]
    search_fields = ["=meter_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Enrollment | None = None) -> bool:
        return False


@admin.register(ReferenceChange)
class ReferenceChangeAdmin(admin.ModelAdmin[ReferenceChange]):
    list_display = ["meter", "old_reference", "new_reference", "status", "leap_title", "by"]
    list_filter = ["status"]

    def has_change_permission(
        self, request: HttpRequest, obj: ReferenceChange | None = None
    ) -> bool:
        return False  # an audit trail


admin.site.register(PartnerRecord)
admin.site.register(ReconciliationRun)
