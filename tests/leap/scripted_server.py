"""A real HTTP server on 127.0.0.1 that plays a script, one step per connection.

`responses` replaces the transport, so it cannot show how urllib3 itself handles a timeout,
a refused connection or a body cut short. This server can: each step either answers, stalls
until the client gives up, or sends fewer bytes than its Content-Length promises.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Step:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False  # read the request, never answer
    cut_short: bool = False  # promise more bytes than are sent, then close


@dataclass
class ScriptedServer:
    steps: list[Step]
    url: str = ""
    requests: list[bytes] = field(default_factory=list)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
            while len(rest) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                rest += chunk
    return head + b"\r\n\r\n" + rest


@contextmanager
def scripted_server(steps: list[Step]) -> Iterator[ScriptedServer]:
    server = ScriptedServer(list(steps))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    server.url = f"http://127.0.0.1:{listener.getsockname()[1]}/api"
    stop = threading.Event()

    def answer(conn: socket.socket, step: Step) -> None:
        with conn:
            server.requests.append(_read_request(conn))
            if step.stall:
                stop.wait()  # until the test ends: any client timeout expires first
                return
            length = len(step.body) + (100 if step.cut_short else 0)
            head = [f"HTTP/1.1 {step.status} X", f"Content-Length: {length}", "Connection: close"]
            head += [f"{k}: {v}" for k, v in step.headers.items()]
            conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + step.body)

    def serve() -> None:
        remaining = list(server.steps)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            step = remaining.pop(0) if remaining else Step(500, b"script exhausted")
            # one thread per connection: a stalled one must not hold up the retry
            threading.Thread(target=answer, args=(conn, step), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def closed_port_url() -> str:
    """A URL on which nothing listens: connections are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"
