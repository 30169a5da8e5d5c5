"""Lawyers (softphones registered as PJSIP endpoints, with skills and dialects), their shifts, and
when they were actually on duty (read from Asterisk's queue_log)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db.base import Base, UTCDateTime, utcnow


class Lawyer(Base):
    __tablename__ = "lawyers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    extension: Mapped[str] = mapped_column(String(16), unique=True)
    # MD5(extension:realm:password): Asterisk verifies digests with it; the password is never stored.
    sip_ha1: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    firm: Mapped[str | None] = mapped_column(String(128))
    # Topic id -> level 1-5 (ivr_flows/topics.yaml); dialects: language ids; regions: free text.
    skills: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dialects: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Where the lawyer answers: "softphone" (a SIP phone with the lawyer's password) or "browser"
    # (the desk's browser phone, WebRTC, with short-lived credentials); see hotline/webphone.
    phone: Mapped[str] = mapped_column(String(16), default="softphone", server_default="softphone")
    # Takes video consultations (视频咨询): offered them before the other lawyers.
    video: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa.false())

    shifts: Mapped[list[DutyShift]] = relationship(back_populates="lawyer", cascade="all, delete-orphan")


class DutyShift(Base):
    """A lawyer is on duty from ``starts_at`` (inclusive) to ``ends_at`` (exclusive).

    ``source``: ``roster`` (imported) or ``manual`` (a lawyer logged in without a rostered shift)."""

    __tablename__ = "duty_shifts"
    __table_args__ = (Index("ix_duty_shifts_span", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lawyer_id: Mapped[int] = mapped_column(ForeignKey("lawyers.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The roster's end, kept when a log-out ended the shift early (the assessment's 早退).
    planned_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    source: Mapped[str] = mapped_column(String(16), default="roster")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lawyer: Mapped[Lawyer] = relationship(back_populates="shifts")


class QueueSetting(Base):
    """A queue setting an admin changed on /admin; it overrides the configured default
    (hotline/routing/queue_settings.py lists them)."""

    __tablename__ = "queue_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))


class DutyPresence(Base):
    """A closed interval of a lawyer's presence in Asterisk's queues, read from its queue_log
    (hotline/routing/presence.py): ``logged_in`` from joining a first queue to leaving the last,
    ``paused`` while paused in every queue (within a ``logged_in`` interval). ``starts_at``
    inclusive, ``ends_at`` exclusive; the intervals still open are kept with the cursor."""

    __tablename__ = "duty_presence"
    __table_args__ = (
        Index("ix_duty_presence_span", "starts_at", "ends_at"),
        CheckConstraint("state IN ('logged_in', 'paused')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    extension: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PresenceCursor(Base):
    """How far the queue_log has been read (one row): the file (its inode) and the byte offset after
    the last complete line, with the presence of the members in a queue there (their intervals
    still open). Written in the same transaction as the intervals the reading closed."""

    __tablename__ = "duty_presence_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inode: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger)
    members: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RingNoAnswer(Base):
    """A call offered to a lawyer that rang out unanswered (queue_log ``RINGNOANSWER``), read with
    the presence: for the assessment's 振铃未接."""

    __tablename__ = "ring_no_answer"
    __table_args__ = (Index("ix_ring_no_answer_extension_at", "extension", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    extension: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    queue: Mapped[str] = mapped_column(String(64))
    callid: Mapped[str] = mapped_column(String(64))
