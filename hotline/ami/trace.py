"""Replay a recorded AMI stream (bytes as Asterisk sent them) through the client's framing.

Used by the unit tests (traces recorded from the real Asterisk under tests/fixtures/ami) and by
the ingest benchmark. Nothing here touches a socket.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hotline.ami.events import Event, MalformedEvent, decode, headers_of
from hotline.ami.framing import AmiFraming


class _Collector:
    """Stands in for panoramisk's Manager: receives every event message the protocol frames."""

    save_stream = None
    forgetable_actions = ()

    def __init__(self) -> None:
        self.messages: list[Any] = []

    def dispatch(self, message: Any) -> None:
        self.messages.append(message)

    def connection_lost(self, _exc: object) -> None:
        return None


def frame(data: bytes, chunk_size: int = 4096) -> list[Any]:
    """Split a raw stream into panoramisk messages, fed in chunks as a socket would deliver them."""
    protocol = AmiFraming()
    protocol.connection_made(None)
    collector = _Collector()
    protocol.factory = collector
    protocol.encoding = "utf8"
    protocol.closed = True  # no transport: a Shutdown event must not try to close one
    for start in range(0, len(data), chunk_size):
        protocol.data_received(data[start : start + chunk_size])
    return collector.messages


def events_from(data: bytes) -> Iterator[Event]:
    """Decoded events of a raw stream; malformed messages are skipped as the client skips them."""
    for message in frame(data):
        try:
            event = decode(headers_of(message))
        except MalformedEvent:
            continue
        if event is not None:
            yield event


def load(path: Path) -> bytes:
    return path.read_bytes()
