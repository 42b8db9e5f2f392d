"""Prepare the demo: a user holding both roles, the sandbox's seed data, and the partner side
of it (flows and the links that were "sent" to the seeded customers).

Safe to run again: the user is updated, and flows, links and the sandbox seed only once.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import BaseCommand, call_command, get_commands
from django.utils import timezone

from leapdash.accounts.roles import ROLES
from links.builder import connect_url
from links.models import CustomerType, Flow, Link

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "leapdash-demo"
DEMO_ORG = "demo-energy"
# The partner's view of the sandbox's demo flows (same org and titles).
DEMO_FLOWS: tuple[tuple[str, str, str, list[str], str], ...] = (
    # title, region, customer type, offered utilities, campaign
    ("commercial-solar", "CAISO", CustomerType.COMMERCIAL, ["pge", "sce"], "Solar for business"),
    ("home-battery", "CAISO", CustomerType.RESIDENTIAL, [], "Home battery spring"),
    ("ny-demand-response", "NYISO", CustomerType.RESIDENTIAL, [], "NY summer DR"),
)
FIRST = ("Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon", "Kemi")
LAST = ("Alvarez", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito")
NEVER_OPENED = 40


class Command(BaseCommand):
    help = "Create the demo user (both roles) and seed the Leap sandbox for `make demo`."

    def handle(self, *args: Any, **options: Any) -> None:
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        user.is_staff = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.add(*Group.objects.filter(name__in=ROLES))
        if settings.LEAP_SANDBOX and "sandbox" in get_commands():
            call_command("sandbox", "demo")
            created = seed_partner_side(user)
            if created:
                self.stdout.write(f"Recorded {created} demo links for the sandbox's customers.")
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  leapdash demo: http://127.0.0.1:8000/  "
                f"user {DEMO_USERNAME!r}  password {DEMO_PASSWORD!r}\n"
            )
        )


def seed_partner_side(user: Any) -> int:
    """Flows matching the sandbox's, a link per seeded customer, and some never opened."""
    from leapdash.leap.sandbox.management.commands.sandbox import UNMATCHED_DEMO_REF_ID
    from leapdash.leap.sandbox.models import Connection as SandboxConnection

    flows = _demo_flows()
    # every seeded customer has their link but one, whose refId was mistyped ("Needs attention")
    seeded = SandboxConnection.objects.filter(ref_id__startswith="demo-").exclude(
        ref_id=UNMATCHED_DEMO_REF_ID
    )
    # each link was created and sent a little before its customer opened it
    opened = dict(seeded.values_list("ref_id", "started_at"))
    now = timezone.now()
    refs = sorted([*opened, *(f"demo-new-{n:03d}" for n in range(1, NEVER_OPENED + 1))])
    existing = set(Link.objects.filter(org_name=DEMO_ORG).values_list("ref_id", flat=True))
    rng = random.Random(7)
    links, sent = [], {}
    for ref_id in refs:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if ref_id in existing:
            continue
        sent[ref_id] = opened.get(ref_id, now) - timedelta(hours=rng.uniform(1, 48))
        links.append(_demo_link(flows[_flow_title(ref_id)], ref_id, name, sent[ref_id], user))
    Link.objects.bulk_create(links, batch_size=500, ignore_conflicts=True)
    for link in Link.objects.filter(org_name=DEMO_ORG, ref_id__in=list(sent)):
        # created_at is set on insert: move it back to when the link was made and sent
        Link.objects.filter(pk=link.pk).update(created_at=sent[link.ref_id])
    return len(links)


def _demo_flows() -> dict[str, Flow]:
    flows = {}
    for title, region, customer_type, utilities, campaign in DEMO_FLOWS:
        flows[title], _ = Flow.objects.get_or_create(
            org_name=DEMO_ORG,
            title=title,
            defaults={
                "region": region,
                "customer_type": customer_type,
                "utilities": utilities,
                "campaign": campaign,
                "thank_you_url": f"http://127.0.0.1:8000/links/done/?flow={title}",
            },
        )
    return flows


def _demo_link(flow: Flow, ref_id: str, name: str, sent_at: datetime, user: Any) -> Link:
    return Link(
        flow=flow,
        kind=Link.Kind.CONNECT,
        org_name=DEMO_ORG,
        ref_id=ref_id,
        customer_name=name,
        customer_email=f"{name.lower().replace(' ', '.')}@example.com",
        customer_type=flow.customer_type,
        requested_utilities=flow.utilities if flow.customer_type == "commercial" else [],
        url=connect_url(
            settings.LEAP_CONNECT_BASE_URL, DEMO_ORG, flow.title, ref_id, region=flow.region
        ),
        created_by=user,
        sent_at=sent_at,
    )


def _flow_title(ref_id: str) -> str:
    if ref_id.startswith("demo-ny"):
        return "ny-demand-response"
    if ref_id.startswith("demo-biz"):
        return "commercial-solar"
    return "home-battery"
