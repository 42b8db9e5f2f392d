"""Which re-engagement touches are due now: the stored verdicts, the webhooks' view of each
session and the recent touches, put through the cadence (cadence.py).

One rule for people and automation: the queue, its exports and the outgoing hook all list the
same due touches. Only connections whose abandonment lies within the cadence's horizon can be
due, so the scan stays small whatever the table's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from .actors import CUSTOMER_ACTIONS
from .cadence import (
    HORIZON,
    LATER_TOUCHES,
    SAME_ABANDONMENT,
    CadenceState,
    NextTouch,
    PastTouch,
    Policy,
    WebhookState,
    abandonment,
    next_touch,
)
from .choices import Action
from .messages import FINISH_CONNECTING_KEY, Message, render_message
from .models import Connection, Touchpoint
from .templates import (
    EMAIL,
    SMS,
    STANDARD,
    Book,
    shorten_sms,
    template_book,
    template_for,
)

SCAN_CHUNK = 500


def policy_for(connection: Connection) -> Policy:
    """The cadence's knobs for one customer: settings, their region's time zone and their
    flow's first-touch delay, or their experiment variant's delay and spacing."""
    zones: dict[str, str] = settings.REENGAGE_TIME_ZONES
    zone = zones.get(connection.transmission_region, settings.REENGAGE_DEFAULT_TIME_ZONE)
    link = connection.link
    flow = link.flow if link is not None else None
    delay = flow.first_touch_delay_minutes if flow is not None else 15
    later = LATER_TOUCHES
    if connection.variant_id is not None and connection.variant is not None:
        delay = connection.variant.first_touch_delay_minutes
        later = connection.variant.arm.later
    return Policy(
        quiet=timedelta(hours=1),
        first_delay=timedelta(minutes=delay),
        min_gap=timedelta(hours=settings.REENGAGE_MIN_GAP_HOURS),
        later=later,
        day_starts=time(settings.REENGAGE_DAY_STARTS),
        day_ends=time(settings.REENGAGE_DAY_ENDS),
        zone=ZoneInfo(zone),
    )


@dataclass(frozen=True)
class DueTouch:
    connection: Connection
    touch: NextTouch
    message_key: str
    message: Message

    @property
    def key(self) -> str:
        return self.touch.key(self.connection.pk)

    def as_dict(self) -> dict[str, Any]:
        """One touch as the hook posts it and the exports list it (tests/contracts/
        hook.schema.json)."""
        c, link = self.connection, self.connection.link
        return {
            "idempotency_key": self.key,
            "connection_id": c.pk,
            "ref_id": c.ref_id,
            "customer_name": link.customer_name if link else "",
            "customer_email": link.customer_email if link else "",
            "link_url": link.url if link else "",
            "touch": self.touch.touch,
            "abandoned_at": _iso(self.touch.abandoned_at),
            "due_from": _iso(self.touch.due_from),
            "seen_by_webhook": self.touch.early,
            "variant": c.variant.name if c.variant_id is not None and c.variant else None,
            "next_action": c.next_action,
            "message_key": self.message_key,
            "subject": self.message.subject,
            "body": self.message.body,
            "template_version": self.message.version,
            "template_set": self.message.template_set,
        }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def candidates(now: datetime) -> QuerySet[Connection]:
    """Connections that may owe the customer a touch: a customer action (or a webhook-seen
    abandonment waiting for Leap's Connect data) within the horizon, not opted out. Rows the
    cadence surely holds back are left out in SQL: a touch sent within the minimum gap, this
    abandonment's cadence ended (touch 3 sent, or skipped), or its next touch's day not come."""
    since = now - HORIZON
    recent = Q(last_interaction_at__gte=since) | Q(webhook_at__gte=since)
    recent |= Q(reauthorize_since__gte=since)
    early = Q(next_action=Action.IN_PROGRESS, webhook_state=WebhookState.ABANDONED)
    touches = Touchpoint.objects.filter(at__gte=since - timedelta(days=2)).order_by("at")
    mine = Touchpoint.objects.filter(connection=OuterRef("pk"))
    gap = timedelta(hours=settings.REENGAGE_MIN_GAP_HOURS)
    in_gap = mine.filter(outcome=Touchpoint.Outcome.SENT, at__gt=now - gap)
    this = mine.filter(abandoned_at=OuterRef("anchor"))
    sent = this.filter(outcome=Touchpoint.Outcome.SENT)
    ended = this.filter(
        Q(outcome=Touchpoint.Outcome.SKIPPED) | Q(touch=3, outcome=Touchpoint.Outcome.SENT)
    )
    day_1, day_3 = LATER_TOUCHES
    # a variant may space touches closer, never closer than the gap (experiments.problems)
    plain = Q(variant__isnull=True)
    early_2 = Q(plain, anchor__gt=now - day_1) | Q(~plain, anchor__gt=now - gap)
    early_3 = Q(plain, anchor__gt=now - day_3) | Q(~plain, anchor__gt=now - 2 * gap)
    return (
        Connection.objects.filter(recent)
        .filter(Q(next_action__in=CUSTOMER_ACTIONS) | early)
        .exclude(link__do_not_contact=True)
        .exclude(variant__holdout=True)
        .annotate(anchor=_anchor())
        .alias(
            in_gap=Exists(in_gap),
            ended=Exists(ended),
            sent_1=Exists(sent.filter(touch=1)),
            sent_2=Exists(sent.filter(touch=2)),
        )
        .exclude(in_gap=True)
        .exclude(ended=True)
        # touch 2 aims at day 1 and touch 3 at day 3: not due before, whatever else
        .exclude(Q(sent_1=True) & early_2)
        .exclude(Q(sent_2=True) & early_3)
        .select_related("link", "link__flow", "variant")
        .prefetch_related(Prefetch("touchpoints", queryset=touches, to_attr="recent_touches"))
        .order_by("last_interaction_at", "pk")
    )


def _anchor() -> Case:
    """cadence.abandonment() in SQL (without the completed-by-webhook case, left to it)."""
    return Case(
        When(reauthorize_since__isnull=False, then=F("reauthorize_since")),
        When(
            webhook_at__gte=F("last_interaction_at") - Value(SAME_ABANDONMENT),
            then=F("webhook_at"),
        ),
        default=F("last_interaction_at"),
    )


def next_touch_of(c: Connection, now: datetime) -> tuple[NextTouch, str] | None:
    """The cadence's next touch for one connection and the message it carries, or None when
    nothing will be due for the current abandonment (completed, parked, skipped, opted out…)."""
    if c.link is not None and c.link.do_not_contact:
        return None
    if c.variant_id is not None and c.variant is not None and c.variant.holdout:
        return None  # the experiment's holdout: no automated touch
    abandoned = abandonment(
        c.last_interaction_at,
        webhook_state=c.webhook_state,
        webhook_at=c.webhook_at,
        reauthorize_since=c.reauthorize_since,
    )
    if abandoned is None:
        return None
    nt = next_touch(abandoned, _past_touches(c, now), now, policy_for(c))
    if nt.state not in (CadenceState.DUE, CadenceState.SCHEDULED):
        return None
    if nt.early and (c.next_action in CUSTOMER_ACTIONS or c.next_action == Action.IN_PROGRESS):
        # the error code comes only with the Connect data: a generic "finish connecting"
        return nt, FINISH_CONNECTING_KEY
    if c.next_action in CUSTOMER_ACTIONS:
        return nt, c.message_key
    if c.next_action == Action.IN_PROGRESS and c.message_key:
        # waiting for the quiet hour to pass (or for Leap's data): due once a sync says so
        return NextTouch(CadenceState.WAITING, nt.touch, nt.due_from, nt.abandoned_at), ""
    return None


def _past_touches(c: Connection, now: datetime) -> list[PastTouch]:
    # prefetched by candidates() (an empty list included); read here for a lone connection
    if hasattr(c, "recent_touches"):
        touches: list[Touchpoint] = c.recent_touches
    else:
        since = now - HORIZON - timedelta(days=2)
        touches = list(c.touchpoints.filter(at__gte=since))
    return [PastTouch(t.at, t.abandoned_at, t.outcome, t.snoozed_until) for t in touches]


def template_set_of(c: Connection) -> str:
    """The template set of the connection's cadence variant ("" for the standard texts)."""
    if c.variant_id is None or c.variant is None:
        return STANDARD
    return c.variant.template_set


def message_for(
    c: Connection, key: str, touch: int, channel: str = EMAIL, book: Book | None = None
) -> Message:
    """The stored template for this key, touch and channel (in the set of the connection's
    variant where it has one), filled for one connection; an SMS is shortened before its link
    to fit."""
    link = c.link
    url = link.url if link else ""
    message = render_message(
        key,
        customer_name=link.customer_name if link else "",
        link_url=url,
        subjects=c.message_subjects,
        org=link.org_name if link else "",
        template=template_for(key, touch, channel, book, template_set_of(c)),
    )
    if channel == SMS:
        return replace(message, subject="", body=shorten_sms(message.body, url))
    return message


def due_for(
    c: Connection, now: datetime, *, channel: str = EMAIL, book: Book | None = None
) -> DueTouch | None:
    found = next_touch_of(c, now)
    if found is None:
        return None
    nt, key = found
    if nt.state != CadenceState.DUE:
        return None
    return DueTouch(c, nt, key, message_for(c, key, nt.touch or 1, channel, book))


def due_touches(now: datetime, *, channel: str = EMAIL) -> Iterator[DueTouch]:
    """Every touch due now, longest-waiting abandonment first, streamed in chunks, each with
    its message on `channel` (email, or SMS for an SMS hook)."""
    book = template_book()  # one query for every template, whatever the number of touches
    for c in candidates(now).iterator(chunk_size=SCAN_CHUNK):
        due = due_for(c, now, channel=channel, book=book)
        if due is not None:
            yield due


# --- where each customer to re-engage stands ---------------------------------------------------


class Standing(models.TextChoices):
    """Where a customer's re-engagement stands: the home page's counts and the connections
    list's "Re-engagement" filter read it from here, the queue's "Due now" is DUE."""

    DUE = "due", "Due now"
    WAITING = "waiting", "Waiting for the next touch"
    FINISHED = "finished", "Cadence finished"
    OPTED_OUT = "opted_out", "Do not contact"


def to_reengage() -> QuerySet[Connection]:
    """Customers whose next action asks something of them (actors.CUSTOMER_ACTIONS)."""
    return Connection.objects.filter(next_action__in=CUSTOMER_ACTIONS)


def due_ids(now: datetime) -> list[int]:
    """The connections with a touch due now: the queue's "Due now", every one of them."""
    return [d.connection.pk for d in due_touches(now)]


def _finished(now: datetime) -> Q:
    """The cadence of the current abandonment is over (cadence.next_touch's MARKETING and
    SKIPPED): past the horizon, touch 3 sent, or a touch skipped."""
    this = Touchpoint.objects.filter(connection=OuterRef("pk"), abandoned_at=OuterRef("anchor"))
    ended = this.filter(
        Q(outcome=Touchpoint.Outcome.SKIPPED) | Q(touch=3, outcome=Touchpoint.Outcome.SENT)
    )
    return Q(anchor__lt=now - HORIZON) | Q(Exists(ended))


def standing_rows(
    rows: QuerySet[Connection], standing: str, now: datetime, due: list[int] | None = None
) -> QuerySet[Connection]:
    """The rows of `rows` in one standing. DUE may hold a connection still In progress (an
    abandonment seen by webhook); the others are customers to re-engage, split exactly."""
    due = due_ids(now) if due is None else due
    if standing == Standing.DUE:
        return rows.filter(pk__in=due)
    opted_out = Q(link__do_not_contact=True)
    reengage = rows.filter(next_action__in=CUSTOMER_ACTIONS).alias(anchor=_anchor())
    if standing == Standing.OPTED_OUT:
        return reengage.filter(opted_out)
    open_ = reengage.exclude(opted_out)
    if standing == Standing.FINISHED:
        return open_.filter(_finished(now))
    return open_.exclude(_finished(now)).exclude(pk__in=due)


def standing_counts(now: datetime) -> dict[str, dict[str, int]]:
    """For each next action: how many customers stand where. One scan for the due touches and
    one GROUP BY for the rest, with standing_rows' conditions."""
    counts: dict[str, dict[str, int]] = {}
    due: list[int] = []
    for d in due_touches(now):
        due.append(d.connection.pk)
        per = counts.setdefault(d.connection.next_action, {})
        per[Standing.DUE] = per.get(Standing.DUE, 0) + 1
    opted_out = Q(link__do_not_contact=True)
    open_ = ~opted_out & ~_finished(now)
    rows = (
        to_reengage()
        .alias(anchor=_anchor())
        .order_by()
        .values_list("next_action")
        .annotate(
            opted_out=Count("pk", filter=opted_out),
            finished=Count("pk", filter=~opted_out & _finished(now)),
            waiting=Count("pk", filter=open_ & ~Q(pk__in=due)),
        )
    )
    for action, opted, finished, waiting in rows:
        per = counts.setdefault(action, {})
        per.update({Standing.OPTED_OUT: opted, Standing.FINISHED: finished})
        per[Standing.WAITING] = waiting
    return counts
