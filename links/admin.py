from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from . import builder
from .forms import FlowForm
from .models import Flow, LandingVisit, Link, LinkBatch, RefIdAlias
from .signals import aliases_deleted


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin[Flow]):
    # the dashboard's form: utilities checked against the region, allow-list URLs validated
    form = FlowForm
    list_display = [
        "org_name",
        "title",
        "region",
        "customer_type",
        "campaign",
        "follow_up_other_utility",
        "first_touch_delay_minutes",
        "created_at",
    ]
    list_filter = ["region", "customer_type", "org_name", "follow_up_other_utility"]
    search_fields = ["org_name", "title", "campaign"]


class LinkAdminForm(forms.ModelForm[Link]):
    """The admin may correct a refId, under the same rules as every other way in.

    No Meta: the admin builds the form for Link from this base, as with its default form.
    """

    def clean_ref_id(self) -> str:
        ref_id: str = self.cleaned_data["ref_id"]
        problems = builder.ref_id_problems(ref_id)
        if problems:
            raise forms.ValidationError(problems)
        return ref_id


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin[Link]):
    form = LinkAdminForm
    list_display = [
        "ref_id",
        "kind",
        "flow",
        "customer_name",
        "created_at",
        "sent_at",
        "first_opened_at",
        "do_not_contact",
    ]
    list_editable = ["do_not_contact"]
    list_filter = ["kind", "flow", "customer_type", "first_opened_at", "do_not_contact"]
    search_fields = ["ref_id", "customer_name", "customer_email"]
    date_hierarchy = "created_at"
    list_select_related = ["flow"]
    raw_id_fields = ["batch", "created_by"]
    # first_opened_at is Leap's word (set by the Connect sync), not ours to edit
    readonly_fields = ["url", "created_at", "first_opened_at"]
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
    """Reached the thank-you page (unverified): read-only evidence, never a status or "opened"."""

    list_display = ["ref_id", "flow_title", "created_at"]
    list_filter = ["flow_title", "created_at"]
    search_fields = ["ref_id"]
    date_hierarchy = "created_at"
    readonly_fields = ["ref_id", "params", "user_agent", "flow_title", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LandingVisit | None = None) -> bool:
        return False


@admin.register(RefIdAlias)
class RefIdAliasAdmin(admin.ModelAdmin[RefIdAlias]):
    """Aliases are confirmed on the "Needs attention" page, which records who: ops may look and
    delete a wrong one (its connection then matches no link again), not add or edit."""

    list_display = ["ref_id", "link", "created_by", "created_at"]
    list_filter = ["created_at", "created_by"]
    search_fields = ["ref_id", "link__ref_id", "link__customer_name"]
    list_select_related = ["link", "created_by"]
    readonly_fields = ["ref_id", "link", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RefIdAlias | None = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: RefIdAlias) -> None:
        super().delete_model(request, obj)
        aliases_deleted.send(RefIdAlias, ref_ids=[obj.ref_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RefIdAlias]) -> None:
        refs = list(queryset.values_list("ref_id", flat=True))
        super().delete_queryset(request, queryset)
        aliases_deleted.send(RefIdAlias, ref_ids=refs)
