"""Whose customer a reference is: the partner's name (our link's customer) first, Leap's name
(the meters' end customer) as secondary.

A refId names one customer or site; our links carry it (`Link.ref_id`), so does Leap's
connection for it (`Connection.ref_id`), and Leap writes it on every meter of that connection
(`partner_reference`). Lookups are set-based: one query per source for any number of refIds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When

from connections.models import Connection
from links.models import Link

from .models import Meter, MeterConnectionReference

UNNAMED = "an unnamed customer"


@dataclass(frozen=True)
class Customer:
    """A customer as the pages name them."""

    partner_name: str = ""  # the customer name on our link
    leap_name: str = ""  # Leap's end customer name on the meters

    @property
    def name(self) -> str:
        """The name to show first ("" when neither side has one)."""
        return self.partner_name or self.leap_name

    @property
    def spoken(self) -> str:
        """The name for a sentence."""
        return self.name or UNNAMED

    @property
    def secondary(self) -> str:
        """Leap's name, when it says something the first name does not."""
        if self.partner_name and self.leap_name and self.leap_name != self.partner_name:
            return self.leap_name
        return ""


@dataclass(frozen=True)
class Holder:
    """What of ours and of Leap's carries one refId."""

    reference: str
    customer: Customer
    has_link: bool
    has_connection: bool

    @property
    def held(self) -> bool:
        """A link or a connection carries it: the refId is some customer's."""
        return self.has_link or self.has_connection


def holders(references: Iterable[str]) -> dict[str, Holder]:
    """The customer behind each refId (three queries, whatever the number of refIds)."""
    refs = sorted(set(references) - {""})
    if not refs:
        return {}
    link_names: dict[str, str] = {}
    for ref, name in (
        Link.objects.filter(ref_id__in=refs).order_by("pk").values_list("ref_id", "customer_name")
    ):
        if not link_names.get(ref):
            link_names[ref] = name
    connections: dict[str, str] = {
        ref: name or ""  # None: no link of ours carries the refId
        for ref, name in Connection.objects.filter(ref_id__in=refs).values_list(
            "ref_id", "link__customer_name"
        )
    }
    leap_names: dict[str, str] = {}
    meters = Meter.objects.filter(partner_reference__in=refs).exclude(customer_name="")
    for ref, name in meters.order_by("partner_reference", "pk").values_list(
        "partner_reference", "customer_name"
    ):
        leap_names.setdefault(ref, name)
    return {
        ref: Holder(
            ref,
            Customer(link_names.get(ref) or connections.get(ref) or "", leap_names.get(ref, "")),
            has_link=ref in link_names,
            has_connection=ref in connections,
        )
        for ref in refs
    }


def own_references(meter: Meter) -> list[str]:
    """The meter's refIds, its partner_reference first, then the connections it came from."""
    return [r for r in dict.fromkeys([meter.partner_reference, *meter.connection_references]) if r]


def customer_of(meter: Meter, known: dict[str, Holder]) -> Customer:
    """The meter's customer: the first of its refIds a link of ours names, then Leap's name."""
    for ref in own_references(meter):
        holder = known.get(ref)
        if holder and holder.customer.partner_name:
            return Customer(holder.customer.partner_name, meter.customer_name)
    return Customer("", meter.customer_name)


def link_name() -> Subquery:
    """For a Meter queryset: the customer name of our link for the meter's partner_reference,
    else for one of its connection references (one subquery, evaluated for the shown rows)."""
    refs = MeterConnectionReference.objects.filter(meter=OuterRef(OuterRef("pk"))).values("ref_id")
    links = (
        Link.objects.filter(Q(ref_id=OuterRef("partner_reference")) | Q(ref_id__in=refs))
        .exclude(customer_name="")
        .annotate(
            mine=Case(
                When(ref_id=OuterRef("partner_reference"), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("mine", "pk")
    )
    return Subquery(links.values("customer_name")[:1])
