from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from leapdash.admin_readonly import ReadOnlyAdmin

from .models import Connection, Touchpoint, UtilityConnection, WebhookEvent
from .tasks import refresh_connections_task


class UtilityConnectionInline(admin.TabularInline[UtilityConnection, Connection]):
    model = UtilityConnection
    extra = 0
    can_delete = False
    readonly_fields = [
        "position",
        "utility_name",
        "utility_id",
        "utility_is_required",
        "status",
        "error_code",
        "authorization_uuid",
        "started_at",
        "last_interaction_at",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Connection | None = None) -> bool:
        return False  # utility rows come from Leap only


@admin.register(Connection)
class ConnectionAdmin(ReadOnlyAdmin[Connection]):
    """Read-only: connections come from Leap; a wrong one is refreshed, never edited here."""

    list_display = [
        "ref_id",
        "transmission_region",
        "status",
        "next_action",
        "required_missing",
        "last_interaction_at",
        "last_synced_at",
    ]
    list_filter = ["status", "next_action", "transmission_region", "required_missing"]
    search_fields = ["ref_id", "leap_id"]
    date_hierarchy = "last_interaction_at"
    inlines = [UtilityConnectionInline]
    actions = ["refresh_from_leap"]
    show_full_result_count = False  # a COUNT(*) over 10^6 rows on every admin page is slow

    @admin.action(description="Queue a refresh of the selected connections from Leap")
    def refresh_from_leap(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        ref_ids = list(queryset.values_list("ref_id", flat=True))
        transaction.on_commit(lambda: refresh_connections_task.delay(ref_ids))
        self.message_user(request, f"Refresh of {len(ref_ids)} connections queued.")


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin[Touchpoint]):
    list_display = ["connection", "touch", "channel", "outcome", "automated", "by", "at"]
    list_filter = ["touch", "channel", "outcome", "automated"]
    raw_id_fields = ["connection", "by"]
    search_fields = ["connection__ref_id"]
    date_hierarchy = "at"
    list_select_related = ["connection", "by"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin[WebhookEvent]):
    """What Leap posted to the webhook: evidence, kept as received."""

    list_display = ["webhook_event_id", "raw_event_type", "ref_id", "received_at", "processed_at"]
    list_filter = ["event_type", "processed_at"]
    search_fields = ["webhook_event_id", "ref_id"]
    date_hierarchy = "received_at"
    show_full_result_count = False

    @admin.display(description="event type", ordering="event_type")
    def raw_event_type(self, event: WebhookEvent) -> str:
        return event.event_type  # as Leap sent it: an unknown type is shown, not "-"
