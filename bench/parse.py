"""5. Parsing: records per second of the client's page reading (records.decode_body, the
envelope, each record) on Connect and Meters pages, against json.loads alone on the same
bytes (fetched once from the sandbox server, then parsed in memory, so the network is out of
both figures)."""

from __future__ import annotations

import time
from typing import Any

from bench.common import REPS, Row, Server, child_env, child_main, median, ratio_row, run_child
from bench.sync import API_KEY

PAGES = 20
PAGE_SIZE = 500
ROUNDS = 3  # passes over the pages per timing


def measure(server: Server) -> list[Row]:
    answer = run_child("parse", "parse", {"base_url": server.url}, child_env(server.database))
    section = "parse"
    rows = []
    for kind in ("connections", "meters"):
        d = answer.data[kind]
        rows.append(
            ratio_row(section, f"parse: {kind} pages, records.py (bytes → records), records/s",
                      d["parse_rate"], d["loads_rate"], "rec/s", "json.loads alone", 0,
                      at_least=True,
                      note=f"{d['records']:,} records, {d['bytes'] / 1e6:.1f} MB; "
                           f"parse costs {d['loads_rate'] / d['parse_rate']:.1f}× json.loads",
                      samples=d["parse_samples"])
        )  # fmt: skip
        rows[-1].passed = None
        rows[-1].target = ""
    return rows


# --- child ----------------------------------------------------------------------------------


def _fetch_pages(base: str) -> dict[str, list[bytes]]:
    from urllib.parse import quote

    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {API_KEY}"
    pages: dict[str, list[bytes]] = {"connections": [], "meters": []}
    token = None
    while len(pages["connections"]) < PAGES:
        url = f"{base}/v1.1/connections?page-size={PAGE_SIZE}"
        if token:
            url += "&page-token=" + quote(token, safe="")
        response = session.get(url, timeout=120)
        response.raise_for_status()
        pages["connections"].append(response.content)
        token = response.json().get("nextPageToken")
        if not token:
            break
    token = None
    while len(pages["meters"]) < PAGES:
        body: dict[str, Any] = {"page_size": PAGE_SIZE}
        if token:
            body["page_token"] = token
        response = session.post(f"{base}/v2/meters/search", json=body, timeout=120)
        response.raise_for_status()
        pages["meters"].append(response.content)
        token = response.json().get("next_page_token")
        if not token:
            break
    return pages


def _parse(args: dict[str, Any]) -> dict[str, Any]:
    import json

    from leapdash.leap import records as rec

    pages = _fetch_pages(args["base_url"] + "/sandbox/api")
    split = {"connections": rec.connections_page, "meters": rec.search_page}
    parse = {"connections": rec.parse_connection, "meters": rec.parse_meter}
    clean = {"connections": rec.clean_connection, "meters": rec.clean_meter}
    answer = {}
    for kind, bodies in pages.items():
        count = sum(len(split[kind](json.loads(b))[0]) for b in bodies)
        assert count, f"the sandbox served no {kind}"

        def loads_only(bodies: list[bytes] = bodies) -> None:
            for body in bodies:
                json.loads(body)

        def full(bodies: list[bytes] = bodies, kind: str = kind) -> None:
            # as the client reads a page: decode_body, the envelope, then each record
            for body in bodies:
                decoded = rec.decode_body(body)
                items, _ = split[kind](decoded.data)
                read = clean[kind] if decoded.clean else parse[kind]
                for item in items:
                    read(item)

        samples: dict[str, list[float]] = {}
        for name, fn in (("loads", loads_only), ("parse", full)):
            samples[name] = []
            for _ in range(REPS):
                started = time.perf_counter()
                for _ in range(ROUNDS):
                    fn()
                samples[name].append((time.perf_counter() - started) / ROUNDS)
        answer[kind] = {
            "records": count,
            "bytes": sum(len(b) for b in bodies),
            "loads_rate": count / median(samples["loads"]),
            "parse_rate": count / median(samples["parse"]),
            "parse_samples": samples["parse"],
        }
    return answer


if __name__ == "__main__":
    child_main({"parse": _parse})
