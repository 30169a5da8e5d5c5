"""Who is on the other end of a request: the client address, and whether it came over HTTPS.

A request's peer is the client, unless the peer is one of the configured proxies
(``HOTLINE_WEB__TRUSTED_PROXIES``, default none): then its ``X-Forwarded-For`` names the client (the
rightmost address that is not itself a trusted proxy) and its ``X-Forwarded-Proto`` the scheme.
From anyone else those headers are ignored, so they cannot forge the address that the audit log
records and the sign-in throttle counts. :class:`ForwardedHeaders` applies this to every request's
ASGI scope (the server's own proxy-header handling is off: see :mod:`hotline.http.server`), and
:func:`client_address` is the one place the rest of the code reads the address from.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from hotline.addresses import parse_ip

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(connection: HTTPConnection) -> str | None:
    """The client's address (already resolved through trusted proxies), for the audit log and the
    sign-in throttle."""
    return connection.client.host if connection.client else None


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    networks: tuple[Network, ...]

    @classmethod
    def of(cls, proxies: Iterable[str]) -> TrustedProxies:
        return cls(tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies))

    def __contains__(self, host: object) -> bool:
        if not isinstance(host, str):
            return False
        address = parse_ip(host)
        return address is not None and any(address in network for network in self.networks)


def resolve(
    peer: str | None, forwarded_for: Sequence[str], forwarded_proto: Sequence[str], proxies: TrustedProxies
) -> tuple[str | None, str | None]:
    """``(client, scheme)`` of a request from ``peer`` with these header values (each header's
    values in order); ``scheme`` None: as the connection says."""
    if peer is None or peer not in proxies:
        return peer, None
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        if not _is_address(hop):  # garbage: the last address read stands
            break
        client = hop
        if hop not in proxies:
            break
    protos = [proto.strip().lower() for value in forwarded_proto for proto in value.split(",")]
    scheme = protos[-1] if protos and protos[-1] in ("http", "https") else None
    return client, scheme


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class ForwardedHeaders:
    """ASGI middleware: the scope's ``client`` and ``scheme`` from trusted proxies' headers."""

    def __init__(self, app: ASGIApp, trusted_proxies: Iterable[str] = ()) -> None:
        self.app = app
        self.proxies = TrustedProxies.of(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.proxies.networks:
            peer = scope["client"][0] if scope.get("client") else None
            headers: list[tuple[bytes, bytes]] = scope["headers"]
            forwarded_for = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
            forwarded_proto = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-proto"]
            client, scheme = resolve(peer, forwarded_for, forwarded_proto, self.proxies)
            if client != peer or scheme is not None:
                scope = dict(scope)
                if client != peer:
                    scope["client"] = (client, 0)
                if scheme is not None:
                    websocket = scope["type"] == "websocket"
                    scope["scheme"] = {"http": "ws", "https": "wss"}[scheme] if websocket else scheme
        await self.app(scope, receive, send)
