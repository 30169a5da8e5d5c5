"""Free loopback ports for SIPp processes: a SIP port, and four media ports that nothing else takes."""

from __future__ import annotations

import itertools
import os
import random
import socket


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port free on 127.0.0.1 a moment ago (TCP; ``socket.SOCK_DGRAM`` for UDP, e.g. SIP)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_MEDIA_LOW, _MEDIA_SPAN = 20000, 12000  # below the kernel's ephemeral ports (32768-60999)
_media_next = itertools.count(random.Random(os.getpid()).randrange(0, _MEDIA_SPAN, 4), 4)


def media_port() -> int:
    """Four free UDP ports from an even one, for a SIPp's media (audio, RTCP, video, RTCP).

    They lie below the kernel's ephemeral range, so no socket that asks the system for any free
    port (a SIP port from :func:`free_port`, a resolver) can take them meanwhile."""
    for _ in range(_MEDIA_SPAN // 4):
        base = _MEDIA_LOW + next(_media_next) % _MEDIA_SPAN
        if all(_udp_free(base + offset) for offset in range(4)):
            return base
    raise RuntimeError("no four free UDP ports for SIPp media between 20000 and 32000")


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
