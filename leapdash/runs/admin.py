from django.contrib import admin

from leapdash.admin_readonly import ReadOnlyAdmin

from .models import SyncAlert, SyncRun


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin[SyncRun]):
    list_display = [
        "kind",
        "status",
        "full",
        "trigger",
        "started_at",
        "finished_at",
        "fetched",
        "created",
        "updated",
        "errors",
    ]
    list_filter = ["kind", "status", "full", "trigger"]
    search_fields = ["error", "trigger"]
    date_hierarchy = "started_at"


@admin.register(SyncAlert)
class SyncAlertAdmin(ReadOnlyAdmin[SyncAlert]):
    list_display = ["kind", "reason", "opened_at", "resolved_at"]
    list_filter = ["kind", "reason", "resolved_at"]
    search_fields = ["detail"]
    date_hierarchy = "opened_at"
