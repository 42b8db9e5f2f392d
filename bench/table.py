"""2. The connections table at 10^6 connections vs 10^3, through the real view.

The rows are generated in PostgreSQL (INSERT … SELECT generate_series: deterministic, no
sandbox): a realistic mix of statuses, regions, next actions and one or two utility rows per
connection, with a Leap-sized raw document. Each page is requested by Django's test Client as a
logged-in program manager; the server time is the request's wall time in-process (view,
queries, template), the median of several requests after one warm-up.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import (
    Row,
    child_env,
    child_main,
    db_name,
    ensure_db,
    median,
    pm_client,
    ratio_row,
    run_child,
    say,
)

SEARCH = "spring-ev"  # one campaign in five: ~20% of refIds contain it
CASES = {
    "a. no filter": "",
    "b. status=ERROR + utility=pge": "status=ERROR&utility=pge",
    f"c. search refId '{SEARCH}'": f"q={SEARCH}",
}
PAGES = (1, 100)
REQUESTS = 5  # per page, after one warm-up

CAMPAIGNS = "ARRAY['home-battery', 'commercial-solar', 'ny-dr', 'spring-ev', 'summer-dr']"
ERRORS = (
    "ARRAY['BAD_LOGIN', 'UTILITY_WEBSITE_DOWN', 'UTILITY_ERROR', 'ACCOUNT_LOCKED', "
    "'MFA_UNSUPPORTED', 'UNKNOWN_ERROR', 'UTILITY_RATE_LIMITED', 'PENDING_MANUAL_REVIEW', "
    "'NO_METERS_FOUND', 'USER_CANCELED']"
)
CAISO = "ARRAY['pge', 'sce', 'sdge']"
CAISO_NAMES = (
    "ARRAY['PG&E: Pacific Gas & Electric', 'SCE: Southern California Edison', "
    "'SDG&E: San Diego Gas & Electric']"
)
NYISO = "ARRAY['cecony-utilityapi', 'oru-utilityapi', 'psegli-utilityapi']"
NYISO_NAMES = (
    "ARRAY['ConEd: Consolidated Edison', 'O&RU: Orange and Rockland Utilities', "
    "'PSEG-LI: PSEG Long Island']"
)

# One row per connection: bucket b (0-99) picks the status, region is NYISO for i % 10 = 0
# (exactly 10%, which the export uses as its 10^5 subset), times spread over 30 days.
GENERATE = f"""
CREATE TEMP TABLE gen AS
SELECT i,
  ({CAMPAIGNS})[1 + i % 5] || '-' || lpad(i::text, 7, '0') AS ref_id,
  (i * 7919) % 100 AS b,
  CASE WHEN i % 10 = 0 THEN 'NYISO' ELSE 'CAISO' END AS region,
  TIMESTAMPTZ '2026-01-05 12:00+00' - ((i * 104729) % 2592000) * INTERVAL '1 second' AS last_at
FROM generate_series(1::bigint, %(n)s) AS i;

INSERT INTO connections_connection (ref_id, leap_id, transmission_region, started_at,
  last_interaction_at, status, prohibited_resource_attestation, demand_response_participation,
  required_missing, utility_ids, unknown_values, next_action, next_action_reason, message_key,
  message_subjects, actionable_at, fingerprint, raw, first_synced_at, last_synced_at)
SELECT ref_id, md5(ref_id), region, last_at - INTERVAL '20 minutes', last_at, status,
  'NOT_REQUIRED', 'NOT_REQUIRED', status = 'PARTIAL', '', '[]',
  CASE status WHEN 'COMPLETED' THEN 'WAIT_FOR_METERS' WHEN 'ERROR' THEN 'TAILORED_MESSAGE'
    WHEN 'PARTIAL' THEN 'CONNECT_REQUIRED_UTILITY' ELSE 'RESEND_LINK' END,
  '', CASE WHEN status = 'ERROR' THEN 'error.' || lower(err) ELSE '' END, '[]',
  last_at + INTERVAL '1 hour', md5(ref_id || 'f'),
  jsonb_build_object('id', md5(ref_id), 'ref_id', ref_id, 'transmission_region', region,
    'connection_status', status, 'start_date_time_utc', last_at - INTERVAL '20 minutes',
    'last_interaction_date_time_utc', last_at,
    'agreements', jsonb_build_object('prohibited_resource_attestation_status', 'NOT_REQUIRED',
       'demand_response_participation_agreement_status', 'NOT_REQUIRED'),
    'utility_connections', jsonb_build_array(jsonb_build_object(
       'authorization_uuid', md5(ref_id || 'a'), 'utility_name', uname, 'status', ustatus,
       'error_code', CASE WHEN status = 'ERROR' THEN err END, 'utility_is_required', true,
       'start_date_time_utc', last_at - INTERVAL '20 minutes',
       'last_interaction_date_time_utc', last_at))),
  last_at, last_at
FROM (
  SELECT g.*,
    CASE WHEN b < 60 THEN 'COMPLETED' WHEN b < 80 THEN 'ERROR' WHEN b < 88 THEN 'PARTIAL'
      ELSE 'NOT_STARTED' END AS status,
    CASE WHEN b < 60 OR (b >= 80 AND b < 88) THEN 'CONNECTED' WHEN b < 80 THEN 'ERROR'
      ELSE 'NOT_CONNECTED' END AS ustatus,
    ({ERRORS})[1 + i % 10] AS err,
    CASE WHEN region = 'NYISO' THEN ({NYISO_NAMES})[1 + i % 3] ELSE ({CAISO_NAMES})[1 + i % 3] END
      AS uname
  FROM gen g
) x;

INSERT INTO connections_utilityconnection (connection_id, position, authorization_uuid,
  utility_name, utility_id, utility_is_required, status, error_code, started_at,
  last_interaction_at)
SELECT c.id, 0, md5(c.ref_id || 'a'), u->>'utility_name',
  CASE WHEN c.transmission_region = 'NYISO' THEN ({NYISO})[1 + c.id % 3]
    ELSE ({CAISO})[1 + c.id % 3] END,
  true, u->>'status', COALESCE(u->>'error_code', ''), c.started_at, c.last_interaction_at
FROM connections_connection c, jsonb_array_elements(c.raw->'utility_connections') u;

-- a second, required utility not yet connected: every PARTIAL one and 1 in 7 of the rest
INSERT INTO connections_utilityconnection (connection_id, position, authorization_uuid,
  utility_name, utility_id, utility_is_required, status, error_code, started_at,
  last_interaction_at)
SELECT c.id, 1, md5(c.ref_id || 'b'), 'second utility',
  CASE WHEN c.transmission_region = 'NYISO' THEN ({NYISO})[1 + (c.id + 1) % 3]
    ELSE ({CAISO})[1 + (c.id + 1) % 3] END,
  true, 'NOT_CONNECTED', '', c.started_at, c.last_interaction_at
FROM connections_connection c WHERE c.status = 'PARTIAL' OR c.id % 7 = 0;

-- each customer's link, sent a day before they opened it, and one link in ten never opened
-- (half of those sent); 5% of completed connections have waited too long for their meters
INSERT INTO links_link (kind, org_name, ref_id, customer_name, customer_email,
  customer_external_id, customer_type, utility, requested_utilities, redirect_params, url,
  created_at, sent_at, first_opened_at, do_not_contact)
SELECT 'connect', 'acme', ref, 'Customer ' || i, 'customer' || i || '@example.com', '',
  'residential', '', '[]', '{{}}', 'https://app.leap.energy/connect/acme?refId=' || ref,
  created, CASE WHEN opened IS NOT NULL OR i % 2 = 0 THEN created END, opened, false
FROM (
  SELECT i, ref_id AS ref, last_at - INTERVAL '1 day' AS created,
    last_at - INTERVAL '20 minutes' AS opened FROM gen
  UNION ALL
  SELECT i, 'unopened-' || lpad(i::text, 7, '0'), last_at - INTERVAL '1 day', NULL
  FROM gen WHERE i % 10 = 3
) l;
UPDATE connections_connection c SET link_id = l.id FROM links_link l WHERE l.ref_id = c.ref_id;
UPDATE connections_connection SET next_action = 'METERS_OVERDUE'
WHERE status = 'COMPLETED' AND id % 20 = 1;

-- what the sync stores alongside: every utility id tried, as ",pge,sce,"
UPDATE connections_connection c SET utility_ids = ',' || u.ids || ','
FROM (SELECT connection_id, string_agg(DISTINCT utility_id, ',' ORDER BY utility_id) AS ids
      FROM connections_utilityconnection GROUP BY connection_id) u
WHERE u.connection_id = c.id;

-- the generated rows are the starting state, not changes since a reconciliation
TRUNCATE meters_touchedreference;
"""


def table_db(connections: int) -> str:
    database = db_name(f"table_{connections}")

    def build(name: str) -> None:
        started = time.monotonic()
        import psycopg

        from bench.common import db_url

        with psycopg.connect(db_url(name), autocommit=True) as conn:
            conn.execute(GENERATE.replace("%(n)s", str(int(connections))))
            conn.execute("VACUUM FULL connections_connection")  # the utility_ids UPDATE's bloat
            conn.execute("VACUUM ANALYZE")
        say(f"generated {connections:,} connections in {time.monotonic() - started:.0f}s")

    ensure_db(database, {"kind": "table", "connections": connections, "v": 4}, build)
    return database


def measure(big: int, small: int) -> tuple[list[Row], str]:
    """Rows of the table, and the EXPLAIN of the slowest query at the big size."""
    answers = {}
    for n in (small, big):
        database = table_db(n)
        answers[n] = run_child("table", "pages", {"explain": n == big}, child_env(database)).data
        say(f"connections table at {n:,}: measured")
    section = f"2. Connections table ({big:,} vs {small:,} connections)"
    rows = []
    for case in CASES:
        for page in PAGES:
            key = f"{case} p{page}"
            b, s = answers[big][key], answers[small][key]
            shown = f"{b['matching']:,}{'+' if b.get('capped') else ''}"
            note = f"{b['queries']} vs {s['queries']} queries; {shown} matching rows shown"
            if b["queries"] != s["queries"]:
                note += " (QUERY COUNTS DIFFER)"
            if b["ignored"]:
                note += " (filter NOT applied by the view)"
            row = ratio_row(
                section, f"{key} server time", b["ms"], s["ms"], "ms", f"{small:,}", 2,
                note=note, samples=b["samples"],
            )  # fmt: skip
            if b["queries"] != s["queries"] or b["ignored"]:
                row.passed = False
            rows.append(row)
    return rows, answers[big].get("explain", "")


# --- child ----------------------------------------------------------------------------------


def _pages(args: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from connections.models import Connection

    client = pm_client()
    url = reverse("connections:list")
    expected = {
        "": Connection.objects.count(),
        "status=ERROR&utility=pge": Connection.objects.filter(
            status="ERROR", utilities__utility_id="pge"
        )
        .distinct()
        .count(),
        f"q={SEARCH}": Connection.objects.filter(ref_id__icontains=SEARCH).count(),
    }
    answer: dict[str, Any] = {}
    slowest: tuple[float, str] = (0.0, "")
    for case, query in CASES.items():
        for page in PAGES:
            full = f"{url}?{query}&page={page}" if query else f"{url}?page={page}"
            response = client.get(full)  # warm-up
            assert response.status_code == 200, (full, response.status_code)
            samples = []
            for _ in range(REQUESTS):
                started = time.perf_counter()
                response = client.get(full)
                samples.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as queries:
                client.get(full)
            for q in queries.captured_queries:
                if float(q["time"]) > slowest[0]:
                    slowest = (float(q["time"]), q["sql"])
            # the table's total: exact, or capped ("10,000+": more than n rows)
            total = response.context["total"] if response.context else None
            shown = total.n if total is not None else -1
            capped = bool(total and total.capped)
            answer[f"{case} p{page}"] = {
                "ms": median(samples),
                "samples": samples,
                "queries": len(queries.captured_queries),
                "matching": shown,
                "capped": capped,
                "ignored": shown >= expected[query] if capped else shown != expected[query],
            }
    if args.get("explain") and slowest[1]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest[1])
            plan = "\n".join(r[0] for r in cursor.fetchall())
        answer["explain"] = f"-- {slowest[0] * 1000:.0f} ms\n{slowest[1]}\n\n{plan}"
    return answer


if __name__ == "__main__":
    child_main({"pages": _pages})
