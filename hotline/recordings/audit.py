"""The append-only, keyed and anchored audit log: who played, downloaded, exported, searched or purged
what, and why.

Each entry carries ``hash`` = HMAC-SHA256, under a key kept outside the database, of the previous
entry's ``hash`` and its own canonical JSON. Changing, inserting or removing an entry breaks every
MAC after it, and nobody without the key can write an entry that verifies (an unkeyed SHA-256
chain can be recomputed by anyone who can write to the table).

A chain alone cannot tell that its newest entries were deleted: what is left still verifies. So
after each commit the newest entry's number and MAC go to the *anchor*, a small file outside the
database, itself MACed (:func:`anchor_mac`); :meth:`AuditLog.verify` reports ``truncated`` when the
log ends before the anchored entry. Entries written before migration 0010 were chained with plain
SHA-256 (``key_id`` NULL); they stay verifiable as they are, may only come before keyed ones, and
the first keyed entry's MAC seals them (it covers the last one's hash).

:func:`entry_mac` and :func:`legacy_hash` are the whole rule (pure); :meth:`AuditLog.append` adds
one entry in its own transaction, retrying when another writer took the same sequence number.
"""

from __future__ import annotations

import enum
import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.base import utcnow
from hotline.recordings.crypto import Keyring, ensure_key_file, parse_keyring
from hotline.recordings.models import AuditEntry
from hotline.settings import Settings

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_APPEND_ATTEMPTS = 20
_ANCHOR_DOMAIN = b"hotline-audit-anchor\x00"
AUDIT_KEYS_TITLE = (
    "Audit log keys: <id>:<base64 HMAC-SHA256 key>; the last line keys new entries, "
    "older lines verify older entries."
)


class AuditAction(enum.StrEnum):
    play = "play"
    download = "download"
    export = "export"
    purge = "purge"
    # A full-text search over transcripts (the reason is the query).
    search = "search"


@dataclass(frozen=True, slots=True)
class EntryFields:
    """What an entry says, as the MAC covers it."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    recording_id: int | None
    linkedid: str | None
    reason: str
    client: str | None

    @classmethod
    def of(cls, entry: AuditEntry) -> EntryFields:
        return cls(
            entry.seq,
            entry.at,
            entry.actor,
            entry.role,
            entry.action,
            entry.recording_id,
            entry.linkedid,
            entry.reason,
            entry.client,
        )

    def canonical(self, **extra: Any) -> str:
        return json.dumps(
            {
                "seq": self.seq,
                "at": self.at.isoformat(timespec="microseconds"),
                "actor": self.actor,
                "role": self.role,
                "action": self.action,
                "recording_id": self.recording_id,
                "linkedid": self.linkedid,
                "reason": self.reason,
                "client": self.client,
                **extra,
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )


def legacy_hash(prev_hash: str, fields: EntryFields) -> str:
    """The unkeyed SHA-256 link of entries written before migration 0010 (``key_id`` NULL)."""
    return hashlib.sha256(f"{prev_hash}\n{fields.canonical()}".encode()).hexdigest()


def entry_mac(key: bytes, key_id: str, prev_hash: str, fields: EntryFields) -> str:
    """HMAC-SHA256 of the previous entry's MAC and this entry (its key id included)."""
    message = f"{prev_hash}\n{fields.canonical(key_id=key_id)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# --- the anchor ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Anchor:
    """The newest entry written as far as the file outside the database knows."""

    seq: int
    hash: str
    key_id: str
    mac: str


class AnchorInvalid(Exception):
    """The anchor file exists but cannot be trusted (unreadable, or its MAC does not match)."""


def anchor_mac(key: bytes, seq: int, entry_hash: str) -> str:
    return hmac.new(key, _ANCHOR_DOMAIN + f"{seq}:{entry_hash}".encode(), hashlib.sha256).hexdigest()


def make_anchor(keyring: Keyring, seq: int, entry_hash: str) -> Anchor:
    key_id = keyring.current
    return Anchor(seq, entry_hash, key_id, anchor_mac(keyring.keys[key_id], seq, entry_hash))


def parse_anchor(text: str, keyring: Keyring) -> Anchor:
    """The anchor in ``text`` if its MAC verifies with the keyring; else :class:`AnchorInvalid`."""
    try:
        raw = json.loads(text)
        anchor = Anchor(int(raw["seq"]), str(raw["hash"]), str(raw["key_id"]), str(raw["mac"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise AnchorInvalid(f"it is not an audit anchor ({exc.__class__.__name__})") from None
    key = keyring.keys.get(anchor.key_id)
    if key is None:
        raise AnchorInvalid(f"it names the key {anchor.key_id!r}, which is not in the audit keyring")
    if not hmac.compare_digest(anchor_mac(key, anchor.seq, anchor.hash), anchor.mac):
        raise AnchorInvalid("its MAC does not match (it was edited, or written with another key)")
    return anchor


def _anchor_text(anchor: Anchor) -> str:
    fields = {"seq": anchor.seq, "hash": anchor.hash, "key_id": anchor.key_id, "mac": anchor.mac}
    return json.dumps(fields, sort_keys=True) + "\n"


# --- verification -------------------------------------------------------------------------------


class Problem(enum.StrEnum):
    """What :meth:`AuditLog.verify` found wrong: stable ids for operators and the API."""

    entry_missing = "entry-missing"
    link_broken = "link-broken"
    entry_changed = "entry-changed"
    unkeyed_after_keyed = "unkeyed-after-keyed"
    key_unknown = "key-unknown"
    truncated = "truncated"
    anchor_missing = "anchor-missing"
    anchor_invalid = "anchor-invalid"
    anchor_mismatch = "anchor-mismatch"


@dataclass(frozen=True, slots=True)
class Verdict:
    entries: int
    # The first problem (by seq) and the entry it concerns (None: the log as a whole, e.g. its anchor).
    problem_id: Problem | None = None
    problem: str | None = None
    broken_seq: int | None = None
    # The newest entry the anchor file vouches for (None: no anchor yet).
    anchored_seq: int | None = None

    @property
    def intact(self) -> bool:
        return self.problem_id is None

    @property
    def truncated(self) -> bool:
        return self.problem_id == Problem.truncated


class AuditLog:
    """The audit log of one installation: its entries (``sessions``), keys and anchor file."""

    def __init__(self, sessions: sessionmaker[Session], keyring: Keyring, anchor_file: Path) -> None:
        self.sessions = sessions
        self.keyring = keyring
        self.anchor_file = anchor_file

    @classmethod
    def from_settings(cls, settings: Settings, sessions: sessionmaker[Session]) -> AuditLog:
        return cls(sessions, load_audit_keyring(settings), anchor_file(settings))

    # --- writing ----------------------------------------------------------------------------------

    def append(
        self,
        *,
        actor: str,
        role: str,
        action: AuditAction,
        reason: str,
        recording_id: int | None = None,
        linkedid: str | None = None,
        client: str | None = None,
    ) -> AuditEntry:
        """Append one entry and return it (committed), then move the anchor to it.

        Concurrent writers are serialised by the uniqueness of ``seq``: the loser retries."""
        key_id = self.keyring.current
        key = self.keyring.keys[key_id]
        for _ in range(_APPEND_ATTEMPTS):
            try:
                with self.sessions.begin() as session:
                    last = session.execute(
                        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
                    ).first()
                    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                    entry = AuditEntry(
                        seq=seq,
                        at=utcnow(),
                        actor=actor,
                        role=role,
                        action=str(action),
                        recording_id=recording_id,
                        linkedid=linkedid,
                        reason=reason,
                        client=client,
                        prev_hash=prev,
                        key_id=key_id,
                    )
                    entry.hash = entry_mac(key, key_id, prev, EntryFields.of(entry))
                    session.add(entry)
                    session.flush()
                    session.expunge(entry)
            except IntegrityError:
                continue
            self._advance_anchor(entry.seq, entry.hash)
            return entry
        raise RuntimeError(
            f"Could not append to the audit log after {_APPEND_ATTEMPTS} attempts (contention)"
        )

    def _advance_anchor(self, seq: int, entry_hash: str) -> None:
        """Point the anchor at entry ``seq`` unless it already vouches for a newer one.

        The entry is committed already: a failure here is logged, never raised (the next append
        moves the anchor on). An anchor that does not verify is left as it is, as evidence, until
        an operator who has looked into it removes the file."""
        try:
            with self._anchor_lock():
                try:
                    current = self.read_anchor()
                except AnchorInvalid as exc:
                    log.error(
                        "The audit anchor %s cannot be trusted (%s); it is not moved. Run `hotline audit "
                        "verify`; once the cause is known, remove the file (the next entry writes a new one)",
                        self.anchor_file,
                        exc,
                    )
                    return
                if current is not None and current.seq >= seq:
                    return
                _write_atomically(self.anchor_file, _anchor_text(make_anchor(self.keyring, seq, entry_hash)))
        except OSError:
            log.exception("Could not write the audit anchor %s; the next entry tries again", self.anchor_file)

    @contextmanager
    def _anchor_lock(self) -> Iterator[None]:
        self.anchor_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = self.anchor_file.with_name(self.anchor_file.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def read_anchor(self) -> Anchor | None:
        """The anchor (None: there is no anchor file); :class:`AnchorInvalid` if it does not verify."""
        try:
            text = self.anchor_file.read_text()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AnchorInvalid(f"it cannot be read ({exc.strerror})") from None
        return parse_anchor(text, self.keyring)

    # --- checking ---------------------------------------------------------------------------------

    def verify(self, session: Session, *, batch: int = 1000) -> Verdict:
        """Recompute the whole chain from the first entry, then hold its end against the anchor."""
        # The anchor first: an entry appended meanwhile then lies past it, which is fine; read
        # after the walk, it could name an entry the walk did not see (a false truncation).
        anchor: Anchor | None = None
        untrusted: str | None = None
        try:
            anchor = self.read_anchor()
        except AnchorInvalid as exc:
            untrusted = str(exc)
        anchored = anchor.seq if anchor else None
        prev, expected, count, after = GENESIS, 1, 0, 0
        keyed = False
        hash_at_anchor: str | None = None
        while True:
            rows = session.scalars(
                select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
            ).all()
            if not rows:
                break
            for entry in rows:
                count += 1
                problem = self._check(entry, expected, prev, keyed)
                if problem is not None:
                    return Verdict(count, problem[0], problem[1], problem[2], anchored)
                keyed = keyed or entry.key_id is not None
                if anchor is not None and entry.seq == anchor.seq:
                    hash_at_anchor = entry.hash
                prev, expected, after = entry.hash, entry.seq + 1, entry.seq
            session.expunge_all()
        head = expected - 1
        if untrusted is not None:
            return Verdict(
                count,
                Problem.anchor_invalid,
                f"the anchor {self.anchor_file} cannot be trusted: {untrusted}. Compare the log with a "
                "backup; remove the anchor file once the cause is known (the next entry writes a new one)",
            )
        if anchor is None:
            if keyed:
                return Verdict(
                    count,
                    Problem.anchor_missing,
                    f"the anchor {self.anchor_file} is missing although keyed entries exist: it was "
                    "removed, and with it the proof that no newest entries were deleted. Restore it from "
                    "backup",
                    None,
                    None,
                )
            return Verdict(count)
        if anchor.seq > head:
            return Verdict(
                count,
                Problem.truncated,
                f"the log is TRUNCATED: it ends at entry {head} but entry {anchor.seq} was written (the "
                f"anchor {self.anchor_file} vouches for it): the newest {anchor.seq - head} entries were "
                "deleted",
                head + 1,
                anchored,
            )
        if hash_at_anchor is None or not hmac.compare_digest(hash_at_anchor, anchor.hash):
            return Verdict(
                count,
                Problem.anchor_mismatch,
                f"entry {anchor.seq} is not the one the anchor vouches for: the log was rewritten from "
                "there on",
                anchor.seq,
                anchored,
            )
        return Verdict(count, anchored_seq=anchored)

    def _check(
        self, entry: AuditEntry, expected: int, prev: str, keyed: bool
    ) -> tuple[Problem, str, int] | None:
        if entry.seq != expected:
            return Problem.entry_missing, f"entry {expected} is missing (the next is {entry.seq})", expected
        if entry.prev_hash != prev:
            return Problem.link_broken, "its link to the previous entry does not match", entry.seq
        fields = EntryFields.of(entry)
        if entry.key_id is None:
            if keyed:
                return (
                    Problem.unkeyed_after_keyed,
                    "it is unkeyed (the form of entries before migration 0010) but follows keyed entries: "
                    "it was written without the key",
                    entry.seq,
                )
            if legacy_hash(prev, fields) != entry.hash:
                return (
                    Problem.entry_changed,
                    "its content does not match its hash (changed after writing)",
                    entry.seq,
                )
            return None
        key = self.keyring.keys.get(entry.key_id)
        if key is None:
            return (
                Problem.key_unknown,
                f"it names the audit key {entry.key_id!r}, which is not in the keyring: add that key back "
                "(HOTLINE_RECORDINGS__AUDIT_KEYS or the audit key file)",
                entry.seq,
            )
        if not hmac.compare_digest(entry_mac(key, entry.key_id, prev, fields), entry.hash):
            return (
                Problem.entry_changed,
                "its content does not match its MAC (changed after writing, or written without the key)",
                entry.seq,
            )
        return None


# --- keys and files -----------------------------------------------------------------------------


def load_audit_keyring(settings: Settings) -> Keyring:
    """``HOTLINE_RECORDINGS__AUDIT_KEYS`` if set, else the audit key file (created on first use, 0600)."""
    configured = settings.recordings.audit_keys
    if configured is not None:
        return parse_keyring(configured.get_secret_value(), source="HOTLINE_RECORDINGS__AUDIT_KEYS")
    return ensure_key_file(audit_key_file(settings), title=AUDIT_KEYS_TITLE)


def audit_key_file(settings: Settings) -> Path:
    return settings.recordings.audit_key_file or settings.secrets_dir / "audit_keys"


def anchor_file(settings: Settings) -> Path:
    return settings.recordings.audit_anchor_file or settings.secrets_dir / "audit_anchor.json"


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
