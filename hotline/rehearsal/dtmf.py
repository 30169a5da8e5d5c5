"""RFC 2833/4733 DTMF as pcap files for SIPp's ``play_pcap_audio``.

The pcaps Debian ships (``dtmf_2833_<digit>.pcap``) carry fixed RTP timestamps: the same digit
played twice in one call has the timestamp of the first and Asterisk drops it as a repeat. These
are generated with a distinct timestamp per key press so a caller can press any keys in any order.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
_PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # Ethernet link type
_SSRC = 0x0E05384E


def _packet(
    seq: int, timestamp: int, event: int, end: bool, duration: int, marker: bool, at_us: int
) -> bytes:
    rtp = struct.pack(">BBHII", 0x80, (0x80 if marker else 0) | 101, seq & 0xFFFF, timestamp, _SSRC)
    payload = rtp + struct.pack(">BBH", event, (0x80 if end else 0) | 10, duration)
    udp = struct.pack(">HHHH", 49152, 10000, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes(4), bytes(4)) + udp
    frame = bytes(12) + b"\x08\x00" + ip
    return struct.pack("<IIII", at_us // 1_000_000, at_us % 1_000_000, len(frame), len(frame)) + frame


def key_press_pcap(key: str, index: int, directory: Path) -> Path:
    """A pcap of one key press (160 ms tone), the ``index``-th of its call."""
    event = _EVENTS[key]
    seq, timestamp = 20000 + index * 20, 400000 + index * 16000
    packets = []
    for step in range(7):
        duration = (step + 1) * 160
        packets.append(_packet(seq + step, timestamp, event, False, duration, step == 0, step * 20_000))
    for repeat in range(3):  # the end packet, sent three times as RFC 4733 asks
        packets.append(_packet(seq + 7, timestamp, event, True, 8 * 160, False, 140_000 + repeat * 20))
    path = directory / f"key-{index}-{'star' if key == '*' else 'hash' if key == '#' else key}.pcap"
    # Atomically: a SIPp of another call may be reading the same file (same key, same index).
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(_PCAP_HEADER + b"".join(packets))
    partial.replace(path)
    return path
