"""The call record: one row per call, keyed by Asterisk's linkedid."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.base import Base, UTCDateTime, utcnow


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_caller", "caller"),
        Index("ix_calls_topic", "topic"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    caller: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    queue: Mapped[str | None] = mapped_column(String(64))
    lawyer: Mapped[str | None] = mapped_column(String(64))
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(16))
    rating: Mapped[int | None] = mapped_column(Integer)
    recording_file: Mapped[str | None] = mapped_column(String(255))
    voicemail_file: Mapped[str | None] = mapped_column(String(255))
    # The route chosen in the IVR: catalog ids and the keys pressed (e.g. "language=2 topic=1").
    language: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[str | None] = mapped_column(String(32))
    ivr_path: Mapped[str | None] = mapped_column(String(255))
    # The outside line that answered the caller (e.g. gov-12345), if the flow transferred the call.
    transferred_to: Mapped[str | None] = mapped_column(String(64))
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
