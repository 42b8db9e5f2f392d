"""The simulated world: a database of its own, the sandbox as Leap over real HTTP, a receiver
for the outgoing hook, and a clock that beat would tick.

Every 15 simulated minutes (a tick): the customers' actions since the last tick happen in the
sandbox at their own times; Leap delivers the due webhook events (only for customers whose
partner has webhooks on); on the hour the Connect and meters syncs run (the sandbox refreshes
its Connect data hourly, as Leap does); program managers skip what they chose to skip in the
queue; then the outgoing hook posts the due touches. All of it is leapdash's own code: the
tasks, the webhook endpoint, the queue's view, the hook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import requests
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.db import connections
from psycopg import sql

from .population import TICK, Customer

SIGNING_SECRET = "simulation-signing-secret"
ORG = "sim-energy"


@dataclass(frozen=True)
class Touch:
    key: str
    ref_id: str
    touch: int
    abandoned_at: datetime
    at: datetime
    message_key: str


class Receiver:
    """The partner's email/SMS tool: verifies each signature, dedupes on the idempotency key
    (as a receiver should), and keeps what it got."""

    def __init__(self) -> None:
        self.touches: list[Touch] = []
        self.keys: set[str] = set()
        self.repeats: dict[str, int] = {}
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def setup(self) -> None:
                super().setup()
                _no_delay(self.connection)

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.take(raw, self.headers.get("X-Leapdash-Signature", ""))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/touches"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, raw: bytes, signature: str) -> None:
        if not signature_ok(SIGNING_SECRET, raw, signature):
            self.bad_signatures += 1
            return
        body = json.loads(raw)
        key = body["idempotency_key"]
        if key in self.keys:
            self.repeats[key] = self.repeats.get(key, 0) + 1
            return
        self.keys.add(key)
        self.touches.append(
            Touch(
                key,
                body["ref_id"],
                body["touch"],
                datetime.fromisoformat(body["abandoned_at"]),
                datetime.fromisoformat(body["sent_at"]),
                body["message_key"],
            )
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def own_database(prefix: str) -> Iterator[str]:
    """A database of its own on the configured PostgreSQL server, migrated, dropped at the end."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("simulate_campaign needs PostgreSQL (DATABASE_URL)")
    name = f"{prefix}_{datetime.now().strftime('%H%M%S')}_{threading.get_native_id()}"
    server: dict[str, Any] = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": int(db.get("PORT") or 5432),
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**server) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        # a throwaway database: commits need not wait for the disk
        admin.execute(
            sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name))
        )
    connections.close_all()
    original = db["NAME"]
    db["NAME"] = name
    connections["default"].settings_dict["NAME"] = name
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield name
    finally:
        connections.close_all()
        db["NAME"] = original
        connections["default"].settings_dict["NAME"] = original
        with psycopg.connect(**server) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class QuietHandler(WSGIRequestHandler):
    def setup(self) -> None:
        super().setup()
        if isinstance(self.request, socket.socket):
            _no_delay(self.request)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        pass


def _no_delay(sock: socket.socket) -> None:
    """Answers go out at once: without this, small local requests each wait ~40 ms for a
    delayed acknowledgement."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


@contextmanager
def served() -> Iterator[str]:
    """leapdash itself (sandbox, webhook endpoint) over real HTTP on a free local port."""
    # static files are not served here: whitenoise need not warn that none were collected
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.daemon_threads = True
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def pointed_at(base: str) -> Iterator[None]:
    """Leap is the sandbox at `base`."""
    names = ["LEAP_API_BASE_URL", "LEAP_CONNECT_BASE_URL", "LEAP_DIRECT_BASE_URL"]
    saved = {n: getattr(settings, n) for n in names}
    settings.LEAP_API_BASE_URL = f"{base}/sandbox/api"
    settings.LEAP_CONNECT_BASE_URL = f"{base}/sandbox/connect"
    settings.LEAP_DIRECT_BASE_URL = f"{base}/sandbox/direct"
    try:
        yield
    finally:
        for n, v in saved.items():
            setattr(settings, n, v)


class Clock:
    """The simulated clock: every thread (the servers' too) reads it."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self._travel = time_machine.travel(start, tick=False)
        self._traveller = self._travel.start()

    def move_to(self, at: datetime) -> None:
        self.now = at
        self._traveller.move_to(at)

    def stop(self) -> None:
        self._travel.stop()


def ticks(start: datetime, days: int) -> Iterator[datetime]:
    at = start
    end = start + timedelta(days=days)
    while at <= end:
        yield at
        at += TICK


def post_webhooks_for(customers: dict[str, Customer]) -> Any:
    """Leap's delivery, but only for customers whose partner subscribed to webhooks: the
    others' events are acknowledged here and never reach leapdash."""

    def post(url: str, **kwargs: Any) -> requests.Response:
        payload = kwargs.get("json", {}).get("payload", {})
        customer = customers.get(payload.get("partner_reference", ""))
        if customer is not None and customer.webhooks:
            return requests.post(url, **kwargs)
        dropped = requests.Response()
        dropped.status_code = 200
        return dropped

    return post


def signature_ok(secret: str, raw: bytes, header: str) -> bool:
    """X-Leapdash-Signature checked as README tells a receiver to."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    mac = hmac.new(secret.encode(), fields.get("t", "").encode() + b"." + raw, hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), fields.get("v1", ""))
