from django.contrib import admin
from django.http import HttpRequest

from .models import Flow, LandingVisit, Link, LinkBatch


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin[Flow]):
    list_display = ["org_name", "title", "region", "customer_type", "campaign", "created_at"]
    list_filter = ["region", "customer_type", "org_name"]
    search_fields = ["org_name", "title", "campaign"]


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin[Link]):
    list_display = [
        "ref_id",
        "kind",
        "flow",
        "customer_name",
        "created_at",
        "sent_at",
        "first_opened_at",
    ]
    list_filter = ["kind", "flow", "customer_type", "first_opened_at"]
    search_fields = ["ref_id", "customer_name", "customer_email"]
    date_hierarchy = "created_at"
    list_select_related = ["flow"]
    raw_id_fields = ["batch", "created_by"]
    readonly_fields = ["url", "created_at"]
    show_full_result_count = False


@admin.register(LinkBatch)
class LinkBatchAdmin(admin.ModelAdmin[LinkBatch]):
    list_display = [
        "pk",
        "filename",
        "flow",
        "status",
        "total_rows",
        "error_count",
        "created_links",
        "created_at",
    ]
    list_filter = ["status", "kind", "flow"]
    search_fields = ["filename", "org_name"]
    list_select_related = ["flow"]
    # the staged rows can be 10,000 entries: keep them out of the change form
    exclude = ["rows", "errors"]
    readonly_fields = ["created_at", "imported_at"]


@admin.register(LandingVisit)
class LandingVisitAdmin(admin.ModelAdmin[LandingVisit]):
    """Unverified final-redirect visits: read-only evidence, never a status."""

    list_display = ["ref_id", "flow_title", "created_at"]
    list_filter = ["flow_title", "created_at"]
    search_fields = ["ref_id"]
    date_hierarchy = "created_at"
    readonly_fields = ["ref_id", "params", "user_agent", "flow_title", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LandingVisit | None = None) -> bool:
        return False
