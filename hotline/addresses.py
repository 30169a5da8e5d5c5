"""IP addresses as the hotline compares them (SIP bans, trusted proxies, the sign-in throttle):
one spelling per address."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(text: str) -> IPAddress | None:
    """The address in ``text`` (spaces and IPv6 brackets aside), an IPv4-mapped IPv6 address
    (``::ffff:192.0.2.7``) as its IPv4 address; None when ``text`` holds no address."""
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
