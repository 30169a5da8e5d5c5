"""Recordings at rest: AES-256-GCM in fixed-size chunks, so any byte range can be read back alone.

File layout (all integers big-endian)::

    header  = b"HLREC1" | u8 key-id length | key id (ASCII) | u32 chunk size | u64 plaintext size
              | 7-byte random nonce prefix
    chunk i = AES-256-GCM(key, nonce = prefix | u32 i | u8 last, plaintext[i*size:(i+1)*size],
                          associated data = header) — ciphertext followed by its 16-byte tag

Every chunk authenticates the whole header, its own position and whether it is the last one: a
changed byte, a swapped, dropped or appended chunk and a truncated file all fail to decrypt
(:class:`RecordingTampered`). The key never goes into the database: files name the key *id*, and
the keyring (configuration or a key file) maps ids to keys, so old files stay readable after a
new key is introduced and :func:`reencrypt` moves them to it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hotline.errors import HotlineError

MAGIC = b"HLREC1"
ALGORITHM = "AES-256-GCM-chunked-v1"
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
_PREFIX_SIZE = 7
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class KeyringError(HotlineError):
    """The keyring (configuration or key file) is unusable; the message says how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__("recording-keyring-invalid", message, status=503)


class RecordingTampered(HotlineError):
    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            "recording-tampered",
            f"The encrypted recording {path.name} does not decrypt ({detail}): it was changed, cut or "
            "encrypted with another key. Restore it from backup; the audit log names who handled it.",
            status=500,
            details={"file": path.name},
        )


@dataclass(frozen=True, slots=True)
class Keyring:
    """Keys by id; ``current`` encrypts new files, every key still decrypts the files that name it."""

    keys: dict[str, bytes]
    current: str

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise KeyringError(
                f"No key with id {key_id!r} in the keyring (it has {sorted(self.keys)}): add the key that "
                "encrypted these recordings back to the key file or HOTLINE_RECORDINGS__KEYS."
            ) from None


def parse_keyring(text: str, *, source: str) -> Keyring:
    """Keys as ``<id>:<base64 of 32 bytes>``, one per line or separated by commas; the last one is current."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    entries = [
        part.strip()
        for line in text.splitlines()
        if not line.lstrip().startswith("#")  # a comment may hold commas
        for part in line.split(",")
    ]
    for number, entry in enumerate(entries, 1):
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.match(key_id.strip()):
            raise KeyringError(
                f"{source}: entry {number} is not '<id>:<base64 key>' (id: letters, digits, '._-'). "
                "Generate one with `hotline recordings new-key`."
            )
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise KeyringError(f"{source}: the key {key_id!r} is not valid base64.") from None
        if len(key) != 32:
            raise KeyringError(
                f"{source}: the key {key_id!r} has {len(key)} bytes; AES-256 needs 32 "
                "(`hotline recordings new-key` makes one)."
            )
        if key_id in keys:
            raise KeyringError(f"{source}: the key id {key_id!r} appears twice.")
        keys[key_id.strip()] = key
        order.append(key_id.strip())
    if not order:
        raise KeyringError(f"{source} holds no key. Generate one with `hotline recordings new-key`.")
    return Keyring(keys, order[-1])


def new_key_line(key_id: str) -> str:
    if not _KEY_ID.match(key_id):
        raise KeyringError(f"A key id may hold letters, digits and '._-' only (got {key_id!r}).")
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


RECORDING_KEYS_TITLE = "Recording keys: <id>:<base64 AES-256 key>; the last line encrypts new files."


def ensure_key_file(path: Path, *, title: str = RECORDING_KEYS_TITLE) -> Keyring:
    """The keyring in ``path``, created with one new key (mode 0600) if the file does not exist."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"# {title}\n")
            handle.write(new_key_line("k1") + "\n")
    return parse_keyring(path.read_text(), source=str(path))


# --- the file format ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Header:
    key_id: str
    chunk_size: int
    plaintext_size: int
    nonce_prefix: bytes
    raw: bytes

    @property
    def chunks(self) -> int:
        return max(1, -(-self.plaintext_size // self.chunk_size))

    def nonce(self, index: int) -> bytes:
        return self.nonce_prefix + struct.pack(">IB", index, 1 if index == self.chunks - 1 else 0)

    def chunk_offset(self, index: int) -> int:
        return len(self.raw) + index * (self.chunk_size + TAG_SIZE)

    @property
    def sealed_size(self) -> int:
        return len(self.raw) + self.plaintext_size + self.chunks * TAG_SIZE


def _header(key_id: str, chunk_size: int, plaintext_size: int, prefix: bytes) -> Header:
    encoded = key_id.encode("ascii")
    raw = MAGIC + bytes([len(encoded)]) + encoded + struct.pack(">IQ", chunk_size, plaintext_size) + prefix
    return Header(key_id, chunk_size, plaintext_size, prefix, raw)


def read_header(handle: BinaryIO, path: Path) -> Header:
    start = handle.read(len(MAGIC) + 1)
    if len(start) < len(MAGIC) + 1 or start[: len(MAGIC)] != MAGIC:
        raise RecordingTampered(path, "not an encrypted recording")
    key_id = handle.read(start[-1])
    rest = handle.read(12 + _PREFIX_SIZE)
    if len(rest) != 12 + _PREFIX_SIZE:
        raise RecordingTampered(path, "header cut short")
    chunk_size, size = struct.unpack(">IQ", rest[:12])
    if chunk_size <= 0:
        raise RecordingTampered(path, "bad chunk size")
    return _header(key_id.decode("ascii", "replace"), chunk_size, size, rest[12:])


@dataclass(frozen=True, slots=True)
class Sealed:
    """What :func:`encrypt_file` wrote: the plaintext's size and SHA-256, the key it used."""

    plaintext_size: int
    sha256: str
    key_id: str


def encrypt_file(source: Path, target: Path, keyring: Keyring, *, chunk_size: int = CHUNK_SIZE) -> Sealed:
    """Encrypt ``source`` into ``target`` (written aside, synced, then renamed into place)."""
    with source.open("rb") as plain:
        return _seal(plain, source.stat().st_size, target, keyring, chunk_size)


def _seal(plain: BinaryIO, size: int, target: Path, keyring: Keyring, chunk_size: int) -> Sealed:
    header = _header(keyring.current, chunk_size, size, secrets.token_bytes(_PREFIX_SIZE))
    aead = AESGCM(keyring.key(keyring.current))
    digest = hashlib.sha256()
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    # Private whatever the umask (the store is the controller's own).
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as sealed:
        sealed.write(header.raw)
        for index in range(header.chunks):
            chunk = plain.read(chunk_size)
            digest.update(chunk)
            sealed.write(aead.encrypt(header.nonce(index), chunk, header.raw))
        if plain.read(1):
            raise OSError(f"{target.name}: the source grew while it was being encrypted (not finished yet)")
        sealed.flush()
        os.fsync(sealed.fileno())
    partial.replace(target)
    return Sealed(size, digest.hexdigest(), keyring.current)


class SealedReader:
    """Reads byte ranges of the plaintext of an encrypted recording, decrypting only the chunks needed."""

    def __init__(self, path: Path, keyring: Keyring) -> None:
        self.path = path
        self._handle = path.open("rb")
        try:
            self.header = read_header(self._handle, path)
            if os.fstat(self._handle.fileno()).st_size != self.header.sealed_size:
                raise RecordingTampered(path, "its length does not match its header")
            self._aead = AESGCM(keyring.key(self.header.key_id))
        except BaseException:
            self._handle.close()
            raise

    @property
    def size(self) -> int:
        return self.header.plaintext_size

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> SealedReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def chunk(self, index: int) -> bytes:
        header = self.header
        self._handle.seek(header.chunk_offset(index))
        expected = (
            min(header.chunk_size, header.plaintext_size - index * header.chunk_size) if header.chunks else 0
        )
        sealed = self._handle.read(max(expected, 0) + TAG_SIZE)
        try:
            return self._aead.decrypt(header.nonce(index), sealed, header.raw)
        except InvalidTag:
            raise RecordingTampered(self.path, f"chunk {index} fails authentication") from None

    def read_range(self, start: int, end: int) -> Iterator[bytes]:
        """The plaintext bytes ``start`` to ``end`` inclusive (HTTP range semantics), chunk by chunk."""
        size = self.header.chunk_size
        for index in range(start // size, end // size + 1):
            data = self.chunk(index)
            base = index * size
            yield data[max(start - base, 0) : end - base + 1]

    def read_all(self) -> bytes:
        return b"".join(self.chunk(index) for index in range(self.header.chunks))


def decrypt_file(path: Path, keyring: Keyring) -> bytes:
    with SealedReader(path, keyring) as reader:
        return reader.read_all()


def reencrypt(path: Path, keyring: Keyring) -> bool:
    """Re-encrypt ``path`` with the current key if another key sealed it; True if it did."""
    with path.open("rb") as handle:
        header = read_header(handle, path)
    if header.key_id == keyring.current:
        return False
    data = decrypt_file(path, keyring)
    _seal(io.BytesIO(data), len(data), path, keyring, header.chunk_size)
    return True
