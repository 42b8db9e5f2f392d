"""6. Every list page at 10^6 rows vs 10^3, through the real views, with the same query count.

The connection pages (home, never opened, links, overdue, queue, funnel) read the connections
table's databases (bench/table.py, which also generates a link per customer); the meter pages
(meters, partner records, each reconciliation tab) read the reconciliation's (bench/reconcile.py),
after one full reconciliation. Each page is requested as a logged-in program manager; the time is
the request's wall time in-process (view, queries, template), the median of several requests after
one warm-up. Where a list at 10^3 ends before page 100, its last page stands in for page 100 (the
pager would serve that page for page 100 too, after counting the list once more).
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import (
    Row,
    child_env,
    child_main,
    median,
    pm_client,
    ratio_row,
    run_child,
    say,
)
from bench.reconcile import reconcile_db
from bench.table import table_db

REQUESTS = 5  # per page, after one warm-up
BOTH = (1, 100)
SINGLE = (0,)  # a page without pages

CONNECTION_PAGES = {
    "home": ("/", SINGLE),
    "never opened": ("/connections/?view=unopened", BOTH),
    "links": ("/links/", BOTH),
    "overdue": ("/meters/overdue/", BOTH),
    "queue": ("/connections/queue/", SINGLE),
    "funnel": ("/connections/funnel/", SINGLE),
}
METER_PAGES = {
    "meters": ("/meters/", BOTH),
    "partner records": ("/meters/partners/", BOTH),
}


def _label(name: str, page: int) -> str:
    return f"{name} page {page}" if page else name


def measure(big: int, small: int, reconcile_big: int) -> list[Row]:
    answers: dict[int, dict[str, Any]] = {}
    for size, meters in ((small, small), (big, reconcile_big)):
        answer = run_child("pages", "pages", {"kind": "connections"}, child_env(table_db(size)))
        meter_answer = run_child(
            "pages", "pages", {"kind": "meters"}, child_env(reconcile_db(meters))
        )
        answers[size] = {**answer.data, **meter_answer.data}
        say(f"pages at {size:,} connections and {meters:,} meters: measured")
    section = f"6. Pages ({big:,} vs {small:,} rows)"
    rows = []
    for key, b in answers[big].items():
        s = answers[small][key]
        note = f"{b['queries']} vs {s['queries']} queries"
        if b["queries"] != s["queries"]:
            note += " (QUERY COUNTS DIFFER)"
        row = ratio_row(
            section, f"page: {key} server time", b["ms"], s["ms"], "ms", f"{small:,}", 2,
            note=note, samples=b["samples"],
        )  # fmt: skip
        row.passed = row.passed and b["queries"] == s["queries"]
        rows.append(row)
    return rows


# --- child ----------------------------------------------------------------------------------


def _pages_of(kind: str) -> dict[str, tuple[str, tuple[int, ...]]]:
    if kind == "connections":
        return CONNECTION_PAGES
    from meters.models import Category

    tabs = {
        f"reconciliation tab {value.replace('_', ' ')}": (
            f"/meters/reconciliation/?category={value}",
            BOTH,
        )
        for value in Category.values
    }
    return {**METER_PAGES, **tabs}


def _pages(args: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if args["kind"] == "meters":
        from django.utils import timezone

        from meters.reconcile import latest_run, reconcile
        from meters.tasks import overdue_after

        if latest_run() is None:
            reconcile(now=timezone.now(), overdue_after=overdue_after())
            with connection.cursor() as cursor:  # as bench/reconcile.py leaves its findings
                cursor.execute("VACUUM ANALYZE meters_reconciliationresult")
    client = pm_client()
    answer: dict[str, Any] = {}
    for name, (url, pages) in _pages_of(args["kind"]).items():
        for page in pages:
            full = f"{url}{'&' if '?' in url else '?'}page={page}" if page else url
            response = client.get(full)  # warm-up
            assert response.status_code == 200, (full, response.status_code)
            served = response.context["page"].number if page else page
            if served < page:  # the list ends sooner: measure its last page instead
                full = f"{url}{'&' if '?' in url else '?'}page={served}"
                client.get(full)
            samples = []
            for _ in range(REQUESTS):
                started = time.perf_counter()
                client.get(full)
                samples.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as queries:
                client.get(full)
            answer[_label(name, page)] = {
                "ms": median(samples),
                "samples": samples,
                "queries": len(queries.captured_queries),
            }
    return answer


if __name__ == "__main__":
    child_main({"pages": _pages})
