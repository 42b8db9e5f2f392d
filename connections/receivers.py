"""Where the outgoing hook may post: public receivers only.

The hook carries customers' names, emails and links, so its URL must not reach the machine's
own services or the private network (SSRF): a receiver whose host resolves to a loopback,
private, link-local, multicast or otherwise reserved address (IPv4 or IPv6) is refused when the
URL is saved, and again when each connection is made, against the address actually used, so a
name that resolves differently later (DNS rebinding) gains nothing. Plain HTTP is for DEBUG
only. OUTGOING_HOOK_ALLOW_LOOPBACK (the test profile, the local simulation) admits receivers
on this machine, and nothing else.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class ReceiverRefused(requests.ConnectionError):
    """The receiver's address is not a public one."""


def address_problem(address: str) -> str | None:
    """Why a receiver at this IP address is refused, or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback and settings.OUTGOING_HOOK_ALLOW_LOOPBACK:
        return None
    if ip.is_multicast or not ip.is_global:
        return f"{ip} is not a public address (loopback, private, link-local or reserved)"
    return None


def url_problem(url: str) -> str | None:
    """Why a hook URL is refused (scheme, host, every address it resolves to), or None."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and settings.DEBUG):
        return "The hook URL must use https."
    host = parts.hostname
    if not host:
        return "The hook URL needs a host."
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        return f"The host {host!r} cannot be resolved."
    for info in infos:
        problem = address_problem(str(info[4][0]))
        if problem:
            return f"The host {host!r} is refused: {problem}."
    return None


def _checked(sock: socket.socket) -> socket.socket:
    problem = address_problem(str(sock.getpeername()[0]))
    if problem:
        sock.close()
        raise ReceiverRefused(problem)
    return sock


class _HTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(super()._new_conn())


class _HTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(super()._new_conn())


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def guarded_session() -> requests.Session:
    """A session that connects to public receivers only, with no proxy from the environment."""
    session = requests.Session()
    session.trust_env = False
    adapter = _GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
