"""The append-only, hash-chained audit log: who played, downloaded, exported or purged what and why.

:func:`entry_hash` is the whole rule (pure); :func:`append` adds one entry in its own
transaction, retrying when another writer took the same sequence number; :func:`verify` walks
the chain and names the first entry that does not match.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.base import utcnow
from hotline.recordings.models import AuditEntry

GENESIS = "0" * 64
_APPEND_ATTEMPTS = 20


class AuditAction(enum.StrEnum):
    play = "play"
    download = "download"
    export = "export"
    purge = "purge"
    # A full-text search over transcripts (the reason is the query).
    search = "search"


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    at: datetime,
    actor: str,
    role: str,
    action: str,
    recording_id: int | None,
    linkedid: str | None,
    reason: str,
    client: str | None,
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "role": role,
            "action": action,
            "recording_id": recording_id,
            "linkedid": linkedid,
            "reason": reason,
            "client": client,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def _hash_of(entry: AuditEntry, prev_hash: str) -> str:
    return entry_hash(
        prev_hash,
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        role=entry.role,
        action=entry.action,
        recording_id=entry.recording_id,
        linkedid=entry.linkedid,
        reason=entry.reason,
        client=entry.client,
    )


def append(
    sessions: sessionmaker[Session],
    *,
    actor: str,
    role: str,
    action: AuditAction,
    reason: str,
    recording_id: int | None = None,
    linkedid: str | None = None,
    client: str | None = None,
) -> AuditEntry:
    """Append one entry and return it (committed).

    Concurrent writers are serialised by the uniqueness of ``seq``: the loser retries."""
    for _ in range(_APPEND_ATTEMPTS):
        try:
            with sessions.begin() as session:
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
                )
                entry.hash = _hash_of(entry, prev)
                session.add(entry)
                session.flush()
                session.expunge(entry)
            return entry
        except IntegrityError:
            continue
    raise RuntimeError(f"Could not append to the audit log after {_APPEND_ATTEMPTS} attempts (contention)")


@dataclass(frozen=True, slots=True)
class Verdict:
    entries: int
    # The first entry (by seq) whose hash, link or number is wrong, and why; None when intact.
    broken_seq: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def verify(session: Session, *, batch: int = 1000) -> Verdict:
    """Recompute the whole chain from the first entry."""
    prev, expected_seq, count = GENESIS, 1, 0
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return Verdict(count)
        for entry in rows:
            count += 1
            if entry.seq != expected_seq:
                return Verdict(count, expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})")
            if entry.prev_hash != prev:
                return Verdict(count, entry.seq, "its link to the previous entry does not match")
            if _hash_of(entry, prev) != entry.hash:
                return Verdict(
                    count, entry.seq, "its content does not match its hash (changed after writing)"
                )
            prev, expected_seq, after = entry.hash, entry.seq + 1, entry.seq
        session.expunge_all()
