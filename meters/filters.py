"""The GET filter forms behind the meters table (and its CSV export)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from leapdash.db import distinct_values
from leapdash.leap.records import (
    CUSTOMER_CLASSIFICATIONS,
    ENROLLMENT_STATUSES,
    TRANSMISSION_REGIONS,
)

from .labels import choices, utility_label
from .models import Category, Meter, ReconciliationResult
from .reconcile import matched_meters


def _utilities() -> list[tuple[str, str]]:
    return [(n, utility_label(n)) for n in distinct_values(Meter, "utility_name")]


YES_NO = [("yes", "Yes"), ("no", "No")]


class MeterFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="search")
    transmission_region = django_filters.ChoiceFilter(
        label="Region", choices=choices("region", TRANSMISSION_REGIONS), empty_label="All regions"
    )
    customer_classification = django_filters.ChoiceFilter(
        label="Customer type",
        choices=choices("classification", CUSTOMER_CLASSIFICATIONS),
        empty_label="All",
    )
    global_enrollment_status = django_filters.ChoiceFilter(
        label="Enrollment", choices=choices("enrollment", ENROLLMENT_STATUSES), empty_label="All"
    )
    actions = django_filters.ChoiceFilter(
        label="Action required", choices=YES_NO, empty_label="Any", method="filter_actions"
    )
    utility_name = django_filters.ChoiceFilter(
        label="Utility", choices=_utilities, empty_label="All utilities"
    )
    archived = django_filters.ChoiceFilter(
        label="Archived", choices=YES_NO, empty_label="Any", method="filter_archived"
    )
    reconciliation = django_filters.ChoiceFilter(
        label="Reconciliation",
        choices=Category.choices,
        empty_label="Any",
        method="filter_reconciliation",
    )

    class Meta:
        model = Meter
        fields: list[str] = []

    def search(self, queryset: QuerySet[Meter], name: str, value: Any) -> QuerySet[Meter]:
        value = str(value).strip()
        if not value:
            return queryset
        # exact matches use the unique and b-tree indexes; a prefix on the reference too
        return queryset.filter(
            Q(meter_id=value)
            | Q(partner_reference__startswith=value)
            | Q(service_account_number=value)
            | Q(connection_refs__ref_id=value)
        ).distinct()

    def filter_actions(self, queryset: QuerySet[Meter], name: str, value: Any) -> QuerySet[Meter]:
        return queryset.filter(has_required_actions=value == "yes") if value else queryset

    def filter_archived(self, queryset: QuerySet[Meter], name: str, value: Any) -> QuerySet[Meter]:
        return queryset.filter(is_archived=value == "yes") if value else queryset

    def filter_reconciliation(
        self, queryset: QuerySet[Meter], name: str, value: Any
    ) -> QuerySet[Meter]:
        if not value:
            return queryset
        if value == Category.MATCHED:  # matched meters have no stored finding
            return matched_meters(queryset)
        found = ReconciliationResult.objects.filter(meter=OuterRef("pk"), category=value)
        return queryset.filter(Exists(found))
