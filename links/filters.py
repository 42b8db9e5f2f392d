"""The GET filter form behind the link list and its CSV export."""

from typing import Any

import django_filters
from django.db.models import QuerySet

from .models import Flow, Link, campaign_choices, search_links


class LinkFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="search")
    flow = django_filters.ModelChoiceFilter(queryset=Flow.objects.all(), empty_label="All flows")
    kind = django_filters.ChoiceFilter(choices=Link.Kind.choices, empty_label="All kinds")
    campaign = django_filters.ChoiceFilter(
        field_name="flow__campaign",
        label="Campaign",
        choices=campaign_choices,
        empty_label="All campaigns",
    )
    opened = django_filters.ChoiceFilter(
        label="Opened (seen by Leap)",
        choices=[("yes", "Opened"), ("no", "Never opened")],
        empty_label="Any",
        method="filter_opened",
    )
    created_after = django_filters.DateFilter(
        label="Created from",
        field_name="created_at",
        lookup_expr="date__gte",
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    created_before = django_filters.DateFilter(
        label="Created until",
        field_name="created_at",
        lookup_expr="date__lte",
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created"),
            ("ref_id", "ref_id"),
            ("customer_name", "name"),
            ("sent_at", "sent"),
            ("first_opened_at", "opened"),
        ),
        widget=django_filters.widgets.forms.HiddenInput,
    )

    class Meta:
        model = Link
        fields: list[str] = []

    def search(self, queryset: QuerySet[Link], name: str, value: Any) -> QuerySet[Link]:
        return search_links(queryset, value)

    def filter_opened(self, queryset: QuerySet[Link], name: str, value: Any) -> QuerySet[Link]:
        if value == "yes":
            return queryset.filter(first_opened_at__isnull=False)
        if value == "no":
            return queryset.filter(first_opened_at__isnull=True)
        return queryset
