"""Replay a recorded AMI stream (bytes as Asterisk sent them) through the client's protocol.

Used by the unit tests (traces recorded from the real Asterisk under tests/fixtures/ami) and by
the ingest benchmark. Nothing here touches a socket: it is the sans-IO
:class:`~hotline.ami.protocol.AmiConnection` with no action of ours waiting, so answers to the
actions of the recorded session come out as the events and stray answers they then are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from hotline.ami.events import Event, MalformedEvent, decode
from hotline.ami.framing import AmiMessage
from hotline.ami.protocol import AmiConnection, Damaged, EventReceived


def frame(data: bytes, chunk_size: int = 4096) -> list[AmiMessage]:
    """The messages of a raw stream that are not responses (events, list items, damaged messages),
    fed in chunks as a socket would deliver them."""
    connection = AmiConnection()
    messages: list[AmiMessage] = []
    for start in range(0, len(data), chunk_size):
        for item in connection.receive_data(data[start : start + chunk_size]):
            if isinstance(item, EventReceived | Damaged):
                messages.append(item.message)
    return messages


def events_from(data: bytes) -> Iterator[Event]:
    """Decoded events of a raw stream; malformed messages are skipped as the client skips them."""
    for message in frame(data):
        try:
            event = decode(message.headers)
        except MalformedEvent:
            continue
        if event is not None:
            yield event


def replay(
    data: bytes,
    on_event: Callable[[Event], None],
    *,
    chunk_size: int = 8192,
    after_chunk: Callable[[], None] | None = None,
) -> int:
    """Hand every event of a raw stream to ``on_event`` as the client does, chunk by chunk
    (``after_chunk`` runs after each); return how many messages were malformed or damaged."""
    connection = AmiConnection()
    malformed = 0
    for start in range(0, len(data), chunk_size):
        for item in connection.receive_data(data[start : start + chunk_size]):
            if isinstance(item, Damaged):
                malformed += 1
            elif isinstance(item, EventReceived):
                try:
                    event = decode(item.message.headers)
                except MalformedEvent:
                    malformed += 1
                    continue
                if event is not None:
                    on_event(event)
        if after_chunk is not None:
            after_chunk()
    return malformed


def load(path: Path) -> bytes:
    return path.read_bytes()
