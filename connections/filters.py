"""The GET filter forms behind the connections table, its chips and its CSV export.

The utility alone is matched on the row's own utility_ids. Utility criteria together (utility,
utility status, error code) are matched against one utility row through EXISTS, so "pge in
ERROR" means one PG&E row in error and rows never repeat.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from leapdash.clock import day_end, day_start
from leapdash.db import is_postgresql
from leapdash.leap.records.connections import UTILITY_IDS
from leapdash.leap.utilities import UTILITY_LABELS
from links.models import Flow, Link, Region, campaign_choices, search_links

from .choices import Action, ConnectionStatus, ErrorCode, UtilityStatus
from .due import Standing, standing_rows
from .models import Connection, UtilityConnection, utility_ids_pattern
from .status import QUIET_PERIOD

DATE_INPUT = django_filters.widgets.forms.DateInput(attrs={"type": "date"})
UTILITY_FIELDS = ("utility", "utility_status", "error_code")


def _utilities() -> list[tuple[str, str]]:
    # every utility id Leap's names normalise to, test utilities included
    return [(uid, UTILITY_LABELS.get(uid, name)) for name, uid in UTILITY_IDS.items()]


class InSubquery(Func):
    """`column IN (subquery)`, written `column = ANY(ARRAY(subquery))` on PostgreSQL: the array
    is computed once, so the condition is an index condition and can join a bitmap OR."""

    output_field = BooleanField()

    def __init__(self, column: str, subquery: QuerySet[Any]) -> None:
        super().__init__(F(column), Subquery(subquery))

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        column, subquery = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        subquery_sql, subquery_params = compiler.compile(subquery)  # "(SELECT ...)"
        if is_postgresql(connection):
            sql = f"{column_sql} = ANY(ARRAY{subquery_sql})"
        else:
            sql = f"{column_sql} IN {subquery_sql}"
        return sql, [*column_params, *subquery_params]


class ConnectionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search refId or customer", method="search")
    # distinct=False: one column of the row itself cannot repeat rows, and DISTINCT over a
    # large status costs seconds at 10^6 rows.
    status = django_filters.MultipleChoiceFilter(
        label="Status", choices=ConnectionStatus.choices, field_name="status", distinct=False
    )
    next_action = django_filters.ChoiceFilter(
        label="Next action", choices=Action.choices, empty_label="Any action"
    )
    utility = django_filters.ChoiceFilter(
        label="Utility", choices=_utilities, empty_label="Any utility", method="by_utility"
    )
    utility_status = django_filters.ChoiceFilter(
        label="Utility status",
        choices=UtilityStatus.choices,
        empty_label="Any",
        method="by_utility",
    )
    error_code = django_filters.ChoiceFilter(
        label="Error", choices=ErrorCode.choices, empty_label="Any error", method="by_utility"
    )
    required_missing = django_filters.ChoiceFilter(
        label="Required utility",
        choices=[("yes", "Missing"), ("no", "All connected")],
        empty_label="Any",
        method="by_required_missing",
    )
    region = django_filters.ChoiceFilter(
        label="Region", field_name="transmission_region", choices=Region.choices, empty_label="Any"
    )
    flow = django_filters.ModelChoiceFilter(
        label="Flow", field_name="link__flow", queryset=Flow.objects.all(), empty_label="Any flow"
    )
    campaign = django_filters.ChoiceFilter(
        label="Campaign",
        field_name="link__flow__campaign",
        choices=campaign_choices,
        empty_label="Any campaign",
    )
    active_from = django_filters.DateFilter(
        label="Last active from", widget=DATE_INPUT, method="by_active_from"
    )
    active_until = django_filters.DateFilter(
        label="Last active until", widget=DATE_INPUT, method="by_active_until"
    )
    standing = django_filters.ChoiceFilter(
        label="Re-engagement", choices=Standing.choices, empty_label="Any", method="by_standing"
    )
    stale = django_filters.ChoiceFilter(
        label="Activity",
        choices=[("no", "Active within the hour"), ("yes", "Quiet for an hour or more")],
        empty_label="Any",
        method="by_stale",
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("ref_id", "ref_id"),
            ("link__customer_name", "customer"),
            ("transmission_region", "region"),
            ("status", "status"),
            ("prohibited_resource_attestation", "agreements"),
            ("next_action", "next_action"),
            ("last_interaction_at", "last"),
            ("touch_count", "touches"),
        ),
        widget=django_filters.widgets.forms.HiddenInput,
    )

    class Meta:
        model = Connection
        fields: list[str] = []

    def apply_except(self, queryset: QuerySet[Connection], *skip: str) -> QuerySet[Connection]:
        """Every filter but `skip` on another queryset (the status chips count this way)."""
        if not self.is_bound:
            return queryset
        self.errors  # noqa: B018 (validates the form so cleaned_data exists)
        for name, value in self.form.cleaned_data.items():
            if name not in skip:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def search(self, queryset: QuerySet[Connection], name: str, value: Any) -> QuerySet[Connection]:
        value = str(value).strip()
        if not value:
            return queryset
        # The customers are matched in a subquery rather than a join, so the connections side
        # reads only columns its indexes carry (ref_id, link_id), and a rare term is found
        # through the refId trigram index and the link_id index together.
        customers = (
            Link.objects.filter(
                Q(customer_name__icontains=value) | Q(customer_email__icontains=value)
            )
            .order_by()
            .values("pk")
        )
        return queryset.filter(Q(ref_id__icontains=value) | Q(InSubquery("link_id", customers)))

    def by_utility(
        self, queryset: QuerySet[Connection], name: str, value: Any
    ) -> QuerySet[Connection]:
        # The three utility filters are applied together once, by the first one that is set.
        data = self.form.cleaned_data
        given = [f for f in UTILITY_FIELDS if data.get(f)]
        if not given or given[0] != name:
            return queryset
        if data.get("utility"):
            # the row's own list of utility ids: no join, and the table's indexes carry it
            queryset = queryset.filter(utility_ids__contains=utility_ids_pattern(data["utility"]))
        if not (data.get("utility_status") or data.get("error_code")):
            return queryset
        rows = UtilityConnection.objects.filter(connection=OuterRef("pk"))
        if data.get("utility"):
            rows = rows.filter(utility_id=data["utility"])
        if data.get("utility_status"):
            rows = rows.filter(status=data["utility_status"])
        if data.get("error_code"):
            rows = rows.filter(error_code=data["error_code"])
        return queryset.filter(Exists(rows))

    def by_required_missing(
        self, queryset: QuerySet[Connection], name: str, value: Any
    ) -> QuerySet[Connection]:
        if value in ("yes", "no"):
            return queryset.filter(required_missing=value == "yes")
        return queryset

    def by_active_from(
        self, queryset: QuerySet[Connection], name: str, value: Any
    ) -> QuerySet[Connection]:
        return queryset.filter(last_interaction_at__gte=day_start(value)) if value else queryset

    def by_active_until(
        self, queryset: QuerySet[Connection], name: str, value: Any
    ) -> QuerySet[Connection]:
        if not value:
            return queryset
        return queryset.filter(last_interaction_at__lt=day_end(value))

    def by_standing(
        self, queryset: QuerySet[Connection], name: str, value: Any
    ) -> QuerySet[Connection]:
        # where the cadence stands (due.py): the home page's counts link here
        return standing_rows(queryset, value, timezone.now()) if value else queryset

    def by_stale(
        self, queryset: QuerySet[Connection], name: str, value: Any
    ) -> QuerySet[Connection]:
        # Leap's stale rule: act only on entries quiet for at least an hour.
        cutoff = timezone.now() - QUIET_PERIOD
        if value == "yes":
            return queryset.filter(last_interaction_at__lte=cutoff)
        if value == "no":
            return queryset.filter(last_interaction_at__gt=cutoff)
        return queryset


class NeverOpenedFilter(django_filters.FilterSet):
    """Links sent with no Connect entry: Leap knows nothing of them until they are opened."""

    q = django_filters.CharFilter(label="Search refId or customer", method="search")
    flow = django_filters.ModelChoiceFilter(
        label="Flow", queryset=Flow.objects.all(), empty_label="Any flow"
    )
    campaign = django_filters.ChoiceFilter(
        label="Campaign", field_name="flow__campaign", choices=campaign_choices, empty_label="Any"
    )
    created_from = django_filters.DateFilter(
        label="Created from", widget=DATE_INPUT, method="by_created_from"
    )
    created_until = django_filters.DateFilter(
        label="Created until", widget=DATE_INPUT, method="by_created_until"
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("ref_id", "ref_id"),
            ("customer_name", "customer"),
            ("created_at", "created"),
            ("sent_at", "sent"),
        ),
        widget=django_filters.widgets.forms.HiddenInput,
    )

    class Meta:
        model = Link
        fields: list[str] = []

    def search(self, queryset: QuerySet[Link], name: str, value: Any) -> QuerySet[Link]:
        return search_links(queryset, value)  # the link list's own search: refId, name, email

    def by_created_from(self, queryset: QuerySet[Link], name: str, value: Any) -> QuerySet[Link]:
        return queryset.filter(created_at__gte=day_start(value)) if value else queryset

    def by_created_until(self, queryset: QuerySet[Link], name: str, value: Any) -> QuerySet[Link]:
        if not value:
            return queryset
        return queryset.filter(created_at__lt=day_end(value))


def never_opened_links() -> QuerySet[Link]:
    """Links never opened: the link list's "Never opened" (Link.first_opened_at, set from the
    first Connect entry or webhook that shows the refId)."""
    return Link.objects.filter(first_opened_at__isnull=True)


class FunnelFilter(django_filters.FilterSet):
    """Which links the funnel counts: by flow, campaign and the day they were created."""

    flow = django_filters.ModelChoiceFilter(
        label="Flow", queryset=Flow.objects.all(), empty_label="Every flow"
    )
    campaign = django_filters.ChoiceFilter(
        label="Campaign", field_name="flow__campaign", choices=campaign_choices, empty_label="Any"
    )
    created_from = django_filters.DateFilter(
        label="Links created from", widget=DATE_INPUT, method="by_created_from"
    )
    created_until = django_filters.DateFilter(
        label="until", widget=DATE_INPUT, method="by_created_until"
    )

    class Meta:
        model = Link
        fields: list[str] = []

    by_created_from = NeverOpenedFilter.by_created_from
    by_created_until = NeverOpenedFilter.by_created_until
