"""The conversion funnel of the links leapdash built: created → opened → utility login tried →
utility connected → completed → meters arrived, per flow, with drop-offs by error code.

Stages are joined on the refId (as the never-opened tab is), so a link and its Connect entry
meet even when the link was made after the connection was first synced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet

from leapdash import kept as kept_counts
from leapdash.kept import Kept
from links.models import Link
from meters.arrival import meters_of_connection

from .actors import error_actor
from .choices import ConnectionStatus, ErrorCode, UtilityStatus, label_of
from .experiments import CHART_DAYS, ArmResult, Comparison, Customer, compare, summarise
from .models import Connection, Experiment, Touchpoint, UtilityConnection

STAGES = (
    ("created", "Links created"),
    ("opened", "Opened the link"),
    ("attempted", "Tried a utility login"),
    ("connected", "Connected a utility"),
    ("completed", "Completed"),
    ("meters", "Meters arrived (customers)"),
)
# The SVG chart's geometry in px; bar widths are percentages of the chart's width, so the
# chart fills any screen while its text keeps its size (labels sit above their bars).
STEP_HEIGHT = 50
BAR_HEIGHT = 18


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    count: int
    of_links: float | None  # % of links created
    of_previous: float | None  # % of the previous stage
    lost: int  # dropped since the previous stage
    y: int
    width: str  # of the chart, e.g. "62.5%"

    @property
    def text_y(self) -> int:
        return self.y + 14

    @property
    def bar_y(self) -> int:
        return self.y + 22


def stage_annotations() -> dict[str, Exists | Q]:
    ref = OuterRef("ref_id")
    connection = Connection.objects.filter(ref_id=ref)
    utility = UtilityConnection.objects.filter(connection__ref_id=ref)
    return {
        "opened": Q(first_opened_at__isnull=False),  # the link list's "Opened"
        # NOT_STARTED: opened the link, never logged in to a utility (Leap's step 1)
        "attempted": Exists(connection.exclude(status=ConnectionStatus.NOT_STARTED)),
        "connected": Exists(utility.filter(status=UtilityStatus.CONNECTED)),
        "completed": Exists(connection.filter(status=ConnectionStatus.COMPLETED)),
        # a meter carries the refId (meters.arrival's rule): re-authorizing customers too
        "meters": meters_of_connection(),
    }


def per_flow(links: QuerySet[Link]) -> list[dict[str, Any]]:
    """One GROUP BY over the filtered links: each stage's count per flow."""
    counts = {key: Count("pk", filter=Q(**{f"s_{key}": True})) for key, _ in STAGES[1:]}
    named = {f"s_{key}": expr for key, expr in stage_annotations().items()}
    rows = (
        links.annotate(**named)
        .order_by()
        .values("flow_id", "flow__org_name", "flow__title", "flow__campaign")
        .annotate(created=Count("pk"), **counts)
        .order_by("flow__org_name", "flow__title")
    )
    return list(rows)


FAMILY = "connections:funnel"
# nothing here moves with the clock: kept counts go when a sync or a link changes them
MAX_AGE = timedelta(hours=2)


@dataclass(frozen=True)
class FunnelCounts:
    flows: list[dict[str, Any]]
    errors: list[dict[str, Any]]


def funnel_counts(links: QuerySet[Link]) -> FunnelCounts:
    return FunnelCounts(per_flow(links), error_dropoffs(links))


def kept_funnel(name: str, links: QuerySet[Link], now: datetime) -> Kept[FunnelCounts]:
    """The stages and drop-offs of `links` (the filter `name` chose), kept (leapdash.kept):
    at 10^6 links they cost seconds to work out."""
    return kept_counts.kept(FAMILY, name, now, MAX_AGE, lambda: funnel_counts(links))


def keep_unfiltered_funnel(now: datetime) -> None:
    kept_counts.keep(FAMILY, "", now, MAX_AGE, lambda: funnel_counts(Link.objects.all()))


def forget_funnel(**_: Any) -> None:
    kept_counts.forget(FAMILY)


def stages_of(totals: dict[str, int]) -> list[Stage]:
    top = max(totals.get("created", 0), 1)
    result: list[Stage] = []
    previous: int | None = None
    for i, (key, label) in enumerate(STAGES):
        n = totals.get(key, 0)
        result.append(
            Stage(
                key=key,
                label=label,
                count=n,
                of_links=100 * n / totals["created"] if totals.get("created") else None,
                of_previous=100 * n / previous if previous else None,
                lost=(previous - n) if previous is not None else 0,
                y=i * STEP_HEIGHT,
                width=f"{max(0.5, 100 * n / top):.1f}%" if n else "0",
            )
        )
        previous = n
    return result


def error_dropoffs(links: QuerySet[Link]) -> list[dict[str, Any]]:
    """Connections of these links that are not completed, by the error code they hit."""
    rows = (
        UtilityConnection.objects.filter(
            connection__ref_id__in=links.values("ref_id"), status=UtilityStatus.ERROR
        )
        .exclude(connection__status=ConnectionStatus.COMPLETED)
        .values("error_code")
        .annotate(connections=Count("connection", distinct=True))
        .order_by("-connections", "error_code")
    )
    return [
        {
            **r,
            "label": label_of(ErrorCode, r["error_code"] or None),
            "who_acts": error_actor(r["error_code"]).label,
        }
        for r in rows
    ]


# --- the Variants section: each experiment's arms side by side -------------------------------

SENT = Touchpoint.Outcome.SENT
CHART_WIDTH, CHART_TOP = 100, 100  # the completion chart's viewBox; it stretches to the page


@dataclass(frozen=True)
class ArmRow:
    name: str
    holdout: bool
    result: ArmResult
    comparison: Comparison | None  # against the first variant; None for the first
    points: str  # the chart's polyline, in viewBox units

    @property
    def rate_percent(self) -> float | None:
        rate = self.result.rate
        return None if rate is None else 100 * rate


def _points(by_day: tuple[float, ...]) -> str:
    step = CHART_WIDTH / CHART_DAYS
    return " ".join(
        f"{d * step:.1f},{CHART_TOP * (1 - share):.1f}" for d, share in enumerate(by_day)
    )


def variant_sections(links: QuerySet[Link]) -> list[dict[str, Any]]:
    """Every experiment on these links' flows, newest first, with each arm's conversion."""
    experiments = list(
        Experiment.objects.filter(flow__in=links.values("flow"))
        .select_related("flow")
        .prefetch_related("variants")
    )
    if not experiments:
        return []
    rows = Connection.objects.filter(variant__experiment__in=experiments, link__in=links)
    per_arm = arrivals(rows, "variant_id")
    return [{"experiment": e, "arms": _arms(e, per_arm)} for e in experiments]


def arrivals(rows: QuerySet[Connection], key: str) -> dict[Any, list[Customer]]:
    """The assigned customers among `rows`, as experiments.summarise() reads them, by `key`."""
    found: dict[Any, list[Customer]] = {}
    values = rows.annotate(
        first_touch=Min("touchpoints__at", filter=Q(touchpoints__outcome=SENT))
    ).values_list(key, "status", "started_at", "last_interaction_at", "first_touch")
    for arm, status, started_at, last_at, first_touch in values:
        completed = last_at if status == ConnectionStatus.COMPLETED else None
        found.setdefault(arm, []).append(Customer(started_at or last_at, completed, first_touch))
    return found


def compared(arms: list[tuple[str, bool, ArmResult]]) -> list[ArmRow]:
    """Each arm with its chart line, and against the first one (the baseline)."""
    base = arms[0][2] if arms else None
    return [
        ArmRow(
            name,
            holdout,
            result,
            compare(base.completed, base.abandoned, result.completed, result.abandoned)
            if base is not None and i
            else None,
            _points(result.by_day),
        )
        for i, (name, holdout, result) in enumerate(arms)
    ]


def _arms(experiment: Experiment, per_arm: dict[int, list[Customer]]) -> list[ArmRow]:
    return compared(
        [(v.name, v.holdout, summarise(per_arm.get(v.pk, []))) for v in experiment.variants.all()]
    )
