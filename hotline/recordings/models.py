"""Recordings and the audit log of every access to them.

A :class:`Recording` is the mix of a call with one file per leg, or a voicemail message. Its files
are registered while Asterisk's plaintext WAVs still lie in the spool (``spooled``), encrypted into
the store and removed from the spool (``sealed``), and deleted when the retention date has passed
(``purged``; the row stays, so the call record says what existed and when it went).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db.base import Base, UTCDateTime, utcnow


class RecordingState(enum.StrEnum):
    spooled = "spooled"
    sealed = "sealed"
    purged = "purged"


class Leg(enum.StrEnum):
    # The call as heard by both (for playback), what the caller said, what the lawyer side said.
    mix = "mix"
    caller = "caller"
    lawyer = "lawyer"


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # call | voicemail
    format: Mapped[str] = mapped_column(String(16), default="wav")
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), default=RecordingState.spooled)
    retain_until: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    files: Mapped[list[RecordingFile]] = relationship(
        back_populates="recording", cascade="all, delete-orphan", order_by="RecordingFile.id", lazy="selectin"
    )

    def file(self, leg: str) -> RecordingFile | None:
        return next((f for f in self.files if f.leg == leg), None)


class RecordingFile(Base):
    __tablename__ = "recording_files"
    __table_args__ = (UniqueConstraint("recording_id", "leg"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    leg: Mapped[str] = mapped_column(String(16))
    # Relative to the instance's spool while spooled, to the recording store once sealed.
    path: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    # SHA-256 of the plaintext WAV (known once sealed) and the id of the key that sealed it.
    sha256: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(64))
    recording: Mapped[Recording] = relationship(back_populates="files")


class AuditEntry(Base):
    """One access to a recording (or another audited act), chained to the previous entry.

    ``hash`` = HMAC-SHA256, under the audit key ``key_id``, of the previous entry's hash and this
    entry's canonical JSON, so changing, removing or inserting any entry breaks every MAC after it
    and nobody without the key can write one (``hotline audit verify``; hotline/recordings/audit.py).
    Entries from before migration 0010 have no ``key_id``: their ``hash`` is a plain SHA-256. The
    database refuses UPDATE and DELETE on the table (triggers, migration 0005)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    recording_id: Mapped[int | None] = mapped_column(Integer)
    linkedid: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    client: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The audit key that MACed the entry (hotline/recordings/audit.py); NULL: unkeyed, before 0010.
    key_id: Mapped[str | None] = mapped_column(String(64))
