"""The call record: one row per call, keyed by Asterisk's linkedid."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.base import Base, UTCDateTime, utcnow


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_caller", "caller"),
        Index("ix_calls_topic", "topic"),
        Index("ix_calls_updated_at", "updated_at"),
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
    media: Mapped[str | None] = mapped_column(String(16))
    # The outside line that answered the caller (e.g. gov-12345), if the flow transferred the call.
    transferred_to: Mapped[str | None] = mapped_column(String(64))
    # None: a citizen called the hotline; "callback": the hotline called a citizen back (回访), from
    # the lawyer's phone (not counted among the calls received; hotline/stats/queries.py).
    direction: Mapped[str | None] = mapped_column(String(16))
    # When the caller pressed 1 while waiting to keep their place and be called back (排队回电);
    # the callback's answer then makes this call answered (hotline/queued/service.py).
    callback_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Whether the call arrived outside the on-duty hours of the holiday calendar (worked out from
    # started_at when the record is written; None: not known, records written before it was kept).
    after_hours: Mapped[bool | None] = mapped_column(Boolean)
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    # When Asterisk's own summary of the call (hotline.calls.summaries) was merged in: from then on
    # the summary's facts stand, and what events say only fills what it left empty.
    summarized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SummaryCursor(Base):
    """How far the call summaries have been merged: the day file and the byte offset after the last
    complete line read (one row). Written in the same transaction as the merged records."""

    __tablename__ = "call_summary_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file: Mapped[str] = mapped_column(String(32))
    offset: Mapped[int] = mapped_column(Integer)
