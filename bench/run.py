"""leapdash benchmarks: `python -m bench.run [--quick] [--only sync,table,...]`.

Full scale: sync of 100,000 sandbox connections (memory compared with 10,000), the connections
table at 10^6 vs 10^3 rows, reconciliation of 10^6 meters × 10^6 partner records, CSV import of
10,000 links and export of 10^6 connections, parsing of Connect and Meters pages. --quick runs
everything at a tenth of that. Databases are named after DATABASE_URL's (default
leapdash_bench → leapdash_bench_sandbox_100000, …) and reused while their seed parameters and
the migrations are unchanged. Progress goes to stderr; the table to stdout and
bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench import csvio, pages, parse, reconcile, sync, table
from bench.common import Row, say, write_results
from bench.common import table as render

SECTIONS = ("sync", "parse", "table", "csv", "reconcile", "pages")


def scales(quick: bool) -> dict[str, int]:
    tenth = 10 if quick else 1
    return {
        "sync_connections": 100_000 // tenth,
        "sync_connections_small": 10_000 // tenth,
        # the naive baseline writes one transaction per row: a subset, compared per record
        "naive_subset": 500 if quick else 2_000,
        "table_connections": 1_000_000 // tenth,
        "table_connections_small": 1_000,
        "reconcile_rows": 1_000_000 // tenth,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1/10 scale smoke run")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    args = parser.parse_args()
    only = set(args.only.split(","))
    scale = scales(args.quick)
    load = os.getloadavg()
    say(f"{'quick' if args.quick else 'full'} scale: {scale}; load average {load}")
    started = time.monotonic()
    rows: list[Row] = []
    explain = ""

    if only & {"sync", "parse"}:
        if "sync" in only:
            with sync.sandbox_server(scale["sync_connections_small"]) as server:
                sync.measure_small(server, scale["sync_connections_small"])
        with sync.sandbox_server(scale["sync_connections"]) as server:
            if "sync" in only:
                rows += sync.measure(server, scale["sync_connections"], scale["naive_subset"])
            if "parse" in only:
                rows += parse.measure(server)
    if "table" in only:
        table_rows, explain = table.measure(
            scale["table_connections"], scale["table_connections_small"]
        )
        rows += table_rows
    if "csv" in only:
        rows += csvio.measure_import()
        big = scale["table_connections"]
        rows += csvio.measure_export(table.table_db(big), big)
    if "reconcile" in only:
        rows += reconcile.measure(scale["reconcile_rows"])
    if "pages" in only:
        rows += pages.measure(
            scale["table_connections"], scale["table_connections_small"], scale["reconcile_rows"]
        )

    seconds = time.monotonic() - started
    print(render(rows))
    if explain:
        print("\nEXPLAIN of the slowest connections-table query at full size:\n")
        print(explain)
    info = {**scale, "quick": args.quick, "load_average_at_start": load, "explain": explain}
    # a run of some sections only must not replace the last complete run's results
    name = "latest.json" if only >= set(SECTIONS) else "partial.json"
    path = write_results(rows, info, seconds, name)
    failed = [r.measure for r in rows if r.passed is False]
    say(f"done in {seconds / 60:.1f} min; {len(failed)} target(s) missed; results in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
