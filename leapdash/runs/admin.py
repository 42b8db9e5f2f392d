from django.contrib import admin

from .models import SyncRun


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin[SyncRun]):
    list_display = ["kind", "status", "trigger", "started_at", "finished_at", "fetched", "errors"]
    list_filter = ["kind", "status", "full"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
