"""Recordings at rest: the chunked AES-256-GCM file format, byte ranges, tampering, the keyring."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from hotline.recordings.crypto import (
    MAGIC,
    Keyring,
    KeyringError,
    RecordingTampered,
    SealedReader,
    decrypt_file,
    encrypt_file,
    ensure_key_file,
    new_key_line,
    parse_keyring,
    reencrypt,
)

KEYRING = parse_keyring(new_key_line("k1"), source="test")
CHUNK = 1024


@pytest.fixture
def plain(tmp_path: Path) -> bytes:
    return os.urandom(5 * CHUNK + 123)


@pytest.fixture
def sealed(tmp_path: Path, plain: bytes) -> Path:
    source = tmp_path / "call.wav"
    source.write_bytes(plain)
    target = tmp_path / "store" / "call.wav.hlrec"
    result = encrypt_file(source, target, KEYRING, chunk_size=CHUNK)
    assert result.plaintext_size == len(plain) and result.key_id == "k1"
    return target


def test_round_trip_and_nothing_readable_at_rest(sealed: Path, plain: bytes) -> None:
    raw = sealed.read_bytes()
    assert raw.startswith(MAGIC) and plain[:64] not in raw
    assert decrypt_file(sealed, KEYRING) == plain


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, 0), (0, 1023), (1000, 1100), (1024, 2047), (3000, 5 * CHUNK + 122), (5 * CHUNK, 5 * CHUNK + 122)],
)
def test_any_byte_range_reads_back_alone(sealed: Path, plain: bytes, start: int, end: int) -> None:
    with SealedReader(sealed, KEYRING) as reader:
        assert reader.size == len(plain)
        assert b"".join(reader.read_range(start, end)) == plain[start : end + 1]


def test_empty_file_round_trips(tmp_path: Path) -> None:
    source = tmp_path / "empty.wav"
    source.write_bytes(b"")
    encrypt_file(source, tmp_path / "empty.hlrec", KEYRING)
    assert decrypt_file(tmp_path / "empty.hlrec", KEYRING) == b""


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: _flip(p, p.stat().st_size // 2),  # a byte of audio
        lambda p: _flip(p, len(MAGIC) + 5),  # the header (chunk size, length or nonce)
        lambda p: p.write_bytes(p.read_bytes()[: -(CHUNK + 16)]),  # the last chunk cut off
        lambda p: p.write_bytes(p.read_bytes() + b"\x00" * 40),  # something appended
    ],
    ids=["audio", "header", "truncated", "appended"],
)
def test_tampering_is_detected(sealed: Path, tamper: object) -> None:
    tamper(sealed)  # type: ignore[operator]
    with pytest.raises(RecordingTampered) as caught:
        decrypt_file(sealed, KEYRING)
    assert caught.value.error_id == "recording-tampered" and "backup" in caught.value.message


def test_swapped_chunks_are_detected(sealed: Path) -> None:
    data = sealed.read_bytes()
    header = len(data) - 5 * (CHUNK + 16) - (123 + 16)
    first, second = data[header : header + CHUNK + 16], data[header + CHUNK + 16 : header + 2 * (CHUNK + 16)]
    sealed.write_bytes(data[:header] + second + first + data[header + 2 * (CHUNK + 16) :])
    with pytest.raises(RecordingTampered):
        decrypt_file(sealed, KEYRING)


def test_a_file_needs_the_key_that_sealed_it(sealed: Path, plain: bytes) -> None:
    other = parse_keyring(new_key_line("k2"), source="test")
    with pytest.raises(KeyringError, match="k1"):
        decrypt_file(sealed, other)
    both = parse_keyring(f"{new_key_line('k1')}\n{new_key_line('k2')}", source="test")
    with pytest.raises(RecordingTampered):  # same id, different key
        decrypt_file(sealed, both)

    new = parse_keyring(new_key_line("k2"), source="test")
    rotated = Keyring({**KEYRING.keys, **new.keys}, "k2")
    assert reencrypt(sealed, rotated)
    assert not reencrypt(sealed, rotated)
    assert decrypt_file(sealed, new) == plain


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no key"),
        ("k1", "not '<id>:<base64 key>'"),
        ("k1:not-base64!", "not valid base64"),
        ("k1:" + _b64(b"short"), "has 5 bytes"),
        (new_key_line("k1") + "," + new_key_line("k1"), "appears twice"),
        ("bad id:" + _b64(bytes(32)), "not '<id>:<base64 key>'"),
    ],
)
def test_a_bad_keyring_says_what_to_fix(text: str, message: str) -> None:
    with pytest.raises(KeyringError, match=message.replace("(", r"\(")) as caught:
        parse_keyring(text, source="HOTLINE_RECORDINGS__KEYS")
    assert "HOTLINE_RECORDINGS__KEYS" in str(caught.value)


def test_the_key_file_is_made_once_private_and_the_last_key_is_current(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "recording_keys"
    first = ensure_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600 and first.current == "k1"
    assert ensure_key_file(path) == first
    with path.open("a") as handle:
        handle.write(new_key_line("2027-01") + "\n")
    rotated = ensure_key_file(path)
    assert rotated.current == "2027-01" and rotated.keys["k1"] == first.keys["k1"]


def test_a_comment_line_may_hold_commas(tmp_path: Path) -> None:
    """The key file's first line is a comment; commas in it are not key separators."""
    path = tmp_path / "audit_keys"
    keyring = ensure_key_file(path, title="Keys: one per line, the last one current, older ones kept")
    assert path.read_text().startswith("# Keys: one per line, the last one current")
    assert list(keyring.keys) == ["k1"]
    lines = f"  # a, b, c\n{new_key_line('k1')}, {new_key_line('k2')}\n"
    assert list(parse_keyring(lines, source="test").keys) == ["k1", "k2"]
