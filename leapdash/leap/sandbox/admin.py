"""Sandbox admin: flows and chaos are configured here; API records are shown read-only."""

from django.contrib import admin
from django.http import HttpRequest

from .models import Chaos, Connection, Flow, Meter, SandboxState, Webhook, WebhookDelivery


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin[Flow]):
    list_display = [
        "org_name",
        "title",
        "region",
        "customer_type",
        "thank_you_url",
        "dr_agreement",
        "form_uid",
    ]
    list_filter = ["region", "org_name"]
    search_fields = ["org_name", "title"]


@admin.register(Chaos)
class ChaosAdmin(admin.ModelAdmin[Chaos]):
    list_display = ["__str__", "enabled", "rate_limit_every", "error_rate", "truncate_rate"]
    readonly_fields = ["request_count"]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin[Connection]):
    list_display = ["ref_id", "region", "status", "scenario", "last_interaction_at"]
    list_filter = ["status", "region", "scenario"]
    search_fields = ["ref_id"]
    show_full_result_count = False  # counts are slow on a million rows

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin[Meter]):
    list_display = ["meter_id", "partner_reference", "global_enrollment_status", "created_at"]
    list_filter = ["global_enrollment_status", "transmission_region"]
    search_fields = ["partner_reference"]
    raw_id_fields = ["connection"]
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin[Webhook]):
    list_display = ["receiver_url", "webhook_id"]
    search_fields = ["receiver_url"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    list_display = ["event_type", "status", "attempts", "next_attempt_at", "last_status_code"]
    list_filter = ["status", "event_type"]
    search_fields = ["event_type", "last_error"]


admin.site.register(SandboxState)
